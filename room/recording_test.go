package room

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"mcu/codec"
	"mcu/internal/mediatest"
	"mcu/recorder"
)

// blockRecorder makes startRecorder wait for release before creating the
// file, as a slow disk would; entered is closed once a start waits there.
// Call it after testManager: its cleanup releases a start still waiting,
// before the manager's cleanup closes the rooms.
func blockRecorder(t *testing.T) (entered chan struct{}, release func()) {
	entered, gate := make(chan struct{}), make(chan struct{})
	var once sync.Once
	release = func() { once.Do(func() { close(gate) }) }
	t.Cleanup(func() {
		release()
		startRecorder = recorder.Start
	})
	startRecorder = func(dir, room string, now time.Time, cfg recorder.WebMConfig, log *slog.Logger) (*recorder.Recording, error) {
		close(entered)
		<-gate
		return recorder.Start(dir, room, now, cfg, log)
	}
	return entered, release
}

// recordingResult is what StartRecording or StopRecording returned.
type recordingResult struct {
	path string
	err  error
}

// async runs a recording call in its own goroutine; its result comes on
// the channel.
func async(call func() (string, error)) <-chan recordingResult {
	c := make(chan recordingResult, 1)
	go func() {
		p, err := call()
		c <- recordingResult{p, err}
	}()
	return c
}

// within fails the test if fn does not return within a second.
func within(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatalf("%s waited for the recording's file to be created", what)
	}
}

// TestRecordingFileCreatedOutsideTheLock holds the creation of a
// recording's file: meanwhile the room keeps sending pictures and
// answering, a second start is refused, and once the file exists the
// recording runs.
func TestRecordingFileCreatedOutsideTheLock(t *testing.T) {
	m := testManager(t)
	entered, release := blockRecorder(t)
	r, err := m.reserve("slow", Viewer, false)
	if err != nil {
		t.Fatal(err)
	}
	first := async(r.StartRecording)
	<-entered
	within(t, "a picture", func() { r.Video(codec.EncodedFrame{Data: []byte{0x10, 0, 0}, Key: true}) })
	within(t, "the room's description", func() { r.Info() })
	if _, err := r.StartRecording(); !errors.Is(err, ErrRecording) {
		t.Errorf("second start during the first: %v, want ErrRecording", err)
	}
	release()
	res := <-first
	if res.err != nil {
		t.Fatal(res.err)
	}
	if _, err := os.Stat(res.path); err != nil {
		t.Errorf("recording file: %v", err)
	}
	if info := r.Info(); info.Recording == nil || info.Recording.Path != res.path {
		t.Errorf("room shows recording %+v, want %s", info.Recording, res.path)
	}
	if _, err := r.StopRecording(); err != nil {
		t.Error(err)
	}
	m.release(r, Viewer)
}

// TestRoomClosesDuringRecordingStart closes the room while a recording's
// file is being created: the start is refused, and the room's close waits
// for that recording to be finalized, so nothing is left unfinished when
// the server exits.
func TestRoomClosesDuringRecordingStart(t *testing.T) {
	m := testManager(t)
	entered, release := blockRecorder(t)
	r, err := m.reserve("closing", Viewer, false)
	if err != nil {
		t.Fatal(err)
	}
	m.endJoin(r, Viewer) // the room is empty; it closes at closeIfEmpty below
	started := async(r.StartRecording)
	<-entered
	closed := make(chan struct{})
	go func() { defer close(closed); m.closeIfEmpty(r) }()
	select {
	case <-closed:
		t.Fatal("the room closed before the recording being started was finalized")
	case <-time.After(100 * time.Millisecond):
	}
	release()
	<-closed
	if err := (<-started).err; !errors.Is(err, ErrNotFound) {
		t.Errorf("start in a room that closed meanwhile: %v, want ErrNotFound", err)
	}
	// The recording got no frame before the room closed: its file, which
	// FFmpeg leaves broken, is not kept.
	if entries, err := os.ReadDir(m.cfg.RecordDir + "/closing"); err != nil || len(entries) != 0 {
		t.Errorf("recording folder: %v, %v; want it empty", entries, err)
	}
}

