package room

import "testing"

// TestTemporalLayersBackAfterShedding: Chromium's L1T3 pattern (from a
// capture: 0 2Y 1Y 2 0 2 1 2), its upper layers shed for 8 s: wherever in
// the pattern the shedding ends, every frame decodes again within 8
// frames (the next sync frame of each layer), and no keyframe is asked
// for: a server that had to shed is whole again at once.
func TestTemporalLayersBackAfterShedding(t *testing.T) {
	pattern := []temporalLayer{{tid: 0}, {tid: 2, sync: true}, {tid: 1, sync: true}, {tid: 2}, {tid: 0}, {tid: 2}, {tid: 1}, {tid: 2}}
	for end := 240; end < 248; end++ {
		var s temporalLayers
		s.admit(temporalLayer{ok: true}, false, true, false)
		tl0, lastSkip, asked := 0, -1, -1
		for i := 1; i < end+100; i++ {
			l := pattern[i%8]
			l.ok = true
			if l.tid == 0 {
				tl0 = (tl0 + 1) % 256
			}
			l.tl0 = tl0
			switch s.admit(l, false, false, false) {
			case layerAfterLoss:
				asked = i
			case layerSkip:
				lastSkip = i
			case layerDecode:
				if i < end && l.tid > 0 {
					s.shed(l)
				}
			}
		}
		t.Logf("shedding ends at frame %d: last frame skipped %d (%d frames after), keyframe asked at %d", end, lastSkip, lastSkip-end+1, asked)
		if asked >= 0 || lastSkip-end+1 > 8 {
			t.Errorf("end %d: skipped up to %d, asked %d", end, lastSkip, asked)
		}
	}
}
