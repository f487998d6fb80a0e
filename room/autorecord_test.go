package room

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"mcu/internal/mediatest"

	"github.com/pion/webrtc/v4"
)

// recordingOf waits up to wait for room r's recording and returns its
// path, "" if none started.
func recordingOf(r *Room, wait time.Duration) string {
	deadline := time.Now().Add(wait)
	for {
		if rec := r.Info().Recording; rec != nil {
			return rec.Path
		}
		if time.Now().After(deadline) {
			return ""
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// mediaPeer is a test peer with a video and an audio transceiver in
// direction dir.
func mediaPeer(t *testing.T, dir webrtc.RTPTransceiverDirection) *webrtc.PeerConnection {
	t.Helper()
	pc := testPeer(t, clientEngine(t, videoCodecs[0]), nil)
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		if _, err := pc.AddTransceiverFromKind(kind, webrtc.RTPTransceiverInit{Direction: dir}); err != nil {
			t.Fatal(err)
		}
	}
	return pc
}

// TestAutoRecord: with Config.AutoRecord a room records from its first
// participant's join on, into the room's folder, as the API would; a
// viewer alone starts nothing; a recording stopped through the API is not
// started again by the next join.
func TestAutoRecord(t *testing.T) {
	cfg := DefaultConfig()
	cfg.AutoRecord = true
	m := testManagerWith(t, cfg)

	r, _ := joinRoom(t, m, Viewer, mediaPeer(t, webrtc.RTPTransceiverDirectionRecvonly))
	if path := recordingOf(r, 300*time.Millisecond); path != "" {
		t.Fatalf("a viewer alone started a recording: %s", path)
	}

	joinRoom(t, m, Participant, mediaPeer(t, webrtc.RTPTransceiverDirectionSendrecv))
	path := recordingOf(r, 5*time.Second)
	if path == "" {
		t.Fatal("no recording 5 s after the first participant joined")
	}
	if dir := filepath.Join(m.cfg.RecordDir, "x"); filepath.Dir(path) != dir {
		t.Errorf("recording %s, want it in %s", path, dir)
	}
	time.Sleep(time.Second) // some of the mix in the file
	stopped, err := m.StopRecording("x")
	if err != nil || stopped != path {
		t.Fatalf("stop: %q, %v; want %q", stopped, err, path)
	}
	if st, err := os.Stat(path); err != nil || st.Size() == 0 {
		t.Fatalf("the recording's file: %v", err)
	}
	probe, err := mediatest.ProbeFile(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := probe.Video(); !ok || v.CodecName != "vp8" || probe.Duration < 500*time.Millisecond {
		t.Errorf("the recording: %+v, want VP8 and a duration (finalized) of 0.5 s or more", probe)
	}

	joinRoom(t, m, Participant, mediaPeer(t, webrtc.RTPTransceiverDirectionSendrecv))
	if again := recordingOf(r, 500*time.Millisecond); again != "" {
		t.Errorf("a join after the stop started another recording: %s", again)
	}
}

// TestNoAutoRecord: without Config.AutoRecord a join records nothing.
func TestNoAutoRecord(t *testing.T) {
	m := testManager(t)
	r, _ := joinRoom(t, m, Participant, mediaPeer(t, webrtc.RTPTransceiverDirectionSendrecv))
	if path := recordingOf(r, 500*time.Millisecond); path != "" {
		t.Errorf("a join started a recording unasked: %s", path)
	}
}

// recordingCounts is an Observer counting Recording events.
type recordingCounts struct {
	nopObserver
	mu sync.Mutex
	n  map[RecordingEvent]int
}

func (c *recordingCounts) Recording(e RecordingEvent) {
	c.mu.Lock()
	c.n[e]++
	c.mu.Unlock()
}

func (c *recordingCounts) get() map[RecordingEvent]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := map[RecordingEvent]int{}
	for k, v := range c.n {
		n[k] = v
	}
	return n
}

// TestAutoRecordEndsCountedOnce: an automatic recording ended through the
// API, by its room closing on its own (its participant left) or by the
// server's shutdown is finalized and counted once, complete, whatever
// comes after (the room's close, the shutdown).
func TestAutoRecordEndsCountedOnce(t *testing.T) {
	for _, how := range []string{"api", "left", "shutdown"} {
		t.Run(how, func(t *testing.T) {
			counts := &recordingCounts{n: map[RecordingEvent]int{}}
			cfg := DefaultConfig()
			cfg.AutoRecord = true
			cfg.Observer = counts
			m := testManagerWith(t, cfg)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			r, _ := joinRoom(t, m, Participant, mediaPeer(t, webrtc.RTPTransceiverDirectionSendrecv))
			s := onlySession(t, r)
			path := recordingOf(r, 5*time.Second)
			if path == "" {
				t.Fatal("no automatic recording")
			}
			time.Sleep(time.Second)
			switch how {
			case "api":
				if _, err := m.StopRecording("x"); err != nil {
					t.Fatal(err)
				}
			case "left":
				if err := m.Leave("x", s.Key()); err != nil {
					t.Fatal(err)
				}
				<-r.closed
			}
			if err := m.Close(ctx); err != nil {
				t.Fatal(err)
			}
			probe, err := mediatest.ProbeFile(ctx, path)
			if err != nil || probe.Duration < 500*time.Millisecond {
				t.Errorf("the recording %s: %+v, %v; want it finalized with its duration", path, probe, err)
			}
			if got := counts.get(); len(got) != 1 || got[RecordingComplete] != 1 {
				t.Errorf("recording events %v, want one complete", got)
			}
		})
	}
}

// TestAutoRecordStopHolds: a recording stopped through the API is not
// started again by any later join in the room, the third as the second.
func TestAutoRecordStopHolds(t *testing.T) {
	cfg := DefaultConfig()
	cfg.AutoRecord = true
	m := testManagerWith(t, cfg)
	r, _ := joinRoom(t, m, Participant, mediaPeer(t, webrtc.RTPTransceiverDirectionSendrecv))
	if recordingOf(r, 5*time.Second) == "" {
		t.Fatal("no automatic recording")
	}
	time.Sleep(500 * time.Millisecond)
	if _, err := m.StopRecording("x"); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		joinRoom(t, m, Participant, mediaPeer(t, webrtc.RTPTransceiverDirectionSendrecv))
		if again := recordingOf(r, 500*time.Millisecond); again != "" {
			t.Fatalf("join %d after the stop started another recording: %s", i+2, again)
		}
	}
}
