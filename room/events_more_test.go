package room

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"mcu/recorder"
)

// eventLog collects what Config.Events is told.
type eventLog struct {
	mu  sync.Mutex
	evs []Event
}

func (l *eventLog) add(e Event) {
	l.mu.Lock()
	l.evs = append(l.evs, e)
	l.mu.Unlock()
}

func (l *eventLog) all() []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.evs)
}

// roomKey is what names a room in an event's JSON, as a receiver reads
// it: its name, and its room_id if the event has one.
func roomKey(e Event) string {
	b, _ := json.Marshal(e)
	var f map[string]any
	json.Unmarshal(b, &f)
	id, _ := f["room_id"].(string)
	return e.Room + "/" + id
}

// TestEventsRoomReopened: a join opens a room again under the name of
// one still closing (its recording being finalized, as after a page
// reload of the last one in it). A receiver following rooms by what the
// events say must see the new room open at the end, not closed by the
// old one's room_finished, which comes after the new one's room_started.
func TestEventsRoomReopened(t *testing.T) {
	var l eventLog
	cfg := DefaultConfig()
	cfg.Events = l.add
	m := testManagerWith(t, cfg)
	entered, gate := slowStop(t)
	r1, _ := joinRoom(t, m, Participant, mediaPeer(t, webrtc.RTPTransceiverDirectionSendrecv))
	s1 := onlySession(t, r1)
	if _, err := r1.StartRecording(); err != nil {
		t.Fatal(err)
	}
	go m.End("x", s1.ID) // the room closes, its recording finalizing
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the room's close did not reach its recording")
	}
	r2, _ := joinRoom(t, m, Participant, mediaPeer(t, webrtc.RTPTransceiverDirectionSendrecv))
	if r2 == r1 {
		t.Fatal("the join found the closing room")
	}
	close(gate)
	select {
	case <-r1.closed:
	case <-time.After(10 * time.Second):
		t.Fatal("the first room did not close")
	}

	open := map[string]bool{}
	for _, e := range l.all() {
		k := roomKey(e)
		switch e.Type {
		case EventRoomStarted:
			if open[k] {
				t.Errorf("room_started for %q, open already: the two rooms are not told apart", k)
			}
			open[k] = true
		case EventRoomFinished:
			delete(open, k)
		default:
			if !open[k] {
				t.Errorf("%s for %q, not open", e.Type, k)
			}
		}
	}
	if len(open) != 1 {
		t.Errorf("rooms open as the events tell: %v, want the second one\n%+v", open, l.all())
	}
}

// onJoined is a log handler that calls f with the session of a "joined"
// line: a seam between a session's listing and the rest of its join.
type onJoined struct{ f func(id string) }

func (h onJoined) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }
func (h onJoined) WithAttrs([]slog.Attr) slog.Handler           { return h }
func (h onJoined) WithGroup(string) slog.Handler                { return h }
func (h onJoined) Handle(_ context.Context, rec slog.Record) error {
	if rec.Message == "joined" {
		rec.Attrs(func(a slog.Attr) bool {
			if a.Key == "session" {
				h.f(a.Value.String())
			}
			return true
		})
	}
	return nil
}

// TestEventsJoinedBeforeLeft: a session listed in its room may be let go
// at once (its ICE failing, SIGTERM, the room evicted) before its Join
// has returned: its participant_left, and the room's room_finished,
// still come after its participant_joined.
func TestEventsJoinedBeforeLeft(t *testing.T) {
	var l eventLog
	cfg := DefaultConfig()
	cfg.Events = l.add
	m := testManagerWith(t, cfg)
	m.log = slog.New(onJoined{func(id string) { m.End("x", id) }})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pc := mediaPeer(t, webrtc.RTPTransceiverDirectionSendrecv)
	if _, _, err := m.Join(ctx, "x", "", Participant, gatheredOffer(t, pc)); err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range l.all() {
		types = append(types, e.Type)
	}
	want := []string{EventRoomStarted, EventJoined, EventLeft, EventRoomFinished}
	if !slices.Equal(types, want) {
		t.Errorf("events %q, want %q", types, want)
	}
}

// TestEventsRecordingEmpty: a recording that kept no file (nothing
// recorded) is told without a path, as the README says: a receiver must
// not go looking for it.
func TestEventsRecordingEmpty(t *testing.T) {
	var l eventLog
	cfg := DefaultConfig()
	cfg.Events = l.add
	m := testManagerWith(t, cfg)
	t.Cleanup(func() { stopRecorder = (*recorder.Recording).Stop })
	stopRecorder = func(rec *recorder.Recording) (string, error) {
		path, _ := rec.Stop()
		return path, ErrNothingRecorded // as a stop before any frame
	}
	r, _ := joinRoom(t, m, Participant, mediaPeer(t, webrtc.RTPTransceiverDirectionSendrecv))
	if _, err := r.StartRecording(); err != nil {
		t.Fatal(err)
	}
	r.StopRecording()
	for _, e := range l.all() {
		if e.Type == EventRecordingFinished && (e.Path != "" || e.Result != "empty") {
			t.Errorf("recording_finished %+v, want no path and result empty", e)
		}
	}
}
