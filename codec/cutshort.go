//go:build cgo

package codec

/*
#cgo pkg-config: libavformat
#include <libavformat/avformat.h>

static int64_t mcu_stated_duration(AVFormatContext *fc) {
	// Only what the file says: a duration FFmpeg worked out from the
	// bit rate is a guess.
	if (fc->duration_estimation_method != AVFMT_DURATION_FROM_STREAM) return AV_NOPTS_VALUE;
	return fc->duration;
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
		d := int64(C.mcu_stated_duration(c))
		if d <= 0 || d == int64(C.AV_NOPTS_VALUE) {
			return ""
		}
		stated := time.Duration(d) * time.Microsecond
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
