package room

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"mcu/recorder"
)

// TestRoomFinishedAfterRecordingFinished: a DELETE of the recording
// (the first stop) while the last participant leaves (the room's close,
// the second stop, which waits for the file to be final): the events tell
// recording_finished before room_finished ("the room closed, its
// recording finalized first"), even when the DELETE's goroutine is held
// between the file's finalizing and its event (here by the test).
func TestRoomFinishedAfterRecordingFinished(t *testing.T) {
	var l eventLog
	cfg := DefaultConfig()
	cfg.Events = l.add
	m := testManagerWith(t, cfg)
	r, _ := recordingRoom(t, m, "order")
	var calls atomic.Int32
	t.Cleanup(func() { stopRecorder = (*recorder.Recording).Stop })
	stopRecorder = func(rec *recorder.Recording) (string, error) {
		p, err := rec.Stop()
		if calls.Add(1) == 1 {
			time.Sleep(300 * time.Millisecond) // the DELETE's goroutine, descheduled
		}
		return p, err
	}
	del := async(func() (string, error) { return m.StopRecording("order") })
	for calls.Load() == 0 { // the DELETE has taken the recording
		time.Sleep(time.Millisecond)
	}
	m.release(r, Viewer) // the last one leaves: the room closes
	if res := <-del; res.err != nil {
		t.Fatal(res.err)
	}
	<-r.closed
	var types []string
	for _, e := range l.all() {
		types = append(types, e.Type)
	}
	rf, rec := slices.Index(types, EventRoomFinished), slices.Index(types, EventRecordingFinished)
	if rf < 0 || rec < 0 || rec > rf {
		t.Errorf("events %v: want recording_finished before room_finished", types)
	}
}

// TestCloseWaitsForClosingRooms: the server stops while a room its last
// participant left is still closing (its recording finalizing): Close
// returns only once that room has closed and told room_finished, for the
// webhook's last events are sent after Close.
func TestCloseWaitsForClosingRooms(t *testing.T) {
	var l eventLog
	cfg := DefaultConfig()
	cfg.Events = l.add
	m := testManagerWith(t, cfg)
	r, _ := recordingRoom(t, m, "closing")
	var calls atomic.Int32
	t.Cleanup(func() { stopRecorder = (*recorder.Recording).Stop })
	stopRecorder = func(rec *recorder.Recording) (string, error) {
		p, err := rec.Stop()
		if calls.Add(1) == 1 {
			time.Sleep(300 * time.Millisecond) // the room's own close, held after the file is final
		}
		return p, err
	}
	go m.release(r, Viewer) // the last one leaves: the room closes on its own
	for calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(l.all(), func(e Event) bool { return e.Type == EventRoomFinished }) {
		t.Error("Close returned before the closing room told room_finished")
	}
}
