package room

import (
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// TestDownlinkEstimate follows one receiver's estimate through its
// reports: it starts at the configured bitrate; heavy loss takes half the
// loss off the estimate or off what is sent, whichever is less, never
// below the floor; moderate loss holds; light loss grows it 8 % a second
// of the time since the last report (a long silence counting as 2 s),
// never past the configured bitrate.
func TestDownlinkEstimate(t *testing.T) {
	const floor, ceiling = 200_000, 1_000_000
	d := newDownlinkEstimate(floor, ceiling)
	t0 := time.Unix(1000, 0)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	near := func(step string, want float64) {
		t.Helper()
		if got := d.value(); math.Abs(float64(got)-want) > 1 {
			t.Errorf("%s: estimate %d, want %.0f", step, got, want)
		}
	}
	near("before any report", ceiling)
	d.report(at(0), 0, ceiling)
	near("no loss at the ceiling", ceiling)
	d.report(at(1), 64, ceiling) // 25 %
	near("25 % loss", ceiling*0.875)
	d.report(at(2), 128, ceiling) // 50 %, the mix still at the ceiling (another receiver's estimate is lower)
	near("50 % loss", ceiling*0.875*0.75)
	low := ceiling * 0.875 * 0.75
	d.report(at(3), 13, ceiling) // 5 %: holds
	near("5 % loss", low)
	d.report(at(3.5), 25, ceiling) // 9.8 %: holds
	near("9.8 % loss", low)
	d.report(at(4), 6, ceiling) // 2.3 %: holds
	near("2.3 % loss", low)
	d.report(at(4.5), 5, ceiling) // 2 %: grows for the half second since the last report
	grown := low * math.Sqrt(1.08)
	near("2 % loss", grown)
	d.report(at(14.5), 0, ceiling) // ten seconds later: grows as for two
	grown *= 1.08 * 1.08
	near("no loss 10 s later", grown)
	d.report(at(15), 26, 400_000) // 10.2 %, while the mix is sent at 400k for someone else
	near("10.2 % loss from what is sent", 400_000*(1-26.0/512))
	for s := 16.0; s < 30; s++ {
		d.report(at(s), 255, ceiling)
	}
	near("heavy loss for long", floor)
	for s := 30.0; s < 60; s++ {
		d.report(at(s), 0, ceiling)
	}
	near("no loss for long", ceiling)
}

// TestDownlinkFeedback: only the report blocks about the composite's SSRC
// towards this receiver count, from receiver and sender reports (a REMB
// does not: see downlink); each packet that changed the estimate passes
// it on.
func TestDownlinkFeedback(t *testing.T) {
	const ssrc, other = 0x2222, 0x1111
	now := time.Unix(1000, 0)
	d := newDownlinkEstimate(100_000, 1_000_000)
	var got []int
	current := func() int { return 1_000_000 }
	handle := downlinkFeedback(ssrc, d, func() time.Time { return now }, current, func(bps int) { got = append(got, bps) })
	handle([]rtcp.Packet{&rtcp.ReceiverReport{Reports: []rtcp.ReceptionReport{{SSRC: other, FractionLost: 255}}},
		&rtcp.PictureLossIndication{MediaSSRC: ssrc},
		&rtcp.ReceiverEstimatedMaximumBitrate{Bitrate: 100_000, SSRCs: []uint32{ssrc}}})
	if len(got) != 0 {
		t.Fatalf("passed on %v for reports about another stream and a REMB", got)
	}
	handle([]rtcp.Packet{&rtcp.ReceiverReport{Reports: []rtcp.ReceptionReport{{SSRC: other, FractionLost: 255}, {SSRC: ssrc, FractionLost: 128}}}})
	now = now.Add(time.Second)
	handle([]rtcp.Packet{&rtcp.SenderReport{Reports: []rtcp.ReceptionReport{{SSRC: ssrc, FractionLost: 128}}}})
	if want := []int{750_000, 562_500}; !slices.Equal(got, want) {
		t.Errorf("passed on %v, want %v", got, want)
	}
}

// TestDownlinkFollowsLeastReceiver: the composite's bitrate is the least
// receiver's estimate, in steps of 10 kbit/s, never under a fifth of the
// configured bitrate, and back up as receivers improve, leave or stop
// reporting for 10 s; the mixer is told only of changes.
func TestDownlinkFollowsLeastReceiver(t *testing.T) {
	var set []int
	d := newDownlink(300_000, 1_500_000, func(bps int) error { set = append(set, bps); return nil })
	now := time.Unix(1000, 0)
	d.now = func() time.Time { return now }
	d.stale = 10 * time.Second
	d.stop() // no expiry timer: this test moves the clock itself
	d.update("a", 1_500_000)
	d.update("a", 1_234_567)
	d.update("b", 800_000)
	d.update("b", 50_000) // floor
	d.update("b", 60_000) // still the floor: no change
	d.forget("b")
	d.update("a", 1_600_000) // past the ceiling
	d.update("c", 700_000)
	now = now.Add(9 * time.Second)
	d.update("a", 1_500_000) // c's estimate is 9 s old: still counts
	now = now.Add(time.Second)
	d.update("a", 1_500_000) // 10 s: no longer
	if want := []int{1_230_000, 800_000, 300_000, 1_230_000, 1_500_000, 700_000, 1_500_000}; !slices.Equal(set, want) {
		t.Errorf("mixer set to %v, want %v", set, want)
	}
	if got := d.current; got != 1_500_000 {
		t.Errorf("bitrate %d, want 1500000", got)
	}
}

// TestDownlinkExpiresSilentReceiver: a receiver that held the bitrate down
// and stopped reporting, with nobody else reporting, no longer counts once
// its estimate is stale (a timer, not another report, applies the
// shares again); after stop, nothing changes.
func TestDownlinkExpiresSilentReceiver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var set []int
		got := func() []int {
			mu.Lock()
			defer mu.Unlock()
			return slices.Clone(set)
		}
		d := newDownlink(300_000, 1_500_000, func(bps int) error {
			mu.Lock()
			defer mu.Unlock()
			set = append(set, bps)
			return nil
		})
		// Stale after 10 s: long enough for a receiver's reports to come
		// through a bad second, short enough that a silent one does not
		// hold everyone down for long.
		d.update("a", 500_000)
		time.Sleep(9999 * time.Millisecond)
		synctest.Wait()
		if want := []int{500_000}; !slices.Equal(got(), want) {
			t.Fatalf("mixer set to %v before the report is stale, want %v", got(), want)
		}
		time.Sleep(2 * time.Millisecond)
		synctest.Wait()
		if want := []int{500_000, 1_500_000}; !slices.Equal(got(), want) {
			t.Fatalf("mixer set to %v, want %v once the only report is stale", got(), want)
		}
		// Stopped, nothing more: the report goes stale 10 s later, and
		// nothing applies it again.
		d.update("a", 500_000)
		d.stop()
		time.Sleep(30 * time.Second)
		synctest.Wait()
		if want := []int{500_000, 1_500_000, 500_000}; !slices.Equal(got(), want) {
			t.Errorf("mixer set to %v after stop, want %v", got(), want)
		}
	})
}

