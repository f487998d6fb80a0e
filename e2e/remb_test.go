package e2e_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"mcu/client"
	"mcu/internal/mediatest"
	"mcu/internal/testserver"
	"mcu/room"
)

// How long Chromium has to follow the server's REMB (the first time, and
// after its tile grew), and how long it must then stay there.
const (
	rembFollow   = 5 * time.Second
	rembFollowUp = 2 * time.Second
	rembHold     = 3 * time.Second
)

// TestChromiumFollowsREMB: Chromium's camera bitrate follows its tile. In
// a room whose 1280x720 mix is encoded at 300 kbit/s, beside a second
// participant (its picture a quarter of the canvas) it is worth
// 225 kbit/s; once alone (the whole canvas), 900 kbit/s. The REMB adds
// 80 kbit/s for its sound and headers, which Chromium counts in the
// ceiling. Each time, Chromium's camera target must settle near the
// tile's worth within rembFollow and stay there for rembHold; alone, pass
// the whole of the ceiling before within rembFollowUp and stay above it.
//
// Measured here on 2026-12-03: Chromium keeps 70-100 kbit/s of a ceiling
// for its audio and overhead (2026-12-04: with the allowance, its target
// beside the other participant settled at 197-237 kbit/s under a REMB of
// 305 kbit/s, where it had been 133-160 under 225). With no REMB it sits at 250-600 kbit/s in
// its first seconds (probing to 1.4 Mbit/s at times) and then climbs to
// 1.7 Mbit/s, its most for 640x360, whatever the tile. With REMB but no
// transport-cc, a raised ceiling is approached at 8 % a second (565 kbit/s
// to 1.2 Mbit/s in 10 s); with transport-cc, within a second.
func TestChromiumFollowsREMB(t *testing.T) {
	requireTools(t)
	people := participants(t, conferenceIDs[0])
	srv := testserver.Start(t, func(c *room.Config) { c.Mixer.Video.Bitrate = 300_000 })
	ctx, cancel := context.WithTimeout(context.Background(), joinTimeout)
	defer cancel()
	clip := filepath.Join("..", "testdata", "p02")
	other, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: conferenceRoom, Name: "p02",
		Video: clip + ".ivf", Audio: clip + ".ogg"})
	if err != nil {
		t.Fatalf("the other participant: %v", err)
	}
	defer other.Close()
	cancel()
	page := servePage(t, srv.URL)
	b := launch(t, people[0], busyCamera(t, people[0]), page, "window.mcuTestReady === true")
	b.join(t, srv.URL)

	follow := func(what string, low, ceiling float64, within time.Duration) error {
		t.Helper()
		var targets, rates []float64 // the target, and what was sent since the sample before (bit/s)
		var limits []string          // what limited the camera's quality
		var bytes float64
		var at time.Time
		target := func() float64 {
			s := eval[*struct {
				TargetBitrate float64 `json:"targetBitrate"`
				BytesSent     float64 `json:"bytesSent"`
				Limitation    string  `json:"limitation"`
			}](t, b, evalTimeout, "mcuTest.sent()")
			if s == nil {
				return 0
			}
			now := time.Now()
			if !at.IsZero() {
				rates = append(rates, 8*(s.BytesSent-bytes)/now.Sub(at).Seconds())
			}
			bytes, at = s.BytesSent, now
			targets = append(targets, s.TargetBitrate)
			if len(limits) == 0 || limits[len(limits)-1] != s.Limitation {
				limits = append(limits, s.Limitation)
			}
			return s.TargetBitrate
		}
		// Before the first REMB lands Chromium may probe far above it,
		// so what counts is a target within the bounds for rembHold on
		// end, reached within the given time of the change.
		deadline := time.Now().Add(within + rembHold)
		var since time.Time // since when the target has been within bounds
		for {
			now := time.Now()
			if v := target(); v < low || v > ceiling {
				since = time.Time{}
			} else if since.IsZero() {
				since = now
			}
			if !since.IsZero() && now.Sub(since) >= rembHold {
				break
			}
			if now.After(deadline) {
				// Its bandwidth estimator is Chromium's own, and Debian
				// updates Chromium within a release: say which one.
				return fmt.Errorf("%s: Chromium's camera target did not stay within [%.0f, %.0f] bit/s for %v within %v: %.0f; sent (bit/s): %.0f; limited by %q (%s)",
					what, low, ceiling, rembHold, within+rembHold, targets, rates, limits, browserVersion(chromiumPath))
			}
			time.Sleep(250 * time.Millisecond)
		}
		t.Logf("%s: Chromium's camera target (bit/s): %.0f; sent: %.0f; limited by %q", what, targets, rates, limits)
		return nil
	}
	// Not far under the tile's worth either: the REMB's allowance is
	// what keeps it there.
	if err := follow("beside the other participant", 175_000, 225_000+80_000, rembFollow); err != nil {
		t.Fatal(err)
	}
	// Alone, the ceiling rises to 980 kbit/s. How far Chromium goes under
	// it is its own estimate of the path: 550-900 kbit/s here, but on this
	// loaded 2-core machine 373-387 kbit/s in about one run of four
	// (transport-cc's delay-based estimate, not the REMB). A target above
	// the whole of the REMB before (305 kbit/s, which held it at 197-254)
	// within 2 s shows it took the raised one with transport-cc; without,
	// it climbs 8 % a second and passes 320 kbit/s only after ~3 s. A
	// Chromium that held at 189 kbit/s once gets one more try: the other
	// participant comes back and leaves again.
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), joinTimeout)
		err := other.Leave(ctx)
		cancel()
		if err != nil {
			t.Fatalf("the other participant's leave: %v", err)
		}
		err = follow("alone", 320_000, 900_000+80_000, rembFollowUp)
		if err == nil {
			break
		}
		if attempt == 2 {
			t.Fatal(err)
		}
		t.Logf("%v; once more", err)
		ctx, cancel = context.WithTimeout(context.Background(), joinTimeout)
		other, err = client.Connect(ctx, client.Options{Server: srv.URL, Room: conferenceRoom, Name: "p02",
			Video: clip + ".ivf", Audio: clip + ".ogg"})
		cancel()
		if err != nil {
			t.Fatalf("the other participant, back: %v", err)
		}
		defer other.Close()
		if err := follow("beside the other participant again", 175_000, 225_000+80_000, rembFollow); err != nil {
			t.Fatal(err)
		}
	}
}

