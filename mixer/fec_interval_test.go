package mixer

import (
	"math/rand/v2"
	"testing"
	"time"

	"mcu/audio"
)

// TestAudioLossHeldBetweenBrowserReports: libwebrtc (Chrome,
// Firefox, Safari) sends the RTCP of an audio stream it receives every
// 5 s on average, each interval drawn from 0.5-1.5 times that (2.5-7.5 s;
// rtcp_sender.cc: kDefaultAudioReportInterval), not every second as pion
// does. A viewer on a link that steadily loses 2 % of packets reports 2 %
// in every report; the full mix's FEC, which the design holds steady for
// steady light loss (loss.go: "steady light loss holds FEC steadily"),
// must then not drop out between two reports.
func TestAudioLossHeldBetweenBrowserReports(t *testing.T) {
	m, err := New(testConfig(), &capture{})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(8, 8))
	next := time.Second
	started, prev, offs, offTicks, ticks := false, false, 0, 0, 0
	for k := int64(0); k < 15000; k++ { // 300 s of audio ticks
		at := time.Duration(k) * audio.FrameDuration
		if at >= next {
			m.SetAudioLoss("viewer", 2)
			next += 2500*time.Millisecond + time.Duration(rng.Int64N(int64(5*time.Second)))
		}
		m.mu.Lock()
		m.takeLoss(at)
		m.mu.Unlock()
		m.updateLoss(at)
		lossy := m.AudioLoss() > 0
		if started && prev && !lossy {
			offs++
		}
		if started = started || lossy; started {
			ticks++
			if !lossy {
				offTicks++
			}
		}
		prev = lossy
	}
	if offs > 0 {
		t.Errorf("a viewer steadily losing 2 %%, reporting every 2.5-7.5 s: the full mix's FEC dropped out %d times in 300 s (%.0f %% of the time without it): each drop out and back switches everyone's speech between CELT and SILK",
			offs, 100*float64(offTicks)/float64(ticks))
	}
}
