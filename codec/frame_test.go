package codec

import "testing"

// TestFrameResizeKeepsMemoryNearSize follows a live tile through a room
// that grows from one to sixteen people: the frame's memory follows the
// picture down instead of staying at the largest size it ever had, and is
// reused when the size barely changes.
func TestFrameResizeKeepsMemoryNearSize(t *testing.T) {
	f := &Frame{}
	for _, s := range [][2]int{{1280, 720}, {640, 360}, {426, 240}, {322, 180}, {320, 180}} {
		var before *byte
		if len(f.mem) > 0 {
			before = &f.mem[0]
		}
		f.Resize(s[0], s[1])
		w, h := f.Width(), f.Height()
		if w != s[0] || h != s[1] || f.SourceWidth != w || f.SourceHeight != h {
			t.Fatalf("Resize(%d, %d) gave %dx%d (source %dx%d)", s[0], s[1], w, h, f.SourceWidth, f.SourceHeight)
		}
		if len(f.Y) < f.YStride*(h-1)+w || len(f.Cb) < f.CStride*((h+1)/2-1)+(w+1)/2 || len(f.Cr) != len(f.Cb) {
			t.Fatalf("%dx%d: planes too short: Y %d (stride %d), Cb %d, Cr %d", w, h, len(f.Y), f.YStride, len(f.Cb), len(f.Cr))
		}
		used := len(f.Y) + len(f.Cb) + len(f.Cr)
		if c := cap(f.mem); c > used+used/4+readPad {
			t.Errorf("%dx%d: holds %d bytes for %d bytes of picture", w, h, c, used)
		}
		if s == [2]int{320, 180} && &f.mem[0] != before {
			t.Errorf("320x180 after 322x180: reallocated instead of reusing the memory")
		}
	}
}