// TestDownlinkFloor: the floor is a fifth of the bitrate, at least
// 150 kbit/s but never above the bitrate itself, unless configured.
func TestDownlinkFloor(t *testing.T) {
	for _, c := range []struct{ bitrate, min, want int }{
		{1_500_000, 0, 300_000},
		{500_000, 0, 150_000},
		{100_000, 0, 100_000},
		{1_500_000, 1_500_000, 1_500_000},
		{1_500_000, 500_000, 500_000},
	} {
		cfg := DefaultConfig()
		cfg.Mixer.Video.Bitrate, cfg.MinBitrate = c.bitrate, c.min
		if err := cfg.Validate(); err != nil {
			t.Errorf("bitrate %d, min %d: %v", c.bitrate, c.min, err)
		}
		if got := cfg.downlinkFloor(); got != c.want {
			t.Errorf("bitrate %d, min %d: floor %d, want %d", c.bitrate, c.min, got, c.want)
		}
	}
	for _, floor := range []int{-1, 10_000, 49_999, 1_500_001, 2_000_000} {
		cfg := DefaultConfig()
		cfg.MinBitrate = floor
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "min bitrate") {
			t.Errorf("min bitrate %d with a bitrate of %d: %v, want an error about it", floor, cfg.Mixer.Video.Bitrate, err)
		}
	}
	cfg := DefaultConfig()
	cfg.MinBitrate = 50_000
	if err := cfg.Validate(); err != nil {
		t.Errorf("min bitrate 50000: %v", err)
	}
}

