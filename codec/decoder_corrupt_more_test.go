package codec

import (
	"errors"
	"testing"
)

// TestDecoderWaitsForKeyframeAfterCorrupt: once the decoder refuses a
// frame (ErrCorrupt), its references may be wrong, so it takes nothing
// but a keyframe: the frames after the damaged one are dropped with
// ErrNeedKeyframe (the caller asks the sender for a keyframe), not
// decoded into smeared pictures.
func TestDecoderWaitsForKeyframeAfterCorrupt(t *testing.T) {
	frames, _ := encodeClip(t, smallConfig(), 3, false)
	dec := newTestDecoder(t, VP8)
	f := &Frame{}
	if err := dec.Send(frames[0].Data, 0); err != nil {
		t.Fatal(err)
	}
	if ok, err := dec.Receive(f); !ok || err != nil {
		t.Fatalf("keyframe: %v %v", ok, err)
	}
	// A keyframe cut after its header: it passes for one, FFmpeg refuses it.
	err := dec.Send(frames[0].Data[:20], 0)
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("a keyframe cut short: %v, want ErrCorrupt", err)
	}
	if !dec.NeedsKeyframe() {
		t.Error("after a corrupt frame the decoder does not wait for a keyframe")
	}
	if err := dec.Send(frames[1].Data, 0); !errors.Is(err, ErrNeedKeyframe) {
		t.Errorf("a delta frame after a corrupt one: %v, want ErrNeedKeyframe", err)
	}
	if err := dec.Send(frames[0].Data, 0); err != nil {
		t.Errorf("the keyframe again: %v", err)
	}
}
