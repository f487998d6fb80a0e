package codec

import "testing"

// TestVP8KeyframeSizeIgnoresScaling: a VP8 keyframe's width and height
// are 14 bits each, the two bits above them the upscaling the encoder
// asks of the display (RFC 6386 9.1), not part of the size.
func TestVP8KeyframeSizeIgnoresScaling(t *testing.T) {
	// 640x360, horizontal scale 2 (5/3), vertical scale 3 (2).
	key := []byte{0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x82, 0x68, 0xc1}
	w, h, ok := VP8KeyframeSize(key)
	if !ok || w != 640 || h != 360 {
		t.Errorf("VP8KeyframeSize = %d, %d, %v; want 640, 360, true", w, h, ok)
	}
}

// TestVP9FrameEndingLikeAnIndex: a VP9 frame whose last byte merely looks
// like a superframe index's marker (one frame in eight ends with a byte
// of 0xc0 to 0xdf) is one frame, since the index starts with the same
// byte. Split by the would-be sizes, its second part would be read as a
// frame of profile 3, and a sender of profile 0 refused.
func TestVP9FrameEndingLikeAnIndex(t *testing.T) {
	// A profile 0 keyframe's start, bytes that read as a profile 3
	// frame's, and what reads as the index of two frames of 5 and 2 bytes
	// (0xc1) but does not start with 0xc1.
	frame := []byte{0x82, 0x49, 0x83, 0x42, 0x00, 0xb0, 0x00, 0x00, 0x05, 0x02, 0xc1}
	if n := Frames(VP9, frame); n != 1 {
		t.Errorf("Frames = %d, want 1", n)
	}
	if !FitsLiveProfile(VP9, frame) {
		t.Error("a profile 0 frame does not fit the live profile")
	}
	// With the index's first byte the marker, it is a superframe.
	frame[7] = 0xc1
	if n := Frames(VP9, frame); n != 2 {
		t.Errorf("a superframe: Frames = %d, want 2", n)
	}
	if FitsLiveProfile(VP9, frame) {
		t.Error("a superframe with a frame of profile 3 fits the live profile")
	}
}
