package room

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"mcu/internal/logbuf"
	"mcu/mixer"
)

// TestStrainHold: a strain refuses joins for the hold after it, each new
// one renewing it; it is logged once per spell (not again within the
// hold); a hold of 0 never refuses.
func TestStrainHold(t *testing.T) {
	const hold = 10 * time.Second
	var logs logbuf.Buffer
	s := newStrain(hold, slog.New(slog.NewTextHandler(&logs, nil)))
	t0 := s.base.Add(time.Minute)
	if on, _ := s.strained(t0); on {
		t.Fatal("strained before any strain")
	}
	s.mark(t0, strainLateTick)
	for _, c := range []struct {
		at   time.Duration // after t0
		on   bool
		left time.Duration
	}{
		{0, true, hold},
		{4 * time.Second, true, 6 * time.Second},
		{hold - time.Millisecond, true, time.Millisecond},
		{hold, false, 0},
		{time.Hour, false, 0},
	} {
		if on, left := s.strained(t0.Add(c.at)); on != c.on || left != c.left {
			t.Errorf("%v after a strain: strained %v with %v left, want %v with %v", c.at, on, left, c.on, c.left)
		}
	}
	s.mark(t0.Add(8*time.Second), strainDecoder) // within the hold: renews it, not logged
	if on, left := s.strained(t0.Add(12 * time.Second)); !on || left != 6*time.Second {
		t.Errorf("4 s after a second strain: strained %v with %v left, want 6 s", on, left)
	}
	if n := strings.Count(logs.String(), "short of CPU"); n != 1 {
		t.Errorf("%d log lines for two strains 8 s apart, want 1:\n%s", n, logs.String())
	}
	s.mark(t0.Add(8*time.Second+hold+time.Second), strainEncoderBusy) // after a calm spell
	if n := strings.Count(logs.String(), "short of CPU"); n != 2 {
		t.Errorf("%d log lines after a strain that followed a calm spell, want 2:\n%s", n, logs.String())
	}
	// A strain exactly the hold after the last, when joins are taken
	// again, begins a new spell: logged.
	s.mark(t0.Add(8*time.Second+2*hold+time.Second), strainLateTick)
	if n := strings.Count(logs.String(), "short of CPU"); n != 3 {
		t.Errorf("%d log lines after a strain the hold after the last, want 3:\n%s", n, logs.String())
	}
	// One marked earlier than the last (another goroutine's, a moment
	// late) does not move the last back.
	s.mark(t0, strainLateTick)
	if on, left := s.strained(t0.Add(8*time.Second + 2*hold + time.Second)); !on || left != hold {
		t.Errorf("after an earlier strain came late: strained %v with %v left, want the whole hold", on, left)
	}
	if !strings.Contains(logs.String(), "cause=\""+strainEncoderBusy+"\"") {
		t.Errorf("the log does not name the cause:\n%s", logs.String())
	}
	if got := s.behind.Load(); got != 1 {
		t.Errorf("%d decoder strains counted, want 1 (the mixer's are counted by their own metrics)", got)
	}

	never := newStrain(0, slog.New(slog.DiscardHandler))
	never.mark(time.Now(), strainLateTick)
	if on, _ := never.strained(time.Now()); on {
		t.Error("a hold of 0 refuses joins")
	}
}

// TestStrainObserver: the mixer's late ticks and busy encoder reach the
// server's observer as before, and each is a strain.
func TestStrainObserver(t *testing.T) {
	for _, c := range []struct {
		name          string
		report        func(Observer)
		cause         string
		late, dropped int64
	}{
		{"late ticks", func(o Observer) { o.LateTicks(3) }, strainLateTick, 3, 0},
		{"encoder busy", func(o Observer) { o.Dropped(false) }, strainEncoderBusy, 0, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			var logs logbuf.Buffer
			inner := &countingObserver{}
			s := newStrain(time.Second, slog.New(slog.NewTextHandler(&logs, nil)))
			c.report(strainObserver{inner, s})
			if late, dropped := inner.late.Load(), inner.dropped.Load(); late != c.late || dropped != c.dropped {
				t.Errorf("passed on as %d late ticks and %d dropped, want %d and %d", late, dropped, c.late, c.dropped)
			}
			if on, _ := s.strained(time.Now()); !on {
				t.Error("not a strain")
			}
			if !strings.Contains(logs.String(), c.cause) {
				t.Errorf("the log does not name the cause %q:\n%s", c.cause, logs.String())
			}
		})
	}
}

