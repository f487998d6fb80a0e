// The registries FFmpeg's static libraries would otherwise bring, cut down
// to what mcu uses. FFmpeg's own registries (allcodecs.o, allformats.o,
// protocols.o) name every codec, container and protocol Debian builds, and
// so pull in all ~90 libraries they wrap (x265, librsvg, gnutls, srt, ...):
// loading those keeps ~20 MB resident in every mcu process. With these
// definitions in the link, the linker never takes FFmpeg's registry objects
// from the archives, and --gc-sections and --as-needed drop everything only
// they referred to. Compiled only with MCU_STATIC_CODECS defined, which the
// Makefile does together with pointing pkg-config at build/pkgconfig, whose
// files link FFmpeg statically; any other build links Debian's shared
// FFmpeg as usual, and this file is empty.
//
// The functions keep FFmpeg 5.1's semantics (libavcodec/allcodecs.c,
// libavformat/allformats.c, libavformat/protocols.c). None of the codecs
// listed has static data to initialise (FFCodec.init_static_data is NULL
// for each), so the once-only initialisation FFmpeg runs is not needed.

#ifdef MCU_STATIC_CODECS

#include <stdint.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avstring.h>
#include <libavutil/mem.h>

// FFmpeg defines these as FFCodec, whose first member is the AVCodec.
extern const AVCodec ff_vp8_decoder;
extern const AVCodec ff_vp9_decoder;
extern const AVCodec ff_h264_decoder;
extern const AVCodec ff_opus_decoder;
extern const AVCodec ff_libdav1d_decoder;
extern const AVCodec ff_libvpx_vp8_encoder;
extern const AVCodec ff_libx264_encoder;

static const AVCodec *const codec_list[] = {
	&ff_libvpx_vp8_encoder,
	&ff_libx264_encoder,
	&ff_h264_decoder,
	&ff_vp8_decoder,
	&ff_vp9_decoder,
	&ff_opus_decoder,
	&ff_libdav1d_decoder,
	NULL,
};

const AVCodec *av_codec_iterate(void **opaque)
{
	uintptr_t i = (uintptr_t)*opaque;
	const AVCodec *c = codec_list[i];
	if (c)
		*opaque = (void *)(i + 1);
	return c;
}

static const AVCodec *find_codec(enum AVCodecID id, int (*want)(const AVCodec *))
{
	const AVCodec *p, *experimental = NULL;
	void *i = NULL;
	while ((p = av_codec_iterate(&i))) {
		if (!want(p) || p->id != id)
			continue;
		if ((p->capabilities & AV_CODEC_CAP_EXPERIMENTAL) && !experimental)
			experimental = p;
		else
			return p;
	}
	return experimental;
}

static const AVCodec *find_codec_by_name(const char *name, int (*want)(const AVCodec *))
{
	const AVCodec *p;
	void *i = NULL;
	if (!name)
		return NULL;
	while ((p = av_codec_iterate(&i)))
		if (want(p) && strcmp(name, p->name) == 0)
			return p;
	return NULL;
}

const AVCodec *avcodec_find_decoder(enum AVCodecID id) { return find_codec(id, av_codec_is_decoder); }
const AVCodec *avcodec_find_encoder(enum AVCodecID id) { return find_codec(id, av_codec_is_encoder); }
const AVCodec *avcodec_find_decoder_by_name(const char *name) { return find_codec_by_name(name, av_codec_is_decoder); }
const AVCodec *avcodec_find_encoder_by_name(const char *name) { return find_codec_by_name(name, av_codec_is_encoder); }

extern const AVInputFormat ff_ivf_demuxer;
extern const AVInputFormat ff_h264_demuxer;
extern const AVInputFormat ff_ogg_demuxer;
extern const AVInputFormat ff_matroska_demuxer;
extern const AVInputFormat ff_mov_demuxer;
extern const AVOutputFormat ff_webm_muxer;

static const AVInputFormat *const demuxer_list[] = {
	&ff_ivf_demuxer,
	&ff_h264_demuxer,
	&ff_ogg_demuxer,
	&ff_matroska_demuxer,
	&ff_mov_demuxer,
	NULL,
};

static const AVOutputFormat *const muxer_list[] = {
	&ff_webm_muxer,
	NULL,
};

const AVInputFormat *av_demuxer_iterate(void **opaque)
{
	uintptr_t i = (uintptr_t)*opaque;
	const AVInputFormat *f = demuxer_list[i];
	if (f)
		*opaque = (void *)(i + 1);
	return f;
}

const AVOutputFormat *av_muxer_iterate(void **opaque)
{
	uintptr_t i = (uintptr_t)*opaque;
	const AVOutputFormat *f = muxer_list[i];
	if (f)
		*opaque = (void *)(i + 1);
	return f;
}

// libavdevice registers its devices here; mcu does not link it.
void avpriv_register_devices(const AVOutputFormat *const o[], const AVInputFormat *const i[])
{
	(void)o;
	(void)i;
}

// The start of FFmpeg 5.1's URLProtocol (libavformat/url.h), up to the
// fields the registry reads. Only pointers to FFmpeg's own protocol
// definitions are ever read through it.
typedef struct URLProtocol {
	const char *name;
	void *url_open, *url_open2, *url_accept, *url_handshake;
	void *url_read, *url_write;
	void *url_seek, *url_close, *url_read_pause, *url_read_seek;
	void *url_get_file_handle, *url_get_multi_file_handle;
	void *url_get_short_seek, *url_shutdown;
	const AVClass *priv_data_class;
} URLProtocol;

extern const URLProtocol ff_file_protocol;

static const URLProtocol *const url_protocols[] = {
	&ff_file_protocol,
	NULL,
};

const AVClass *ff_urlcontext_child_class_iterate(void **iter)
{
	const AVClass *c = NULL;
	uintptr_t i;
	for (i = (uintptr_t)*iter; url_protocols[i]; i++) {
		c = url_protocols[i]->priv_data_class;
		if (c)
			break;
	}
	*iter = (void *)(url_protocols[i] ? i + 1 : i);
	return c;
}

const char *avio_enum_protocols(void **opaque, int output)
{
	const URLProtocol *const *p = *opaque;
	for (p = p ? p + 1 : url_protocols; *p; p++) {
		if ((output && (*p)->url_write) || (!output && (*p)->url_read)) {
			*opaque = (void *)p;
			return (*p)->name;
		}
	}
	*opaque = NULL;
	return NULL;
}

const AVClass *avio_protocol_get_class(const char *name)
{
	for (int i = 0; url_protocols[i]; i++)
		if (strcmp(url_protocols[i]->name, name) == 0)
			return url_protocols[i]->priv_data_class;
	return NULL;
}

const URLProtocol **ffurl_get_protocols(const char *whitelist, const char *blacklist)
{
	const URLProtocol **ret = av_calloc(sizeof(url_protocols) / sizeof(url_protocols[0]), sizeof(*ret));
	int n = 0;
	if (!ret)
		return NULL;
	for (int i = 0; url_protocols[i]; i++) {
		const URLProtocol *up = url_protocols[i];
		if (whitelist && *whitelist && !av_match_name(up->name, whitelist))
			continue;
		if (blacklist && *blacklist && av_match_name(up->name, blacklist))
			continue;
		ret[n++] = up;
	}
	return ret;
}

#endif // MCU_STATIC_CODECS
