package codec

import (
	"encoding/binary"
	"io"
	"os"
)

// ivfFirstFrame reads the IVF file at path: the FourCC its header gives,
// and the start of its first frame (up to 4 KiB, enough for its headers;
// nil if there is none).
func ivfFirstFrame(path string) (fourCC string, first []byte) {
	f, err := os.Open(path)
	if err != nil {
		return "", nil
	}
	defer f.Close()
	var hdr [44]byte // the file's header (FFmpeg reads 32 bytes whatever its length field says) and the frame's
	if _, err := io.ReadFull(f, hdr[:]); err != nil {
		return "", nil
	}
	size := min(int(binary.LittleEndian.Uint32(hdr[32:])), 4096)
	frame := make([]byte, size)
	n, _ := io.ReadFull(f, frame)
	return string(hdr[8:12]), frame[:n]
}

// framesCodec is the codec an IVF file's first frame is a keyframe of,
// when its header names another (said; 0: one mcu does not decode): a
// recorder that writes one FourCC whatever it records. ok is false when
// the frame is a keyframe of said, or of none.
func framesCodec(first []byte, said VideoCodec) (c VideoCodec, ok bool) {
	if len(first) == 0 || said != 0 && IsKeyframe(said, first) {
		return 0, false
	}
	for _, c := range []VideoCodec{VP8, VP9, AV1} {
		if c != said && IsKeyframe(c, first) {
			return c, true
		}
	}
	return 0, false
}