// TestStopRightAfterStart: a stop that follows the start at once (a
// client's POST and DELETE back to back) waits for the recording's first
// picture, the keyframe the start asked for, and leaves a file that
// plays; it used to finalize a file of no frame, which FFmpeg leaves
// broken, and answer as if all were well.
func TestStopRightAfterStart(t *testing.T) {
	m := testManager(t)
	r, err := m.reserve("quick", Viewer, false)
	if err != nil {
		t.Fatal(err)
	}
	defer m.endJoin(r, Viewer)
	for i := range 3 {
		if _, err := r.StartRecording(); err != nil {
			t.Fatal(err)
		}
		path, err := r.StopRecording()
		if err != nil {
			t.Fatalf("stop %d right after its start: %v", i+1, err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		frames, _, err := mediatest.DecodeVideo(ctx, path)
		cancel()
		if err != nil || len(frames) == 0 {
			t.Errorf("recording %d, stopped right after its start: %d pictures decoded, %v", i+1, len(frames), err)
		}
	}
}

// TestStopDuringRecordingStart stops a recording whose file is still being
// created: the stop waits for it and stops it, where it used to answer "not
// recording" and leave the recording running.
func TestStopDuringRecordingStart(t *testing.T) {
	m := testManager(t)
	entered, release := blockRecorder(t)
	r, err := m.reserve("stop", Viewer, false)
	if err != nil {
		t.Fatal(err)
	}
	start := async(r.StartRecording)
	<-entered
	stop := async(r.StopRecording)
	select {
	case res := <-stop:
		t.Fatalf("stop returned %+v while the recording was being started", res)
	case <-time.After(100 * time.Millisecond):
	}
	release()
	started, stopped := <-start, <-stop
	if started.err != nil || stopped.err != nil || stopped.path != started.path {
		t.Errorf("start %+v, stop %+v: want the started recording stopped", started, stopped)
	}
	if info := r.Info(); info.Recording != nil {
		t.Errorf("still recording after the stop: %+v", info.Recording)
	}
	m.release(r, Viewer)
}

// TestCloseFinalizesRecordingsFirst: shutting down finalizes a room's
// recording at once, while a join is still in flight (one whose peer
// connection takes long to close); Close then waits for the join.
func TestCloseFinalizesRecordingsFirst(t *testing.T) {
	m := testManager(t)
	r, path := recordingRoom(t, m, "busy") // the join in flight
	closed := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		closed <- m.Close(ctx)
	}()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if data, err := os.ReadFile(path); err == nil && mediatest.WebMElements(data)[mediatest.EBMLCues] > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the recording was not finalized while a join was in flight")
		}
	}
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) before the join in flight ended", err)
	default:
	}
	if _, err := r.StartRecording(); !errors.Is(err, ErrClosed) {
		t.Errorf("a recording started while shutting down: %v, want ErrClosed", err)
	}
	m.release(r, Viewer)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
}

// TestCloseWaitsForARoomClosingOnItsOwn: a room whose last participant
// left is still finalizing its recording (out of the manager's list
// already) when shutdown begins; Close returns only once the file is
// final.
func TestCloseWaitsForARoomClosingOnItsOwn(t *testing.T) {
	m := testManager(t)
	_, path, _, gate := leaveRecording(t, m, "leaving")
	closed := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		closed <- m.Close(ctx)
	}()
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) while a closing room's recording was being finalized", err)
	case <-time.After(300 * time.Millisecond):
	}
	close(gate)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if mediatest.WebMElements(data)[mediatest.EBMLCues] == 0 {
		t.Error("Close returned before the recording was finalized (no cues)")
	}
}

// TestStopOfARoomClosingOnItsOwn: a stop of the recording of a room whose
// last participant has just left (its close finalizing the file) waits
// for the file and returns its path, not "no such room" before it is
// complete.
func TestStopOfARoomClosingOnItsOwn(t *testing.T) {
	for _, reopened := range []bool{false, true} {
		t.Run(map[bool]string{false: "alone", true: "reopened meanwhile"}[reopened], func(t *testing.T) {
			stopOfARoomClosingOnItsOwn(t, reopened)
		})
	}
}

// stopOfARoomClosingOnItsOwn is TestStopOfARoomClosingOnItsOwn, with a
// join opening a new room of the same name (not recording) while the old
// one closes when reopened.
func stopOfARoomClosingOnItsOwn(t *testing.T, reopened bool) {
	m := testManager(t)
	r, path, entered, gate := leaveRecording(t, m, "leaving")
	if reopened {
		fresh, err := m.reserve("leaving", Viewer, false)
		if err != nil {
			t.Fatal(err)
		}
		if fresh == r {
			t.Fatal("the join got the closing room")
		}
		defer func() {
			m.release(fresh, Viewer)
		}()
	}
	done := stopAsync(func() (string, error) { return m.StopRecording("leaving") })
	reachesFinalizing(t, entered, done, "the stop")
	close(gate)
	if res := <-done; res.err != nil || res.path != path {
		t.Errorf("stop: (%q, %v), want (%q, nil)", res.path, res.err, path)
	}
	// A stop after: the same file if the close is still finishing, else
	// nothing to stop.
	if p, err := m.StopRecording("leaving"); err == nil && p != path || err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrNotRecording) {
		t.Errorf("a stop after: (%q, %v)", p, err)
	}
}

