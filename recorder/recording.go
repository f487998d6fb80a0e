//go:build cgo

package recorder

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"mcu/codec"
	"mcu/internal/diskspace"
)

// queueLen is how many frames a Recording buffers ahead of the disk: about
// three seconds of 30 fps video with its audio.
const queueLen = 256

// Recording writes a room's encoded media to a WebM file from its own
// goroutine, so the mixer never waits on the disk. When the disk falls
// behind and the queue is full, audio frames are dropped and video is
// dropped up to the next keyframe, each counted and logged once.
type Recording struct {
	w     *WebMWriter
	abs   string
	log   *slog.Logger
	queue chan item
	done  chan struct{} // closed when run has written the queue
	final chan struct{} // closed when Stop has finalized the file
	// pictured is closed once the file holds its first picture (its
	// sound waits for the first keyframe, or for the end).
	pictured chan struct{}

	mu        sync.Mutex // guards the fields below against Stop
	stopped   bool
	skipVideo bool   // dropping video until the next keyframe
	asked     bool   // a keyframe was asked for since the queue was last full
	onGap     func() // asks for a keyframe (OnGap)
	// The times of the last sound and picture queued (-1: none yet),
	// and the time after which sound is left out (EndWithPictures; -1:
	// none).
	lastAudio, lastVideo, soundEnd time.Duration

	minFree                    uint64                // WebMConfig.MinFree
	checked                    time.Duration         // the media time of the last look at the free space
	failed                     atomic.Pointer[error] // the first write error (Err)
	closeErr                   error                 // Stop's, read after final
	droppedVideo, droppedAudio atomic.Uint64
	outOfOrder                 atomic.Uint64 // frames the file refused for their time
	Started                    time.Time
}

type item struct {
	f     codec.EncodedFrame
	video bool
}

// recordingSync is how often a recording's file is synced to the disk,
// in media written, unless its config says.
const recordingSync = 5 * time.Second

func withSync(cfg WebMConfig) WebMConfig {
	if cfg.SyncEvery == 0 {
		cfg.SyncEvery = recordingSync
	}
	return cfg
}

// Start creates dir/<room>/<room>-<UTC time>.webm and starts writing; the
// file is synced to the disk every 5 s of media.
func Start(dir, room string, now time.Time, cfg WebMConfig, log *slog.Logger) (*Recording, error) {
	if !SafeName(room) {
		return nil, fmt.Errorf("recorder: room name %q is not safe for a file name", room)
	}
	if log == nil {
		log = slog.Default()
	}
	// Before the room's folder is made: a disk too full for that too is
	// refused as nearly full, and a refused start leaves nothing.
	if err := enoughSpace(dir, cfg.MinFree); err != nil {
		return nil, err
	}
	folder := filepath.Join(dir, room)
	// The room's folder and file are opened through dir as a root: a
	// folder that is a link out of it (made by another user of a shared
	// -record-dir, swapped in at any time) is refused, not followed.
	// Recordings are people's meetings: other users of the machine may
	// not read them.
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("recorder: %w", err)
	}
	defer root.Close()
	if err := root.Mkdir(room, 0o750); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("recorder: %w", err)
	}
	if fi, err := root.Lstat(room); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("recorder: %s is not a folder (a link?): recordings are not written through it", folder)
	}
	base := room + "-" + now.UTC().Format("20060102T150405Z")
	var w *WebMWriter
	for i := 1; i < 100; i++ {
		name := base + ".webm"
		if i > 1 {
			name = fmt.Sprintf("%s-%d.webm", base, i)
		}
		var f *os.File
		if f, err = root.OpenFile(filepath.Join(room, name), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o640); err == nil {
			w, err = newWebM(f, filepath.Join(folder, name), withSync(cfg))
		} else {
			err = fmt.Errorf("recorder: %w", err)
		}
		if !errors.Is(err, os.ErrExist) {
			break
		}
	}
	if errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("%w: %s", ErrTooMany, base)
	}
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(w.Path())
	if err != nil {
		abs = w.Path()
	}
	r := &Recording{w: w, abs: abs, log: log.With("recording", abs), queue: make(chan item, queueLen),
		done: make(chan struct{}), final: make(chan struct{}), pictured: make(chan struct{}), Started: now,
		minFree: cfg.MinFree, lastAudio: -1, lastVideo: -1, soundEnd: -1}
	go r.run()
	return r, nil
}

// ErrLowDisk means the recording disk has less free space than
// WebMConfig.MinFree: a recording does not start, or takes no more frames.
var ErrLowDisk = errors.New("recorder: the recording disk is nearly full")

// enoughSpace checks that folder's disk has at least min bytes free.
func enoughSpace(folder string, min uint64) error {
	if min == 0 {
		return nil
	}
	if free, ok := diskspace.Free(folder); ok && free < min {
		return fmt.Errorf("%w: %d MiB free, the server keeps %d MiB", ErrLowDisk, free>>20, min>>20)
	}
	return nil
}

