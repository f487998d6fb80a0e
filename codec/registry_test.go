//go:build cgo

package codec

import (
	"testing"

	"github.com/asticode/go-astiav"
)

// TestFFmpegHasWhatMcuUses: every FFmpeg component mcu asks for by id or
// name is there, whether FFmpeg is Debian's shared build or the static one
// with mcu's cut-down lists (codec/ffregistry.c, the Makefile's build).
func TestFFmpegHasWhatMcuUses(t *testing.T) {
	for c := range ffmpegIDs {
		d, err := NewVideoDecoder(c)
		if err != nil {
			t.Errorf("%v decoder: %v", c, err)
			continue
		}
		d.Close()
	}
	if astiav.FindDecoder(astiav.CodecIDOpus) == nil {
		t.Error("no Opus decoder (FFmpeg probes Ogg and WebM audio with it)")
	}
	if astiav.FindEncoderByName("libvpx") == nil {
		t.Error("no libvpx encoder")
	}
	for c := IVF; c <= MP4; c++ {
		if astiav.FindInputFormat(c.demuxer()) == nil {
			t.Errorf("no %q demuxer for %v", c.demuxer(), c)
		}
	}
	fc, err := astiav.AllocOutputFormatContext(nil, "webm", "")
	if err != nil {
		t.Errorf("webm muxer: %v", err)
	} else {
		fc.Free()
	}
	if astiav.FindBitStreamFilterByName("h264_mp4toannexb") == nil {
		t.Error("no h264_mp4toannexb filter")
	}
}