// slowStop makes finalizing a recording wait, as on a slow disk, until
// gate is closed; entered receives each stop as it begins to wait.
func slowStop(t *testing.T) (entered, gate chan struct{}) {
	entered, gate = make(chan struct{}, 8), make(chan struct{})
	t.Cleanup(func() { stopRecorder = (*recorder.Recording).Stop })
	stopRecorder = func(rec *recorder.Recording) (string, error) {
		entered <- struct{}{}
		<-gate
		return rec.Stop()
	}
	return entered, gate
}

// stopped is what a stop of a recording returned.
type stopped struct {
	path string
	err  error
}

// stopAsync runs stop in a goroutine of its own; the channel gives what it
// returned.
func stopAsync(stop func() (string, error)) chan stopped {
	c := make(chan stopped, 1)
	go func() {
		p, err := stop()
		c <- stopped{p, err}
	}()
	return c
}

// reachesFinalizing fails the test unless the stop under way waits for the
// file (reaches the finalizing, entered) instead of returning (done).
func reachesFinalizing[E any](t *testing.T, entered <-chan E, done <-chan stopped, what string) {
	t.Helper()
	select {
	case <-entered:
	case res := <-done:
		t.Fatalf("%s returned (%q, %v) while the file was being finalized", what, res.path, res.err)
	case <-time.After(10 * time.Second):
		t.Fatalf("%s neither returned nor reached the finalizing in 10 s", what)
	}
}

// leaveRecording opens room name, recording, and makes its last one leave:
// the room closes on its own, its file being finalized (slowStop) when it
// returns.
func leaveRecording(t *testing.T, m *Manager, name string) (r *Room, path string, entered, gate chan struct{}) {
	t.Helper()
	r, path = recordingRoom(t, m, name)
	entered, gate = slowStop(t)
	go func() {
		m.release(r, Viewer)
	}()
	<-entered
	return r, path, entered, gate
}

// TestSecondStopWaitsForTheFirst: a stop of the recording while another
// is finalizing it (two DELETEs, or a DELETE during shutdown) returns the
// same path once the file is final, not "not recording" before.
func TestSecondStopWaitsForTheFirst(t *testing.T) {
	m := testManager(t)
	r, path := recordingRoom(t, m, "twice")
	defer m.endJoin(r, Viewer)
	entered, gate := slowStop(t)
	first := stopAsync(r.StopRecording)
	<-entered
	second := stopAsync(r.StopRecording)
	reachesFinalizing(t, entered, second, "the second stop")
	close(gate)
	for i, c := range []chan stopped{first, second} {
		res := <-c
		if res.err != nil || res.path != path {
			t.Errorf("stop %d: (%q, %v), want (%q, nil)", i+1, res.path, res.err, path)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if mediatest.WebMElements(data)[mediatest.EBMLCues] == 0 {
		t.Error("the recording is not finalized (no cues)")
	}
	if _, err := r.StopRecording(); !errors.Is(err, ErrNotRecording) {
		t.Errorf("a stop after both: %v, want ErrNotRecording", err)
	}
}

// TestStopOfAnOlderRecordingLeavesTheNewer: a recording finalized slowly
// while the next one is started and stopped: when the older stop ends, a
// further stop still waits for the newer file.
func TestStopOfAnOlderRecordingLeavesTheNewer(t *testing.T) {
	m := testManager(t)
	r, older := recordingRoom(t, m, "overlap")
	defer m.endJoin(r, Viewer)
	var mu sync.Mutex
	gates := map[string]chan struct{}{} // by path: closed to let that file be finalized
	gate := func(path string) chan struct{} {
		mu.Lock()
		defer mu.Unlock()
		if gates[path] == nil {
			gates[path] = make(chan struct{})
		}
		return gates[path]
	}
	entered := make(chan string, 4)
	t.Cleanup(func() { stopRecorder = (*recorder.Recording).Stop })
	stopRecorder = func(rec *recorder.Recording) (string, error) {
		entered <- rec.Path()
		<-gate(rec.Path())
		return rec.Stop()
	}
	first := stopAsync(r.StopRecording)
	<-entered
	newer, err := r.StartRecording()
	if err != nil {
		t.Fatal(err)
	}
	second := stopAsync(r.StopRecording)
	<-entered
	close(gate(older))
	if res := <-first; res.err != nil {
		t.Fatal(res.err)
	}
	third := stopAsync(r.StopRecording)
	reachesFinalizing(t, entered, third, "a stop of the newer recording")
	close(gate(newer))
	for _, c := range []chan stopped{second, third} {
		if res := <-c; res.err != nil || res.path != newer {
			t.Errorf("a stop of the newer recording: (%q, %v), want (%q, nil)", res.path, res.err, newer)
		}
	}
}

// recordingRoom opens room name, held open by a viewer's join in flight
// (undo with endJoin), and starts its recording, which it returns once the
// file holds a keyframe.
func recordingRoom(t *testing.T, m *Manager, name string) (*Room, string) {
	t.Helper()
	r, err := m.reserve(name, Viewer, false)
	if err != nil {
		t.Fatal(err)
	}
	path, err := r.StartRecording()
	if err != nil {
		t.Fatal(err)
	}
	waitCluster(t, path)
	return r, path
}

// waitCluster waits until the recording at path holds a cluster: a
// keyframe in the file, so that a finalized file has cues.
func waitCluster(t *testing.T, path string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if data, err := os.ReadFile(path); err == nil && mediatest.WebMElements(data)[mediatest.EBMLCluster] > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no cluster in the recording after 10 s")
		}
	}
}

