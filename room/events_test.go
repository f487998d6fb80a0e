package room

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"syscall"
	"testing"
	"time"

	"mcu/recorder"

	"github.com/pion/webrtc/v4"
)

// TestEvents: a room's life as Config.Events tells it, in order: opened,
// a participant in, a recording started and finalized (with its file and
// result), the participant out, the room closed.
func TestEvents(t *testing.T) {
	var l eventLog
	cfg := DefaultConfig()
	cfg.Events = l.add
	m := testManagerWith(t, cfg)
	start := time.Now().UTC()
	r, _ := joinRoom(t, m, Participant, mediaPeer(t, webrtc.RTPTransceiverDirectionSendrecv))
	s := onlySession(t, r)
	path, err := r.StartRecording()
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // some of the mix in the file
	if _, err := r.StopRecording(); err != nil {
		t.Fatal(err)
	}
	if err := m.Leave("x", s.Key()); err != nil {
		t.Fatal(err)
	}

	got := l.all()
	want := []Event{
		{Type: EventRoomStarted, Room: "x"},
		{Type: EventJoined, Room: "x", Session: s.ID, Name: s.Name, Kind: "participant"},
		{Type: EventRecordingStarted, Room: "x", Path: path},
		{Type: EventRecordingFinished, Room: "x", Path: path, Result: "complete"},
		{Type: EventLeft, Room: "x", Session: s.ID, Name: s.Name, Kind: "participant", Reason: "left"},
		{Type: EventRoomFinished, Room: "x", Reason: "empty"},
	}
	stamped := slices.Clone(got)
	rid := ""
	if len(got) > 0 {
		rid = got[0].RoomID
	}
	for i := range got {
		if rid == "" || got[i].RoomID != rid || got[i].ID == "" {
			t.Errorf("event %d: room_id %q, id %q: want the room's, and one", i, got[i].RoomID, got[i].ID)
		}
		got[i].Time, got[i].RoomID, got[i].ID = time.Time{}, "", ""
	}
	if !slices.Equal(got, want) {
		t.Fatalf("events:\n%+v\nwant:\n%+v", got, want)
	}
	for i, e := range stamped {
		if e.Time.Before(start.Add(-time.Millisecond)) || e.Time.Location() != time.UTC || i > 0 && e.Time.Before(stamped[i-1].Time) {
			t.Errorf("event %d (%s) at %v: want UTC times, in order, from the test's start", i, e.Type, e.Time)
		}
	}
}

// TestEventLeftReasons: a participant whose client goes away without a
// word (its connection closed) leaves "disconnected"; one let go by the
// server's stop, "ended".
func TestEventLeftReasons(t *testing.T) {
	left := make(chan Event, 4)
	cfg := DefaultConfig()
	cfg.Events = func(e Event) {
		if e.Type == EventLeft {
			left <- e
		}
	}
	m := testManagerWith(t, cfg)
	pc := mediaPeer(t, webrtc.RTPTransceiverDirectionSendrecv)
	joinConnected(t, m, Participant, pc)
	stays := mediaPeer(t, webrtc.RTPTransceiverDirectionSendrecv)
	joinConnected(t, m, Participant, stays)
	pc.Close()
	select {
	case e := <-left:
		if e.Reason != LeftDisconnected {
			t.Errorf("a client gone without a word: %+v, want the reason %q", e, LeftDisconnected)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no participant_left 15 s after the client closed its connection")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.Close(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-left:
		if e.Reason != LeftEnded {
			t.Errorf("let go at the server's stop: %+v, want the reason %q", e, LeftEnded)
		}
	default:
		t.Error("no participant_left for the session the server's stop let go")
	}
}

// TestEventRecordingRefused: a start that makes no recording is told, with
// why: the disk under RecordMinFree, too many begun in a second, or the
// file not created.
func TestEventRecordingRefused(t *testing.T) {
	var l eventLog
	cfg := DefaultConfig()
	cfg.Events = l.add
	m := testManagerWith(t, cfg)
	r, err := m.reserve("x", Viewer, false)
	if err != nil {
		t.Fatal(err)
	}
	defer m.endJoin(r, Viewer)
	t.Cleanup(func() { startRecorder = recorder.Start })
	for _, c := range []struct {
		err  error
		want string
	}{{recorder.ErrLowDisk, "low_disk"}, {recorder.ErrTooMany, "too_many"}, {errors.New("mkdir: permission denied"), "failed"},
		// The disk full when the file's header was written (no space
		// kept free, or filled since the look at it).
		{fmt.Errorf("write header: %w", &os.PathError{Op: "write", Path: "/r/x.webm", Err: syscall.ENOSPC}), "low_disk"}} {
		startRecorder = func(string, string, time.Time, recorder.WebMConfig, *slog.Logger) (*recorder.Recording, error) {
			return nil, c.err
		}
		if _, err := r.StartRecording(); err == nil {
			t.Fatalf("a start failing with %v succeeded", c.err)
		}
		got := l.all()
		last := got[len(got)-1]
		if last.Type != EventRecordingRefused || last.Reason != c.want || last.Room != "x" {
			t.Errorf("a start failing with %v told %+v, want recording_refused, %s", c.err, last, c.want)
		}
	}
}
