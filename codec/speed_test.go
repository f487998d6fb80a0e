package codec

import (
	"bytes"
	"testing"
)

// TestVP8SetSpeed: a speed change reaches the running libvpx encoder at the
// next frame, without a keyframe (the frames before it are those of an
// encoder left alone, the frames after differ from them), and a reopening
// for a bitrate change keeps it.
func TestVP8SetSpeed(t *testing.T) {
	const change, n = 10, 20
	encode := func(speedAt map[int]int, fixedRate bool) ([]EncodedFrame, *VP8Encoder) {
		enc, err := NewVP8Encoder(smallConfig())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(enc.Close)
		if fixedRate {
			enc.fixedRate = errNoRetarget
		}
		var out []EncodedFrame
		for i := range n {
			if s, ok := speedAt[i]; ok {
				if err := enc.SetSpeed(s); err != nil {
					t.Fatalf("SetSpeed(%d): %v", s, err)
				}
			}
			pic := testPicture(320, 180, i, true)
			f, err := enc.Encode(&pic.YCbCr, pic.PTS, false)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, f)
		}
		return out, enc
	}
	same, _ := encode(nil, false)
	faster, enc := encode(map[int]int{change: -16}, false)
	if got := enc.Config().Speed; got != -16 {
		t.Errorf("speed %d after the change, want -16", got)
	}
	differ := 0
	for i := range n {
		equal := bytes.Equal(same[i].Data, faster[i].Data)
		switch {
		case i < change && !equal:
			t.Errorf("frame %d, before the change, differs from the unchanged encoder's", i)
		case i >= change && !equal:
			differ++
		}
		if faster[i].Key != (i == 0) {
			t.Errorf("frame %d: key %v, want a keyframe only first", i, faster[i].Key)
		}
	}
	if differ == 0 {
		t.Error("every frame after the change is the unchanged encoder's: the speed did not reach libvpx")
	}

	// Set back to the first speed at once: nothing changes.
	back, _ := encode(map[int]int{change: -16, change + 1: DefaultVP8Config().Speed}, false)
	if bytes.Equal(back[change+5].Data, faster[change+5].Data) {
		t.Error("setting the speed back changed nothing")
	}

	// An encoder reopened for its bitrate keeps the speed last set.
	_, enc = encode(map[int]int{change: -12}, true)
	if err := enc.SetBitrate(300_000); err != nil {
		t.Fatal(err)
	}
	pic := testPicture(320, 180, n, true)
	if f, err := enc.Encode(&pic.YCbCr, pic.PTS, false); err != nil || !f.Key {
		t.Fatalf("the encode after a bitrate change that reopens: key %v, err %v; want a keyframe", f.Key, err)
	}
	if got := enc.Config().Speed; got != -12 {
		t.Errorf("speed %d after a reopening, want -12", got)
	}

	for _, bad := range []int{0, 1, -17} {
		if err := enc.SetSpeed(bad); err == nil {
			t.Errorf("SetSpeed(%d) accepted", bad)
		}
	}
	if got := enc.Config().Speed; got != -12 {
		t.Errorf("speed %d after refused changes, want -12", got)
	}
}
