package e2e_test

import (
	"slices"
	"testing"
	"time"

	"mcu/internal/testserver"
	"mcu/room"
)

// rembWindow is how long TestChromiumFollowsREMB watches Chromium's camera
// target: long enough for Chromium to go past the ceiling by its own
// ramp-up if it ignored the REMBs.
const rembWindow = 12 * time.Second

// TestChromiumFollowsREMB: alone in a room whose 1280x720 mix is encoded at
// 200 kbit/s, a participant's tile (the whole canvas) is worth 600 kbit/s,
// and the server says so in its REMBs. Chromium must bring its camera's
// target up to near that ceiling and keep it under.
//
// Measured here on 2026-12-03: with the REMBs, Chromium's target goes from
// 250 kbit/s to 500 kbit/s within a second and stays; with a higher
// ceiling it goes to 1.7 Mbit/s, its most for 640x360; with no REMB at all
// it climbs 8 % a second on its own, from 250 kbit/s past 600 kbit/s after
// 10 s and 1.3 Mbit/s after 20 s.
func TestChromiumFollowsREMB(t *testing.T) {
	requireTools(t)
	people := participants(t, conferenceIDs[0])
	srv := testserver.Start(t, func(c *room.Config) { c.Mixer.Video.Bitrate = 200_000 })
	page := servePage(t, srv.URL)
	b := launch(t, people[0], fakeMedia(t, people)[0], page, "window.mcuTestReady === true")
	b.join(t, srv.URL)
	const (
		ceiling = 600_000
		reached = 400_000 // Chromium keeps some of the ceiling for audio and overhead
	)
	type sent struct {
		TargetBitrate float64 `json:"targetBitrate"`
	}
	var targets []float64
	for end := time.Now().Add(rembWindow); time.Now().Before(end); time.Sleep(500 * time.Millisecond) {
		if s := eval[*sent](t, b, evalTimeout, "mcuTest.sent()"); s != nil && s.TargetBitrate > 0 {
			targets = append(targets, s.TargetBitrate)
		}
	}
	t.Logf("Chromium's camera target over %v (bit/s): %.0f", rembWindow, targets)
	if len(targets) == 0 {
		t.Fatal("no outbound video in Chromium's statistics")
	}
	if top := slices.Max(targets); top > ceiling {
		t.Errorf("the target went to %.0f bit/s, above the ceiling of %d", top, ceiling)
	}
	if last := targets[len(targets)-1]; last < reached {
		t.Errorf("the target ends at %.0f bit/s, want at least %d (near the ceiling of %d)", last, reached, ceiling)
	}
}