// TestDownlinkLive: a pion receiver that loses every fourth packet of the
// composite brings the mix's bitrate down through its reports (and the
// room's JSON shows both its estimate and the mix's bitrate); once it
// stops losing, the bitrate grows again. A second receiver with no loss
// does not hold it up.
func TestDownlinkLive(t *testing.T) {
	m := testManager(t)
	drop := &dropPackets{mime: webrtc.MimeTypeVP8, n: 4}
	r, _ := joinRoom(t, m, Participant, dropClient(t, drop))
	clean := &dropPackets{mime: webrtc.MimeTypeVP8, n: 1}
	clean.off.Store(true)
	joinRoom(t, m, Viewer, dropClient(t, clean))
	ceiling := r.Info().Mixer.MaxBitrate
	waitFor := func(what string, limit time.Duration, ok func(Info) bool) Info {
		t.Helper()
		deadline := time.Now().Add(limit)
		for {
			info := r.Info()
			if ok(info) {
				return info
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within %v (mix at %d bit/s)", what, limit, info.Mixer.Bitrate)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// pion's receivers report once a second; 25 % loss takes 12.5 % off.
	info := waitFor("the mix's bitrate falls", 8*time.Second, func(i Info) bool { return i.Mixer.Bitrate <= ceiling*8/10 })
	if n := m.Lowered(); n != 1 {
		t.Errorf("the manager counts %d rooms with a lowered mix, want 1", n)
	}
	if len(info.Participants) != 1 {
		t.Fatalf("%d participants in the JSON, want the lossy one", len(info.Participants))
	}
	if estimate := info.Participants[0].Downlink; estimate == 0 || estimate > ceiling*8/10+downlinkStep {
		t.Errorf("the lossy receiver's estimate in the JSON is %d, the mix at %d", estimate, info.Mixer.Bitrate)
	}
	drop.off.Store(true)
	// The report after the change may still count losses from before it.
	time.Sleep(1500 * time.Millisecond)
	low := r.Info().Mixer.Bitrate
	waitFor("the mix's bitrate grows again", 8*time.Second, func(i Info) bool { return i.Mixer.Bitrate >= low*105/100 })
}

// TestLossWindow: reports about a few packets each, as a receiver in
// compound RTCP sends with every NACK, are gathered until they cover 20
// packets: two packets lost in twenty are then 10 %, not the 20 % the
// report about five of them says. Counters are read across their wrap; the
// first report only sets where counting starts; a report about no new
// packet, or a little older, says nothing; counters far back start over.
func TestLossWindow(t *testing.T) {
	var w lossWindow
	block := func(highest, lost uint32, fraction uint8) rtcp.ReceptionReport {
		return rtcp.ReceptionReport{LastSequenceNumber: highest, TotalLost: lost, FractionLost: fraction}
	}
	if f, ok := w.add(block(0xfffffff0, 0xfffffe, 200)); ok {
		t.Fatalf("the first report gave %d: it covers too few packets to say", f)
	}
	// Five packets a report, the second report losing one of them (20 %).
	steps := []struct {
		highest, lost uint32
		fraction      uint8
	}{{0xfffffff5, 0xfffffe, 0}, {0xfffffffa, 0xffffff, 51}, {0xfffffffa, 0xffffff, 0}, {0xffffffff, 0xffffff, 0}, {0x00000004, 0x000000, 0}}
	var got []uint8
	for _, s := range steps {
		if f, ok := w.add(block(s.highest, s.lost, s.fraction)); ok {
			got = append(got, f)
		}
	}
	// 20 packets expected (the repeated report adds none), 2 lost (the
	// 24-bit count wrapped from 0xfffffe to 0): 2*256/20 = 25.
	if len(got) != 1 || got[0] != 25 {
		t.Errorf("loss figures %v, want one of 25 (2 of 20 packets)", got)
	}
	if _, ok := w.add(block(0x00000001, 0, 0)); ok {
		t.Error("an older report gave a figure")
	}
	// A receiver that reports 16 bits wraps far back: counting starts over,
	// and goes on.
	var w16 lossWindow
	for _, highest := range []uint32{0xfff0, 0xfffb, 0x0005} {
		if f, ok := w16.add(block(highest, 10, 0)); ok {
			t.Errorf("16-bit counters at %#x gave %d", highest, f)
		}
	}
	if f, ok := w16.add(block(0x0019, 10, 0)); !ok || f != 0 {
		t.Errorf("20 packets on from the wrap, none lost: %d %v, want 0", f, ok)
	}
}

// TestLossWindowSaturatedCount: a receiver's cumulative loss stops at its
// largest after days of loss (libwebrtc's at 2^23-1, pion's at 2^24-1);
// the loss then read from the count would be none, for good. The reports'
// own fractions tell it instead; below the largest, the count is read.
func TestLossWindowSaturatedCount(t *testing.T) {
	for _, top := range []uint32{0x7fffff, 0xffffff} {
		var w lossWindow
		w.add(rtcp.ReceptionReport{LastSequenceNumber: 1000, TotalLost: top - 1})
		// 10 packets a report, a quarter of them lost (64 of 256); the
		// first report's count reaches the top, the others stay there.
		var got []uint8
		for i := range 6 {
			b := rtcp.ReceptionReport{LastSequenceNumber: uint32(1010 + 10*i), TotalLost: top, FractionLost: 64}
			if f, ok := w.add(b); ok {
				got = append(got, f)
			}
		}
		// The first window: 1 + 2.5 lost of 20 (the count's step, then
		// a fraction): 44; the others 5 of 20: 64.
		if !slices.Equal(got, []uint8{44, 64, 64}) {
			t.Errorf("count stopped at %#x: loss figures %v, want [44 64 64]", top, got)
		}
	}
}

// TestDownlinkGrowsFromWhatIsSent: a receiver with no loss while the mix
// is held at 300 kbit/s by someone else grows from a half more than that,
// not on up to the ceiling untried: when the other leaves, the mix grows
// from there instead of jumping five times over.
func TestDownlinkGrowsFromWhatIsSent(t *testing.T) {
	// A receiver that just joined, its estimate at the ceiling, with a
	// little loss (neither cut nor growth): within a half more than sent.
	joined := newDownlinkEstimate(300_000, 1_500_000)
	joined.report(time.Unix(1000, 0), 13, 300_000) // 5 %
	if got := joined.value(); got != 450_000 {
		t.Errorf("a new receiver's first report at 5 %% loss while 300 kbit/s is sent: %d, want 450000", got)
	}
	d := newDownlinkEstimate(300_000, 1_500_000)
	t0 := time.Unix(1000, 0)
	for s := range 30 {
		d.report(t0.Add(time.Duration(s)*time.Second), 0, 300_000)
	}
	if got, most := d.value(), int(300_000*downlinkTried*downlinkGrowth)+1; got > most {
		t.Errorf("after 30 s without loss at 300 kbit/s: %d, want at most %d", got, most)
	}
	for s := 30; s < 60; s++ {
		d.report(t0.Add(time.Duration(s)*time.Second), 0, d.value()) // the mix follows it
	}
	if got := d.value(); got != 1_500_000 {
		t.Errorf("after 30 s more, the mix following: %d, want the ceiling", got)
	}
}

// TestDownlinkCutsOncePerEvent: two reports of heavy loss within 300 ms
// (one congestion event, reported as it goes) cut the estimate once; a
// third, later, cuts again.
func TestDownlinkCutsOncePerEvent(t *testing.T) {
	d := newDownlinkEstimate(100_000, 1_000_000)
	t0 := time.Unix(1000, 0)
	d.report(t0, 128, 1_000_000)
	d.report(t0.Add(200*time.Millisecond), 128, 1_000_000)
	if got := d.value(); got != 750_000 {
		t.Errorf("after two reports 200 ms apart: %d, want one cut to 750000", got)
	}
	d.report(t0.Add(400*time.Millisecond), 128, 1_000_000)
	if got := d.value(); got != 562_500 {
		t.Errorf("after a third 400 ms on: %d, want a second cut to 562500", got)
	}
}

// TestDownlinkCutsFromWhatIsSent: a still picture sent at 800 kbit/s
// under a 2.5 Mbit/s target, and a receiver reporting 25 % loss: once a
// second report confirms it, the estimate is cut from what is sent, not
// from the target a cut at a time; the estimate grows back towards the
// target, not held near what a still picture sends.
func TestDownlinkCutsFromWhatIsSent(t *testing.T) {
	now := time.Unix(1000, 0)
	sent := 800_000
	d := newDownlinkEstimate(300_000, 2_500_000)
	d.sent = func() int { return sent }
	d.report(now, 64, 2_500_000) // 25 %
	if got, want := d.value(), int(2_500_000*(1-64.0/512)); got != want {
		t.Errorf("after one report of loss: %d, want %d (cut from the target: a burst is not taken for congestion)", got, want)
	}
	d.report(now.Add(500*time.Millisecond), 64, 2_500_000) // confirmed
	if got, want := d.value(), int(800_000*(1-64.0/512)); got != want {
		t.Errorf("after a second: %d, want %d (cut from what is sent)", got, want)
	}
	// Two bursts with a clean report between: neither confirms the other.
	d = newDownlinkEstimate(300_000, 2_500_000)
	d.sent = func() int { return sent }
	d.report(now, 64, 2_500_000)
	d.report(now.Add(500*time.Millisecond), 10, 2_500_000) // between 2 % and 10 %: holds
	d.report(now.Add(time.Second), 64, 2_500_000)
	if got := d.value(); got < 1_000_000 {
		t.Errorf("after two bursts a clean report apart: %d, want cut from the target, not from what is sent", got)
	}
	// Unknown (0): from the target.
	d = newDownlinkEstimate(300_000, 2_500_000)
	d.sent = func() int { return 0 }
	d.report(now, 64, 2_500_000)
	d.report(now.Add(500*time.Millisecond), 64, 2_500_000)
	twice := 2_500_000.0
	for range 2 {
		twice *= 1 - 64.0/512
	}
	if got, want := d.value(), int(twice); got != want {
		t.Errorf("with what is sent unknown: %d, want %d", got, want)
	}
	// No loss: growth is not held to what a still picture sends.
	d = newDownlinkEstimate(300_000, 2_500_000)
	d.sent = func() int { return sent }
	for i := range 5 {
		d.report(now.Add(time.Duration(i)*time.Second), 0, 2_500_000)
	}
	if got := d.value(); got != 2_500_000 {
		t.Errorf("without loss: %d, want the ceiling", got)
	}
}

// TestDownlinkNotCountedAfterClose: a receiver's report that its RTCP reader
// hands on while (or after) its session closes must not make the room
// count it again: close made the room forget it (downlink.forget), and
// a share added back would hold the composite's bitrate down for
// everyone until it goes stale (downlinkStale), though nobody that slow
// receives it any more.
func TestDownlinkNotCountedAfterClose(t *testing.T) {
	r := testRoomWithMixer(t)
	r.downlink = newDownlink(r.downlink.max/5, r.downlink.max, r.mixer.SetBitrate)
	max := r.mixer.Bitrate()
	s := &Session{ID: "gone", Kind: Viewer, room: r}
	s.reportDownlink(max / 4) // while it receives: counted
	if got := r.mixer.Bitrate(); got >= max {
		t.Fatalf("a report of %d while open left the bitrate at %d", max/4, got)
	}
	s.markClosed()
	r.downlink.forget(s.ID) // as close does
	if got := r.mixer.Bitrate(); got != max {
		t.Fatalf("after the receiver left the bitrate is %d, want %d back", got, max)
	}
	s.reportDownlink(max / 4) // the reader's last report, after close
	if got := r.mixer.Bitrate(); got != max {
		t.Errorf("a report after close set the bitrate to %d, want %d", got, max)
	}
	if s.downlink.Load() != int64(max/4) {
		t.Errorf("the session's own figure changed after close: %d", s.downlink.Load())
	}
}