// TestStaleStopLeavesANewerRecording: a stop waiting for its recording's
// first picture, while another stop ends that recording and a new one
// starts, gets the one it waited on once it is final, and leaves the new
// one running (it used to stop whichever the room held when its wait
// ended).
func TestStaleStopLeavesANewerRecording(t *testing.T) {
	m := testManager(t)
	r, err := m.reserve("stale", Viewer, false)
	if err != nil {
		t.Fatal(err)
	}
	defer m.endJoin(r, Viewer)
	older, err := r.StartRecording()
	if err != nil {
		t.Fatal(err)
	}
	waiting, release := make(chan struct{}), make(chan struct{})
	var calls atomic.Int32
	t.Cleanup(func() { awaitFirstPicture = awaitFirstPictureDefault })
	awaitFirstPicture = func(*recorder.Recording, <-chan struct{}) {
		if calls.Add(1) == 1 { // the first stop waits until told
			close(waiting)
			<-release
		}
	}
	first := async(r.StopRecording)
	<-waiting
	path2, err2 := r.StopRecording() // at once: nothing recorded yet, or a short file
	if path2 != older {
		t.Fatalf("the second stop: %q, %v; want the older", path2, err2)
	}
	newer, err := r.StartRecording()
	if err != nil {
		t.Fatal(err)
	}
	close(release)
	if res := <-first; res.path != older || !errors.Is(res.err, err2) && (res.err != nil || err2 != nil) {
		t.Errorf("the first stop: %q, %v; want the older, as the second stop got it (%v)", res.path, res.err, err2)
	}
	r.mu.Lock()
	rec := r.rec
	r.mu.Unlock()
	if rec == nil || rec.Path() != newer {
		t.Errorf("after the first stop returned, the room records %v; want the newer, %s, untouched", rec, newer)
	}
}

// TestStopDuringTheCloseOfAnEmptyRecording: a stop that comes as the
// room closes on its own, its mixer done and its recording without a
// frame, does not wait for a first picture: nothing recorded, at once (it
// waited 2 s, and then found the close had taken the recording: 409).
func TestStopDuringTheCloseOfAnEmptyRecording(t *testing.T) {
	m := testManager(t)
	r, err := m.reserve("closing", Viewer, false)
	if err != nil {
		t.Fatal(err)
	}
	r.cancel() // the mixer stops: no frame will come
	<-r.done
	if _, err := r.StartRecording(); err != nil {
		t.Fatal(err)
	}
	waiting := make(chan struct{})
	t.Cleanup(func() { awaitFirstPicture = awaitFirstPictureDefault })
	awaitFirstPicture = func(rec *recorder.Recording, done <-chan struct{}) {
		close(waiting)
		awaitFirstPictureDefault(rec, done)
	}
	start := time.Now()
	del := async(func() (string, error) { return m.StopRecording("closing") })
	<-waiting            // the stop waits for a first picture that will not come
	m.release(r, Viewer) // the last one leaves: the room closes, finalizing the recording
	res := <-del
	if !errors.Is(res.err, ErrNothingRecorded) || time.Since(start) > time.Second {
		t.Errorf("a stop during the room's close: %v after %v, want nothing recorded, at once", res.err, time.Since(start))
	}
}
