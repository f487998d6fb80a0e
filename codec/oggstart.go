package codec

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"time"
)

// oggCRC is Ogg's page checksum (RFC 3533): CRC-32, polynomial
// 0x04c11db7, not reflected, initial value 0.
var oggCRC = func() *[256]uint32 {
	var t [256]uint32
	for i := range t {
		r := uint32(i) << 24
		for range 8 {
			if r&0x80000000 != 0 {
				r = r<<1 ^ 0x04c11db7
			} else {
				r <<= 1
			}
		}
		t[i] = r
	}
	return &t
}()

func oggChecksum(page []byte) uint32 {
	var c uint32
	for i, b := range page {
		if i >= 22 && i < 26 { // the checksum field, taken as zeros
			b = 0
		}
		c = c<<8 ^ oggCRC[byte(c>>24)^b]
	}
	return c
}

// maxOggPageTime is the most sound one Ogg Opus page can hold: 255
// packets of 120 ms.
const maxOggPageTime = 255 * 120 * time.Millisecond

// oggLostStart reads the Ogg file at path from its start to the first
// audio page of its Opus stream that is whole (its checksum right) and
// says how many pages of that stream were lost before it: pages FFmpeg
// skipped for a wrong checksum, whose sound the stream then starts
// without, and whose time FFmpeg's start time leaves out. 0 when
// nothing is lost, or the file cannot be read so far. A gap in the page
// numbers alone is no loss: a live stream joined midway (a capture of
// an Icecast stream) has its header pages, then pages numbered as the
// stream went; the pages counted are those read and refused.
func oggLostStart(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64<<10)
	var serial uint32
	found := false
	lastHeader := -1 // the highest page number of the stream's header pages
	refused := 0     // pages with a wrong checksum since the stream's first
	page := make([]byte, 0, 65307)
	for n := 0; n < 4096; n++ { // the first audio page comes long before
		var hdr [27]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return 0
		}
		if string(hdr[:4]) != "OggS" {
			// Out of step (damage): FFmpeg looks for the next page;
			// too rare to follow here.
			return 0
		}
		segs := make([]byte, hdr[26])
		if _, err := io.ReadFull(r, segs); err != nil {
			return 0
		}
		size := 0
		for _, s := range segs {
			size += int(s)
		}
		page = append(append(append(page[:0], hdr[:]...), segs...), make([]byte, size)...)
		if _, err := io.ReadFull(r, page[27+len(segs):]); err != nil {
			return 0
		}
		if oggChecksum(page) != binary.LittleEndian.Uint32(hdr[22:]) {
			if found {
				refused++
			}
			continue // FFmpeg skips it
		}
		ser, seq := binary.LittleEndian.Uint32(hdr[14:]), int(binary.LittleEndian.Uint32(hdr[18:]))
		granule := int64(binary.LittleEndian.Uint64(hdr[6:]))
		body := page[27+len(segs):]
		switch {
		case !found && hdr[5]&2 != 0 && bytes.HasPrefix(body, []byte("OpusHead")):
			serial, found, lastHeader = ser, true, seq
		case !found || ser != serial:
		case granule == 0: // OpusTags
			lastHeader = max(lastHeader, seq)
		default: // the first whole audio page
			return min(max(0, seq-lastHeader-1), refused)
		}
	}
	return 0
}