// ErrFileGone means a recording's file is no longer at its path: deleted
// (its folder removed while it was written: what it held is lost) or moved
// away (it is finalized where it went).
var ErrFileGone = errors.New("recorder: the recording's file is no longer where it was made")

// deleted reports a file deleted while open: writing on is pointless.
func (w *WebMWriter) deleted() error {
	held, err := w.file.Stat()
	if err != nil {
		return nil // cannot tell
	}
	return w.unlinkedErr(held)
}

func (w *WebMWriter) unlinkedErr(held os.FileInfo) error {
	if unlinked(held) {
		return fmt.Errorf("%w: %s was deleted while it was written (its folder removed?); what it held is lost", ErrFileGone, w.path)
	}
	return nil
}

// gone reports a file deleted, or moved away from its path, while open.
func (w *WebMWriter) gone() error {
	held, err := w.file.Stat()
	if err != nil {
		return nil // cannot tell
	}
	if err := w.unlinkedErr(held); err != nil {
		return err
	}
	if now, err := os.Stat(w.path); err != nil || !os.SameFile(now, held) {
		where := ""
		if p, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", w.file.Fd())); err == nil {
			where = ": it is now at " + p
		}
		return fmt.Errorf("%w: %s was moved away while it was written%s", ErrFileGone, w.path, where)
	}
	return nil
}

// spaceCheckEvery is how much media a recording writes between two looks
// at its disk's free space: at 1.5 Mbit/s, ~200 KB.
const spaceCheckEvery = time.Second

// ErrEmpty is Stop's error for a recording stopped before any frame
// reached it: there is nothing to play, and the file is removed.
var ErrEmpty = errors.New("recorder: nothing was recorded (stopped before any frame came); no file was kept")

// ErrTooMany means a room's recordings begun within one second have taken
// every file name of that second.
var ErrTooMany = errors.New("recorder: too many recordings begun this second; try again")

// SafeName reports whether a room name can become a file name as it is:
// 1 to 64 letters, digits, '-' and '_', not starting with '-'.
func SafeName(name string) bool {
	if len(name) == 0 || len(name) > 64 || name[0] == '-' {
		return false
	}
	for _, c := range []byte(name) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Path is the absolute path of the file.
func (r *Recording) Path() string { return r.abs }

// Dropped counts the frames left out of the file so far because the disk
// fell behind (the queue full), video up to the next keyframe included.
func (r *Recording) Dropped() uint64 { return r.droppedVideo.Load() + r.droppedAudio.Load() }

// OnGap sets what the recording calls when video starts missing from the
// file until the next keyframe (the disk fell behind, or a frame was
// refused for its time): a room asks its encoder for one, so that the gap
// lasts a few frames rather than up to the keyframe interval. f must not
// block, nor call the Recording.
func (r *Recording) OnGap(f func()) {
	r.mu.Lock()
	r.onGap = f
	r.mu.Unlock()
}

// gap calls onGap; r.mu must be held.
func (r *Recording) gap() {
	if r.onGap != nil {
		r.onGap()
	}
}

// Video queues a VP8 frame; it never blocks.
func (r *Recording) Video(f codec.EncodedFrame) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return
	}
	if r.skipVideo && !f.Key {
		r.droppedVideo.Add(1)
		// A keyframe is asked for once the disk has caught up by half
		// the queue, so that it gets in; asked again only if it came
		// to a full queue after all. Asking at once would make one
		// every 500 ms (the mixer's limit) for everyone while the disk
		// stalls, each dropped.
		if !r.asked && len(r.queue) < cap(r.queue)/2 {
			r.asked = true
			r.gap()
		}
		return
	}
	select {
	case r.queue <- item{f: f, video: true}:
		r.skipVideo = false
		r.lastVideo = max(r.lastVideo, f.PTS)
	default:
		if r.droppedVideo.Add(1) == 1 {
			r.log.Warn("recording falls behind the disk: dropping video until the next keyframe")
		}
		r.skipVideo, r.asked = true, false
	}
}

// Audio queues an Opus packet; it never blocks.
func (r *Recording) Audio(f codec.EncodedFrame) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped || r.soundEnd >= 0 && f.PTS > r.soundEnd {
		return
	}
	select {
	case r.queue <- item{f: f}:
		r.lastAudio = max(r.lastAudio, f.PTS)
	default:
		if r.droppedAudio.Add(1) == 1 {
			r.log.Warn("recording falls behind the disk: dropping audio")
		}
	}
}

