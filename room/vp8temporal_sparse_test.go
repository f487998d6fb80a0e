package room

import "testing"

// TestTemporalLayersSparseSyncFramesAskNoKeyframe: a sender coding three
// temporal layers (0 2 1 2 0 2 1 2) whose frames say Y as sparsely as
// browsers do, one in every eight frames of each layer, loses one frame
// above the base layer, wherever it falls: the frames skipped waiting
// for the sync frames stay within maxLayerSkips, so no keyframe is asked
// for (a large frame on the sender's link, and a frozen tile until it
// comes), and every layer is whole again afterwards.
func TestTemporalLayersSparseSyncFramesAskNoKeyframe(t *testing.T) {
	const every = 8 // frames of a layer for each that says Y
	for lossAt := 100; lossAt < 100+8*every; lossAt++ {
		if lossAt%4 == 0 {
			continue // a base-layer frame: its loss is another matter
		}
		var s temporalLayers
		s.admit(temporalLayer{ok: true}, false, true, false)
		tl0, n1, n2 := 0, 0, 0
		lost, skipped := false, 0
		for i := 1; i < 300; i++ {
			l := temporalLayer{tl0: tl0, ok: true}
			switch i % 4 {
			case 0:
				tl0 = (tl0 + 1) % 256
				l.tl0 = tl0
			case 1, 3:
				l.tid, l.sync = 2, n2%every == 0
				n2++
			case 2:
				l.tid, l.sync = 1, n1%every == 0
				n1++
			}
			if i == lossAt {
				lost = true
				continue
			}
			switch s.admit(l, lost, false, false) {
			case layerAfterLoss:
				t.Fatalf("frame %d lost: a keyframe asked for at frame %d", lossAt, i)
			case layerSkip:
				skipped++
			}
			lost = false
		}
		if !s.known || s.broken&s.seen != 0 {
			t.Errorf("frame %d lost: %d frames skipped, then %+v; want every layer whole again", lossAt, skipped, s)
		}
	}
}
