//go:build cgo

package codec

import "testing"

// TestVP8ClampingTypeIsNoRange: a VP8 keyframe whose clamping_type bit is
// set (pixel values need no clamping, RFC 6386 9.2; the bit after
// color_space, both of probability one half, so setting bit 6 of the
// first partition's first byte flips it and leaves the rest to decode
// the same) is the same picture: FFmpeg takes the bit for full range,
// and mapped from it the bars' black would be lifted from 16 to 30.
func TestVP8ClampingTypeIsNoRange(t *testing.T) {
	p := lavfiPicture(t, "smptebars=size=320x180:rate=30", "-pix_fmt", "yuv420p", "-c:v", "libvpx", "-b:v", "2M")
	if p.Data[0]&1 != 0 || p.Data[10]&0xc0 != 0 {
		t.Fatalf("not a keyframe with color_space and clamping_type 0: %x", p.Data[:11])
	}
	want := decodeOne(t, VP8, p.Data, nil)
	clamped := append([]byte(nil), p.Data...)
	clamped[10] |= 0x40
	got := decodeOne(t, VP8, clamped, nil)
	if q := psnr(t, &got.YCbCr, &want.YCbCr); q < 60 {
		y := 170*got.YStride + 300 // the bottom row's black
		t.Errorf("with clamping_type 1: PSNR %.1f dB against the same picture without; luma %d where it was %d", q, got.Y[y], want.Y[y])
	}
}