// EndWithPictures ends the file's sound where it is (later sound is left
// out) and waits until the file has been given the picture shown at that
// moment (pictures come interval apart), done is closed (the mixer
// stopped) or wait has passed; for a file with no picture yet it waits
// for none. The mixer's sound reaches the recording as it is mixed, its
// pictures only once encoded, a frame or two later (more on a busy
// machine): a stop that did not wait for them would leave a file whose
// pictures end before its sound.
func (r *Recording) EndWithPictures(done <-chan struct{}, interval, wait time.Duration) {
	select {
	case <-r.pictured:
	default:
		return
	}
	r.mu.Lock()
	if r.soundEnd < 0 {
		r.soundEnd = r.lastAudio
	}
	end := r.soundEnd
	r.mu.Unlock()
	if end < 0 {
		return
	}
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	poll := time.NewTicker(5 * time.Millisecond)
	defer poll.Stop()
	for !r.picturedTo(end - interval + 1) {
		select {
		case <-done:
			return
		case <-deadline.C:
			return
		case <-poll.C:
		}
	}
}

// picturedTo reports whether the file has been given a picture of time t
// or later.
func (r *Recording) picturedTo(t time.Duration) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lastVideo >= t
}

// Pictured is closed once the file holds its first picture.
func (r *Recording) Pictured() <-chan struct{} { return r.pictured }

func (r *Recording) run() {
	defer close(r.done)
	pictured := false
	for it := range r.queue {
		if r.failed.Load() != nil {
			continue // keep draining so producers never block
		}
		var err error
		if it.f.PTS-r.checked >= spaceCheckEvery {
			// Between two frames, so that the file is whole where it
			// stops taking them and its stop can finalize it.
			r.checked = it.f.PTS
			if err = r.w.deleted(); err == nil && r.minFree > 0 {
				err = enoughSpace(filepath.Dir(r.abs), r.minFree)
			}
		}
		switch {
		case err != nil:
		case it.video:
			err = r.w.WriteVideo(it.f)
		default:
			err = r.w.WriteAudio(it.f)
		}
		switch {
		case errors.Is(err, errOutOfOrder):
			// One frame with a bad time: the writer leaves it out (and
			// video until the next keyframe), and goes on.
			if r.outOfOrder.Add(1) == 1 {
				r.log.Warn("recording left out a frame whose time went backwards", "err", err)
			}
			if it.video {
				r.mu.Lock()
				r.gap()
				r.mu.Unlock()
			}
		case errors.Is(err, ErrFileGone):
			r.failed.Store(&err)
			r.log.Error("recording stopped taking frames: its file was deleted", "err", err)
		case errors.Is(err, ErrLowDisk):
			r.failed.Store(&err)
			r.log.Error("recording stopped taking frames: its disk is nearly full; its stop finalizes what was written", "err", err)
		case err != nil:
			r.failed.Store(&err)
			r.log.Error("recording write failed; the file keeps what was written", "err", err)
		case it.video && !pictured && r.w.VideoFrames > 0: // not one left out before the first keyframe
			pictured = true
			close(r.pictured)
		}
	}
}

// Err is the error that ended the file's writing (a full disk, a failed
// device, ErrLowDisk), or nil while it is written. From then on the
// recording takes no more frames; the file keeps what was written before,
// and Stop returns the error (after ErrLowDisk, with the file finalized).
func (r *Recording) Err() error {
	if p := r.failed.Load(); p != nil {
		return *p
	}
	return nil
}

// Stop writes what is queued, finalizes the file (duration, cues) and
// returns its absolute path. It is safe to call more than once, from any
// goroutine: every call returns once the file is final, with the same error.
// A recording stopped before any frame came (or with every one refused)
// is removed, and the error is ErrEmpty (with the write error, if any).
func (r *Recording) Stop() (string, error) {
	r.mu.Lock()
	first := !r.stopped
	if first {
		r.stopped = true
		close(r.queue)
	}
	r.mu.Unlock()
	if first {
		<-r.done
		var gone error
		if !errors.Is(r.Err(), ErrFileGone) {
			gone = r.w.gone() // before Close: the open file is the one compared
		}
		r.closeErr = errors.Join(r.Err(), gone, r.w.Close())
		if r.w.VideoFrames+r.w.AudioFrames == 0 {
			// FFmpeg's WebM of no frame at all is broken: it goes.
			if err := os.Remove(r.w.Path()); err != nil && !errors.Is(err, os.ErrNotExist) {
				r.log.Warn("an empty recording's file could not be removed", "err", err)
			}
			r.closeErr = errors.Join(ErrEmpty, r.closeErr)
		}
		if v, a, o := r.droppedVideo.Load(), r.droppedAudio.Load(), r.outOfOrder.Load(); v+a+o > 0 {
			r.log.Warn("recording dropped frames", "video", v, "audio", a, "out_of_order", o)
		}
		close(r.final)
	}
	<-r.final
	return r.abs, r.closeErr
}
