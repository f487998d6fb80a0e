//go:build cgo

package codec

/*
#cgo pkg-config: libavformat
#include <libavformat/avformat.h>

// mcu_stated_end is where the file says the streams read (indices
// video and audio, -1 for none) end, on the file's timeline (from its 0,
// not from its start), in AV_TIME_BASE; AV_NOPTS_VALUE when it does not
// say.
static int64_t mcu_stated_end(AVFormatContext *fc, int video, int audio, int mp4) {
	// Only what the file says: a duration FFmpeg worked out from the
	// bit rate is a guess.
	if (fc->duration_estimation_method != AVFMT_DURATION_FROM_STREAM || fc->duration == AV_NOPTS_VALUE) return AV_NOPTS_VALUE;
	unsigned read = (video >= 0) + (audio >= 0);
	if (fc->nb_streams <= read) return fc->duration;
	// Streams mcu does not read (AAC music, subtitles) may last longer:
	// the file's duration is theirs too. An MP4 says each track's own;
	// Matroska says none.
	if (!mp4) return AV_NOPTS_VALUE;
	int64_t end = AV_NOPTS_VALUE;
	for (int i = 0; i < 2; i++) {
		int idx = i == 0 ? video : audio;
		if (idx < 0) continue;
		AVStream *st = fc->streams[idx];
		if (st->duration == AV_NOPTS_VALUE || st->duration <= 0) return AV_NOPTS_VALUE;
		int64_t e = av_rescale_q(st->duration + (st->start_time == AV_NOPTS_VALUE ? 0 : st->start_time), st->time_base, AV_TIME_BASE_Q);
		if (end == AV_NOPTS_VALUE || e > end) end = e;
	}
	return end;
}
*/
import "C"

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"time"
)

// CutShort says how the file looks cut short (a copy or a download not
// finished, a recorder that stopped mid-write) when its packets, of any
// stream, end at end; "" when it does not. Matroska and MP4 files say how
// long they last; an Ogg file ends with a page marked the end of its stream.
func (in *Input) CutShort(end time.Duration) string {
	switch in.container {
	case Matroska, MP4:
		c := avFormatContext(in.fc)
		if c == nil {
			return ""
		}
		video, audio := C.int(-1), C.int(-1)
		if in.video != nil {
			video = C.int(in.video.index)
		}
		if in.audio != nil {
			audio = C.int(in.audio.index)
		}
		mp4 := C.int(0)
		if in.container == MP4 {
			mp4 = 1
		}
		d := int64(C.mcu_stated_end(c, video, audio, mp4))
		if d <= 0 || d == int64(C.AV_NOPTS_VALUE) {
			return ""
		}
		stated := time.Duration(d) * time.Microsecond
		// The header's duration counts from the timeline's 0, the
		// packets' end from the file's start: a file whose times start
		// later (a segment of a longer recording, its times kept) ends
		// where it says.
		if st := c.start_time; st != C.AV_NOPTS_VALUE && st > 0 {
			end += time.Duration(st) * time.Microsecond
		}
		if stated-end > max(time.Second, stated/20) {
			return fmt.Sprintf("its header says it lasts %v, its packets end at %v", stated.Round(time.Millisecond), end.Round(time.Millisecond))
		}
	case Ogg:
		return oggCutShort(in.path)
	}
	return ""
}

// oggCutShort says how the Ogg file at path ends cut short: in the middle
// of a page, or without a page that ends a stream.
func oggCutShort(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return ""
	}
	const tail = 128 << 10 // more than a page (at most 65,307 bytes) and the next one's start
	from := max(0, st.Size()-tail)
	b := make([]byte, st.Size()-from)
	if _, err := f.ReadAt(b, from); err != nil && err != io.EOF {
		return ""
	}
	// The last page that starts where a page may: with the capture
	// pattern, stream structure version 0, and whole after its header.
	for i := bytes.LastIndex(b, []byte("OggS")); i >= 0; i = bytes.LastIndex(b[:i], []byte("OggS")) {
		if len(b)-i < 27 || b[i+4] != 0 {
			continue
		}
		n := int(b[i+26])
		if len(b)-i < 27+n {
			return "it ends in the middle of a page"
		}
		size := 27 + n
		for _, s := range b[i+27 : i+27+n] {
			size += int(s)
		}
		switch {
		case len(b)-i < size:
			return "it ends in the middle of a page"
		case len(b)-i > size:
			return "" // something else after the last page: not a cut
		case b[i+5]&4 == 0:
			return fmt.Sprintf("its last page (number %d) does not end its stream", binary.LittleEndian.Uint32(b[i+18:]))
		}
		return ""
	}
	return ""
}