// busyCamera is p's fake camera and microphone (see fakeMedia) with
// changing noise over every picture. Chromium's bandwidth estimate does
// not rise far above what it has sent, and the clips' flat colours at
// 15 fps leave its encoder well under any target: in CI the target
// held at 310 kbit/s under a REMB of 980 kbit/s, on a camera that never
// sent as much as its target of 237 kbit/s before. A noisy picture takes
// whatever rate it is given, so what the test sees is the REMB.
func busyCamera(t *testing.T, p mediatest.Participant) mediaFiles {
	t.Helper()
	dir := t.TempDir()
	files := mediaFiles{video: filepath.Join(dir, p.Name+".y4m"), audio: filepath.Join(dir, p.Name+".wav")}
	ctx, cancel := context.WithTimeout(t.Context(), convertTimeout)
	defer cancel()
	if err := ffmpeg(ctx, mediatest.TestdataPath(t, p.Name+".ivf"), files.video,
		"-vf", fmt.Sprintf("scale=640:360,fps=%d,noise=alls=30:allf=t+u", fakeCameraFPS),
		"-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe"); err != nil {
		t.Fatal(err)
	}
	if err := ffmpeg(ctx, mediatest.TestdataPath(t, p.Name+".ogg"), files.audio,
		"-ar", "48000", "-ac", "2", "-c:a", "pcm_s16le", "-f", "wav"); err != nil {
		t.Fatal(err)
	}
	return files
}