// TestKeyframeDropIsNoStrain: a tick dropped while the encoder worked on
// a keyframe (at a high frame rate one takes longer than the two canvases
// hold) is counted, as a dropped picture, but is no strain: every join
// at 120 fps refused others for the hold.
func TestKeyframeDropIsNoStrain(t *testing.T) {
	inner := &countingObserver{}
	s := newStrain(time.Second, slog.New(slog.DiscardHandler))
	strainObserver{inner, s}.Dropped(true)
	if inner.dropped.Load() != 1 {
		t.Errorf("passed on as %d dropped, want 1", inner.dropped.Load())
	}
	if on, _ := s.strained(time.Now()); on {
		t.Error("a tick dropped during a keyframe's encode refuses joins")
	}
}

// TestOverloadRefusesSendersAndRooms: within the hold after a strain,
// participants, publishers and any join that would open a room are
// refused with an *OverloadError telling how long the hold has left;
// viewers of an open room are taken; once the hold is over, everyone is.
func TestOverloadRefusesSendersAndRooms(t *testing.T) {
	const hold = time.Minute
	m := testManagerWith(t, DefaultConfig())
	m.strain.hold = hold
	open, err := m.reserve("x", Participant, false)
	if err != nil {
		t.Fatal(err)
	}
	m.strain.mark(time.Now(), strainDecoder)
	for _, c := range []struct {
		room string
		kind Kind
	}{{"x", Participant}, {"x", Publisher}, {"y", Participant}, {"y", Viewer}} {
		_, err := m.reserve(c.room, c.kind, false)
		var oe *OverloadError
		if !errors.Is(err, ErrOverloaded) || !errors.As(err, &oe) {
			t.Errorf("%v joining room %s while strained: %v, want ErrOverloaded", c.kind, c.room, err)
			continue
		}
		if oe.RetryAfter <= 0 || oe.RetryAfter > hold {
			t.Errorf("%v refused with %v to wait, want up to the hold (%v)", c.kind, oe.RetryAfter, hold)
		}
	}
	if rooms, _, _ := m.Counts(); rooms != 1 {
		t.Errorf("%d rooms open after joins refused, want the 1 open before", rooms)
	}
	viewer, err := m.reserve("x", Viewer, false)
	if err != nil {
		t.Errorf("a viewer of an open room refused while strained: %v", err)
	} else {
		m.endJoin(viewer, Viewer)
	}
	if refusing, refused, behind := m.Overload(); !refusing || refused != 4 || behind != 1 {
		t.Errorf("Overload: refusing %v, %d refused, %d behind; want true, 4 and 1", refusing, refused, behind)
	}
	m.strain.base = m.strain.base.Add(-hold) // the strain, a hold ago
	if refusing, _, _ := m.Overload(); refusing {
		t.Error("still refusing once the hold is over")
	}
	for _, room := range []string{"x", "y"} {
		r, err := m.reserve(room, Participant, false)
		if err != nil {
			t.Errorf("a participant joining room %s once the hold is over: %v", room, err)
			continue
		}
		m.release(r, Participant)
	}
	m.release(open, Participant)
}

// lateClock is the real-time clock, but the ticks waited for once fall is
// closed are reported 100 ms late, as when the mixer's thread does not get
// the CPU in time.
type lateClock struct {
	mixer.Clock
	fall <-chan struct{}
}

func (c lateClock) Wait(ctx context.Context, t time.Duration) (time.Duration, error) {
	late, err := c.Clock.Wait(ctx, t)
	select {
	case <-c.fall:
		late = 100 * time.Millisecond
	default:
	}
	return late, err
}

