package room

import (
	"context"
	"errors"
	"maps"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"mcu/internal/mediatest"
	"mcu/mixer"
)

// failFirstMixer makes the mixer of the next room opened fail once fail is
// closed, as a broken encoder would (the room is evicted); the rooms opened
// after it run as usual. Call it before testManager: runMixer is restored
// once the manager's cleanup has closed every room.
func failFirstMixer(t *testing.T) (fail chan struct{}) {
	t.Helper()
	fail = make(chan struct{})
	run := runMixer
	t.Cleanup(func() { runMixer = run })
	var first atomic.Bool
	runMixer = func(ctx context.Context, mx *mixer.Mixer) error {
		if first.CompareAndSwap(false, true) {
			return mx.Run(ctx, failingClock{fail, mixer.RealTime()}, 0)
		}
		return run(ctx, mx)
	}
	return fail
}

// waitEvicted waits until the manager no longer lists room r.
func waitEvicted(t *testing.T, m *Manager, r *Room) {
	t.Helper()
	waitUntil(t, "the room evicted after its mixer failed", 10*time.Second, func() bool {
		got, _ := m.Room(r.name)
		return got != r
	})
}

// publisherPeer is a WHIP client's PeerConnection: it sends video and
// audio and receives nothing.
func publisherPeer(t *testing.T) *webrtc.PeerConnection {
	t.Helper()
	pc := testPeer(t, clientEngine(t, videoCodecs[0]), nil)
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		if _, err := pc.AddTransceiverFromKind(kind, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
			t.Fatal(err)
		}
	}
	return pc
}

// TestJoinsInFlightCountAgainstMaxParticipants: a join still negotiating
// holds its place, so that of two simultaneous joins to a room with one
// place left only the first gets in.
func TestJoinsInFlightCountAgainstMaxParticipants(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxParticipants = 1
	m := testManagerWith(t, cfg)
	first, err := m.reserve("x", Participant, false)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		m.release(first, Participant)
	}()
	for _, kind := range []Kind{Participant, Publisher} {
		if r, err := m.reserve("x", kind, false); !errors.Is(err, ErrRoomFull) {
			t.Errorf("a %s join beside one in flight, one place in the room: %v, want ErrRoomFull", kind, err)
			if err == nil {
				m.endJoin(r, kind)
			}
		}
	}
}

// TestEvictedRoomClosingLeavesTheFreshOne: an evicted room that finishes
// closing (its last join in flight over) leaves listed the fresh room a
// join opened under the same name meanwhile.
func TestEvictedRoomClosingLeavesTheFreshOne(t *testing.T) {
	fail := failFirstMixer(t)
	m := testManager(t)
	old, err := m.reserve("x", Viewer, false) // a join in flight holds the room open
	if err != nil {
		t.Fatal(err)
	}
	held := true
	defer func() {
		if held {
			m.release(old, Viewer)
		}
	}()
	close(fail)
	waitEvicted(t, m, old)
	fresh, err := m.reserve("x", Viewer, false)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		m.release(fresh, Viewer)
	}()
	if fresh == old {
		t.Fatal("a join after the eviction got the evicted room")
	}
	held = false
	m.release(old, Viewer)
	select { // closed by this, or by evict's own closeIfEmpty
	case <-old.closed:
	case <-time.After(10 * time.Second):
		t.Fatal("the evicted room did not close 10 s after its last join ended")
	}
	if got, err := m.Room("x"); err != nil || got != fresh {
		t.Errorf("after the evicted room closed, room x is (%p, %v), want the fresh room %p", got, err, fresh)
	}
}

// TestStopRecordingOfAnEvictedRoom: the recording of an evicted room still
// letting its peers go (here a join in flight holds it) is found by name,
// and the stop returns once the file is final, not "no such room" while it
// lacks its cues.
func TestStopRecordingOfAnEvictedRoom(t *testing.T) {
	fail := failFirstMixer(t)
	m := testManager(t)
	r, path := recordingRoom(t, m, "x") // held by a viewer's join in flight
	defer func() {
		m.release(r, Viewer)
	}()
	close(fail)
	waitEvicted(t, m, r)
	got, err := m.StopRecording("x")
	if err != nil || got != path {
		t.Fatalf("stop of the evicted room's recording: (%q, %v), want (%q, nil)", got, err, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if mediatest.WebMElements(data)[mediatest.EBMLCues] == 0 {
		t.Error("the stop returned before the recording was finalized (no cues)")
	}
}

// TestCountsPublishersAsParticipants: a WHIP publisher, shown in the mix,
// counts as a participant, and a viewer as a viewer.
func TestCountsPublishersAsParticipants(t *testing.T) {
	m := testManager(t)
	joinRoom(t, m, Publisher, publisherPeer(t))
	if rooms, participants, viewers := m.Counts(); rooms != 1 || participants != 1 || viewers != 0 {
		t.Errorf("with a publisher: %d rooms, %d participants, %d viewers, want 1, 1, 0", rooms, participants, viewers)
	}
	joinRoom(t, m, Viewer, lossyClient(t, 1<<30))
	if rooms, participants, viewers := m.Counts(); rooms != 1 || participants != 1 || viewers != 1 {
		t.Errorf("with a publisher and a viewer: %d rooms, %d participants, %d viewers, want 1, 1, 1", rooms, participants, viewers)
	}
}

// TestPublisherGetsNoMixMinus: the mixer encodes no mix of their own for
// a WHIP publisher, who receives no sound, while it does for a
// participant.
func TestPublisherGetsNoMixMinus(t *testing.T) {
	m := testManager(t)
	var publisher, participant atomic.Int64 // mix-minus packets sent
	t.Cleanup(func() { negotiated = func(*Session) {} })
	negotiated = func(s *Session) {
		// A track of the test's own, bound to a fake receiver, takes
		// whatever mix-minus the mixer makes for s, before the mixer has s.
		count := &participant
		if s.Kind == Publisher {
			count = &publisher
		}
		track, err := newMixMinusTrack("x", func(int) { count.Add(1) })
		if err != nil {
			t.Fatal(err)
		}
		if _, err := track.Bind(&fakeBinding{id: s.ID, ssrc: 1, codecs: []webrtc.RTPCodecParameters{audioCodec}}); err != nil {
			t.Fatal(err)
		}
		s.audioOut = track
	}
	joinRoom(t, m, Publisher, publisherPeer(t))
	joinRoom(t, m, Participant, lossyClient(t, 1<<30)) // mixed after the publisher
	waitUntil(t, "the participant's mix-minus sent", 10*time.Second, func() bool { return participant.Load() >= 10 })
	if n := publisher.Load(); n != 0 {
		t.Errorf("the publisher was sent %d packets of a mix-minus, want none made", n)
	}
}

// TestRoomFinishedReasons: room_finished says why the room closed: its
// last session left ("empty", in TestEvents), its mixer failed and
// everyone was let go ("failed"), the server stopped ("shutdown").
func TestRoomFinishedReasons(t *testing.T) {
	fail := failFirstMixer(t)
	var l eventLog
	cfg := DefaultConfig()
	cfg.Events = l.add
	m := testManagerWith(t, cfg)
	broken, _ := joinRoom(t, m, Participant, mediaPeer(t, webrtc.RTPTransceiverDirectionSendrecv))
	close(fail)
	waitEvicted(t, m, broken)
	<-broken.closed
	fresh, _ := joinRoom(t, m, Participant, mediaPeer(t, webrtc.RTPTransceiverDirectionSendrecv))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.Close(ctx); err != nil {
		t.Fatal(err)
	}
	finished := map[string]string{}
	for _, e := range l.all() {
		if e.Type == EventRoomFinished {
			finished[e.RoomID] = e.Reason
		}
	}
	if want := map[string]string{broken.id: FinishedFailed, fresh.id: FinishedShutdown}; !maps.Equal(finished, want) {
		t.Errorf("room_finished reasons by room %v, want %v", finished, want)
	}
}