// TestLateTicksRefuseJoins: a room's mixer falling behind (late ticks,
// counted by the server's observer as before) makes the next join of a
// participant fail with ErrOverloaded, logged, while a viewer still
// joins the room.
func TestLateTicksRefuseJoins(t *testing.T) {
	fall := make(chan struct{})
	real := runMixer
	t.Cleanup(func() { runMixer = real })
	runMixer = func(ctx context.Context, mx *mixer.Mixer) error {
		return mx.Run(ctx, lateClock{Clock: mixer.RealTime(), fall: fall}, 0)
	}
	obs := &countingObserver{}
	var logs logbuf.Buffer
	cfg := DefaultConfig()
	cfg.Observer = obs
	m := testManagerWith(t, cfg)
	m.log = slog.New(slog.NewTextHandler(&logs, nil))
	m.strain.log, m.strain.hold = m.log, DefaultConfig().OverloadHold
	joinRoom(t, m, Participant, peerWith(t, webrtc.RTPTransceiverDirectionSendrecv))
	if refusing, _, _ := m.Overload(); refusing {
		t.Fatal("refusing joins before any late tick")
	}
	close(fall)
	deadline := time.Now().Add(5 * time.Second)
	for obs.late.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if obs.late.Load() == 0 {
		t.Fatal("no late tick reached the server's observer")
	}
	second := peerWith(t, webrtc.RTPTransceiverDirectionSendrecv)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, _, err := m.Join(ctx, "x", "", Participant, gatheredOffer(t, second)); !errors.Is(err, ErrOverloaded) {
		t.Errorf("a participant joining after a late tick: %v, want ErrOverloaded", err)
	}
	if !strings.Contains(logs.String(), strainLateTick) {
		t.Errorf("the strain is not logged with its cause:\n%s", logs.String())
	}
	if _, _, err := m.Join(ctx, "x", "", Viewer, gatheredOffer(t, peerWith(t, webrtc.RTPTransceiverDirectionRecvonly))); err != nil {
		t.Errorf("a viewer joining after a late tick: %v", err)
	}
}

// peerWith is a test client's PeerConnection with a video section of dir.
func peerWith(t *testing.T, dir webrtc.RTPTransceiverDirection) *webrtc.PeerConnection {
	t.Helper()
	pc := testPeer(t, clientEngine(t, videoCodecs[0]), nil)
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: dir}); err != nil {
		t.Fatal(err)
	}
	return pc
}

// TestDecoderBehindRefusesJoins: a session's video decoder that falls
// behind strains the server: joins of senders are refused, and the frame
// is counted.
func TestDecoderBehindRefusesJoins(t *testing.T) {
	m := testManagerWith(t, DefaultConfig())
	m.strain.hold = time.Minute
	r, _ := joinRoom(t, m, Participant, peerWith(t, webrtc.RTPTransceiverDirectionSendrecv))
	if refusing, _, _ := m.Overload(); refusing {
		t.Fatal("refusing joins before any strain")
	}
	in := onlySession(t, r).newVideoIn(1)
	defer in.close()
	in.behind()
	if refusing, _, behind := m.Overload(); !refusing || behind != 1 {
		t.Errorf("after a frame dropped behind: refusing %v, %d behind; want true and 1", refusing, behind)
	}
	if _, err := m.reserve("x", Participant, false); !errors.Is(err, ErrOverloaded) {
		t.Errorf("a participant joining after a decoder fell behind: %v, want ErrOverloaded", err)
	}
}

// TestDefaultsForLoad: live rooms mix the 4 loudest voices and refuse
// senders for 10 s after a strain; a hold below 0 is refused.
func TestDefaultsForLoad(t *testing.T) {
	cfg := DefaultConfig()
	if cfg.Mixer.Voices != mixer.LiveVoices || mixer.LiveVoices != 4 || cfg.OverloadHold != 10*time.Second {
		t.Errorf("defaults: %d voices, hold %v; want 4 and 10s", cfg.Mixer.Voices, cfg.OverloadHold)
	}
	cfg.OverloadHold = -time.Second
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "overload hold") {
		t.Errorf("a hold of -1s: %v, want it refused", err)
	}
	cfg.OverloadHold = 0
	if err := cfg.Validate(); err != nil {
		t.Errorf("a hold of 0: %v", err)
	}
}

// TestReady: a manager is ready until a strain (then an *OverloadError
// with the hold's time left), and again once the hold is over; closing,
// it is not (ErrClosed).
func TestReady(t *testing.T) {
	const hold = time.Minute
	m := testManagerWith(t, DefaultConfig())
	m.strain.hold = hold
	if err := m.Ready(); err != nil {
		t.Fatalf("a new manager: %v", err)
	}
	m.strain.mark(time.Now(), strainLateTick)
	var oe *OverloadError
	if err := m.Ready(); !errors.As(err, &oe) || oe.RetryAfter <= 0 || oe.RetryAfter > hold {
		t.Errorf("strained: %v, want an OverloadError of at most %v", err, hold)
	}
	m.strain.base = m.strain.base.Add(-hold) // the strain, a hold ago
	if err := m.Ready(); err != nil {
		t.Errorf("after the hold: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := m.Ready(); !errors.Is(err, ErrClosed) {
		t.Errorf("closed: %v, want ErrClosed", err)
	}
}
