package room

import (
	"cmp"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"mcu/codec"
	"mcu/internal/sched"
	"mcu/layout"
	"mcu/mixer"
	"mcu/recorder"
)

// Room is one conference: its mixer, the shared outgoing tracks, the
// sessions and the recording.
type Room struct {
	name     string
	id       string // tells it from the other rooms of its name, in its events
	mgr      *Manager
	log      *slog.Logger
	obs      Observer
	mixer    *mixer.Mixer
	downlink *downlink   // sets the mixer's bitrate
	vp8      composite   // bound to every receiver of VP8
	audio    *clockTrack // the full mix, for viewers (see Audio)
	// The composite in H.264, bound to the receivers that cannot take VP8
	// (mixCodec); encoded while there are any (h264Receivers).
	h264       composite
	h264Mu     sync.Mutex              // orders h264Levels's changes and the mixer's SetH264
	h264Levels map[codec.H264Level]int // the receivers of H.264 by the level they decode
	h264Level  codec.H264Level         // the lowest of them (0: none says)
	cancel     context.CancelFunc
	done       chan struct{} // closed when the mixer has stopped
	closed     chan struct{} // closed when close has returned: the recording finalized
	created    time.Time

	mu       sync.Mutex
	sessions map[string]*Session
	joining  int  // joins being negotiated, of any kind: they keep the room open
	leaving  int  // sessions out of the list whose close is under way: they too
	pending  int  // of those, the ones to be shown: they count against MaxParticipants
	locked   bool // SetLocked: no one new is shown or heard
	// removed: the latest sessions the moderator removed (Manager.Remove),
	// id and secret, for their clients to be told why they are over.
	removed  []removal
	rec      *recorder.Recording
	ending   *recorder.Recording // the recording being finalized, outside mu
	starting bool                // a recording's file is being created, outside mu
	started  *sync.Cond          // on mu: signalled when starting ends
	closing  bool
	// finish is why the room closes (room_finished's reason), once the
	// server's stop or its mixer's failure closes it; "" is its last
	// session leaving.
	finish string
	// autoRecorded: Config.AutoRecord's recording has been started in
	// this room (it starts once).
	autoRecorded bool
	// telling counts the stops that took a recording (the first) and have
	// not yet told its end (recording_finished): the room's close waits
	// for them before its room_finished.
	telling sync.WaitGroup
}

// composite is the room's picture in one codec, on its way out.
type composite struct {
	track    *clockTrack
	sent     rateMeter    // its encoded bitrate
	deltas   rateMeter    // that of its frames but keyframes (a join's, a loss's)
	keyframe atomic.Int64 // when its last keyframe went out, ns after the room's creation; 0 before
}

// output is the composite in codec c: H.264, else VP8.
func (r *Room) output(c codec.VideoCodec) *composite {
	if c == codec.H264 {
		return &r.h264
	}
	return &r.vp8
}

// startRecorder creates a recording's file, and stopRecorder finalizes it
// (variables for tests).
var (
	startRecorder = recorder.Start
	stopRecorder  = (*recorder.Recording).Stop
)

// runMixer runs a room's mixer on the wall clock until ctx ends (a
// variable for tests).
var runMixer = func(ctx context.Context, m *mixer.Mixer) error { return m.Run(ctx, mixer.RealTime(), 0) }

func newRoom(name string, mgr *Manager) (*Room, error) {
	r := &Room{name: name, id: randomHex(8), mgr: mgr, log: mgr.log.With("room", name), obs: mgr.obs,
		sessions: map[string]*Session{}, done: make(chan struct{}), closed: make(chan struct{}), created: time.Now()}
	r.started = sync.NewCond(&r.mu)
	var err error
	r.vp8.track, err = newVideoTrack("video", "mcu-"+name)
	if err != nil {
		return nil, err
	}
	r.audio, err = newAudioTrack("audio", "mcu-"+name)
	if err != nil {
		return nil, err
	}
	if r.h264.track, err = newH264Track("video", "mcu-"+name); err != nil {
		return nil, err
	}
	r.vp8.track.sent, r.audio.sent, r.h264.track.sent = r.obs.BytesOut, r.obs.BytesOut, r.obs.BytesOut
	cfg := mgr.cfg.Mixer
	cfg.Live = true
	cfg.Observer = mgr.obs
	cfg.Logger = r.log
	cfg.EncoderThread = sched.Critical
	// The H.264 encoder keeps the priority of the thread it starts on:
	// given one of its own (+5, then 0), TestConference fell short of its
	// frame rate in CI in 2 of 5 runs, against none before
	// (docs/performance.md, "Thread priorities").
	if r.mixer, err = mixer.New(cfg, r); err != nil {
		return nil, err
	}
	r.downlink = newDownlink(mgr.cfg.downlinkFloor(), cfg.Video.Bitrate, r.mixer.SetBitrate)
	r.downlink.layers, r.downlink.log = r.mixer.SetTwoLayers, r.log.Info
	r.downlink.sent = func() int { return r.vp8.deltas.bps(time.Now()) }
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() {
		defer close(r.done)
		sched.Critical() // the room clock: late ticks cost every receiver a picture
		if err := runMixer(ctx, r.mixer); err != nil && ctx.Err() == nil {
			r.log.Error("mixer stopped: closing the room", "err", err)
			go mgr.evict(r) // not here: closing the room waits for this goroutine
		}
	}()
	r.log.Info("room opened")
	r.emit(Event{Type: EventRoomStarted})
	return r, nil
}

// lastKeyframe is when the last keyframe of the composite in codec c went
// out, on the monotonic clock (a step of the wall clock would put it in
// the future, and every receiver's keyframe request would look answered);
// zero before the first.
func (r *Room) lastKeyframe(c codec.VideoCodec) time.Time {
	if ns := r.output(c).keyframe.Load(); ns != 0 {
		return r.created.Add(time.Duration(ns))
	}
	return time.Time{}
}

// h264Receivers counts a receiver of the H.264 output that decodes up to
// level l in (+1) or out (-1): the mixer encodes it while there are any,
// for the lowest level among them.
func (r *Room) h264Receivers(delta int, l codec.H264Level) {
	r.h264Mu.Lock()
	defer r.h264Mu.Unlock()
	if r.h264Levels == nil {
		r.h264Levels = map[codec.H264Level]int{}
	}
	if r.h264Levels[l] += delta; r.h264Levels[l] <= 0 {
		delete(r.h264Levels, l)
	}
	r.h264Level = 0 // no bound
	for l := range r.h264Levels {
		if l.Below(r.h264Level) {
			r.h264Level = l
		}
	}
	// The level only while on: the mixer's tick between the two calls
	// would otherwise open an encoder at another size for nobody.
	on := len(r.h264Levels) > 0
	if on {
		r.mixer.SetH264Level(r.h264Level)
	}
	r.mixer.SetH264(on)
}

// h264Users is how many receivers take the H.264 output, and the lowest
// level they decode (0: none says).
func (r *Room) h264Users() (int, codec.H264Level) {
	r.h264Mu.Lock()
	defer r.h264Mu.Unlock()
	n := 0
	for _, c := range r.h264Levels {
		n += c
	}
	return n, r.h264Level
}

// Name is the room's name.
func (r *Room) Name() string { return r.name }

// Video implements mixer.Output: one packetization, written to every
// receiver through the shared track, and to the recording. Each picture's
// RTP timestamp is its PTS, also after ticks skipped when late or pictures
// dropped. The H.264 mix's pictures come from a goroutine of their own, at
// the same time as VP8 ones: they touch only the H.264 track, its rate
// meter and its keyframe time.
func (r *Room) Video(f codec.EncodedFrame) error {
	out := r.output(f.Codec)
	if err := out.track.WriteFrame(f); err != nil {
		r.log.Debug("video write", "codec", f.Codec, "err", err)
	}
	now := time.Now()
	out.sent.add(len(f.Data), now)
	if f.Key {
		out.keyframe.Store(max(int64(now.Sub(r.created)), 1))
	} else {
		out.deltas.add(len(f.Data), now)
	}
	if f.Codec == codec.H264 { // for its receivers alone: recordings are VP8
		return nil
	}
	r.mu.Lock()
	rec := r.rec
	r.mu.Unlock()
	if rec != nil {
		rec.Video(f)
	}
	return nil
}

// Audio implements mixer.Output: the full mix, for viewers and the
// recording.
//
// The full mix goes out on a clockTrack, as the composite does, because
// every viewer binds to it: each needs sequence numbers of its own (see
// clockTrack.Bind). A participant's mix-minus, with one receiver, is a
// clockTrack too: every track's RTP time is the room clock, which the
// sender reports map to the wall clock (srClocks).
func (r *Room) Audio(f codec.EncodedFrame) error {
	if err := r.audio.WriteFrame(f); err != nil {
		r.log.Debug("audio write", "err", err)
	}
	r.mu.Lock()
	rec := r.rec
	r.mu.Unlock()
	if rec != nil {
		rec.Audio(f)
	}
	return nil
}

// MixMinus implements mixer.Output: a participant's own mix.
func (r *Room) MixMinus(id string, f codec.EncodedFrame) error {
	r.mu.Lock()
	s := r.sessions[id]
	r.mu.Unlock()
	if s != nil && s.audioOut != nil {
		if err := s.audioOut.WriteFrame(f); err != nil {
			r.log.Debug("mix-minus write", "session", id, "err", err)
		}
	}
	return nil
}

// StartRecording starts writing the room's output to a new file. A room
// that is closing refuses (ErrNotFound): nobody could stop the recording.
func (r *Room) StartRecording() (string, error) {
	r.mu.Lock()
	switch {
	case r.closing:
		r.mu.Unlock()
		return "", ErrNotFound
	case r.mgr.stopping.Err() != nil:
		// Shutting down: Close has finalized the recordings, or will once
		// this start is over (it sets stopping first); one started now
		// would wait for the joins in flight.
		r.mu.Unlock()
		return "", ErrClosed
	case r.rec != nil:
		defer r.mu.Unlock()
		return r.rec.Path(), ErrRecording
	case r.starting:
		r.mu.Unlock()
		return "", ErrRecording
	}
	// The file is created without holding mu: every picture and audio
	// frame the room sends takes mu, and a slow disk must not hold them.
	// StopRecording, and so the room's close, waits until the start is
	// over.
	r.starting = true
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.starting = false
		r.started.Broadcast()
		r.mu.Unlock()
	}()

	vc := r.mgr.cfg.Mixer.Video
	rec, err := startRecorder(r.mgr.cfg.RecordDir, r.name, time.Now(), recorder.WebMConfig{Width: vc.Width, Height: vc.Height, FPS: vc.FPS, MinFree: r.mgr.cfg.RecordMinFree}, r.log)
	if err != nil {
		why := "failed" // the file not created
		switch {
		case errors.Is(err, ErrLowDisk), errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
			why = "low_disk"
		case errors.Is(err, recorder.ErrTooMany):
			why, err = "too_many", ErrTooManyRecordings
		}
		r.obs.Recording(RecordingRefused)
		r.emit(Event{Type: EventRecordingRefused, Reason: why})
		return "", err
	}
	rec.OnGap(r.mixer.RequestKeyframe) // video missing from the file: a keyframe ends the gap
	r.mu.Lock()
	closing := r.closing
	if !closing {
		r.rec = rec
	}
	r.mu.Unlock()
	if closing { // the room closed meanwhile: nobody could stop this one
		if _, err := rec.Stop(); err != nil {
			r.log.Error("finalize recording", "err", err)
		}
		return "", ErrNotFound
	}
	r.mixer.RequestKeyframe() // a file starts with a keyframe
	r.log.Info("recording started", "path", rec.Path())
	r.emit(Event{Type: EventRecordingStarted, Path: rec.Path()})
	return rec.Path(), nil
}

// recordAutomatically starts the room's recording for Config.AutoRecord.
func (r *Room) recordAutomatically() {
	_, err := r.StartRecording()
	switch {
	case err == nil, errors.Is(err, ErrRecording): // started here, or through the API first
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrClosed): // the room or the server is closing
	default:
		r.log.Warn("automatic recording not started", "err", err)
	}
}

// firstPictureWait is how long a recording's stop waits for the file's
// first picture: four times the mixer's least time between keyframes
// (mixer.Config.KeyframeMinInterval, 500 ms), not its periodic
// KeyframeInterval (5 s).
const firstPictureWait = 2 * time.Second

// awaitFirstPicture waits until rec holds its first picture, the mixer
// has stopped (mixerDone) or firstPictureWait has passed. A variable:
// tests hold it.
var awaitFirstPicture = awaitFirstPictureDefault

func awaitFirstPictureDefault(rec *recorder.Recording, mixerDone <-chan struct{}) {
	select {
	case <-rec.Pictured():
	case <-mixerDone:
	case <-time.After(firstPictureWait):
	}
}

// lastPictureWait bounds a stop's wait for the pictures of its file's
// last sound (recorder.Recording.EndWithPictures): the encoder's backlog,
// on a machine short of CPU.
const lastPictureWait = 500 * time.Millisecond

// StopRecording finalizes the recording; when it returns the file is
// complete (duration, cues). A stop while another is finalizing waits for
// that one and returns its path. A recording that got no frame
// (ErrNothingRecorded) leaves no file.
func (r *Room) StopRecording() (string, error) { return r.stopRecording(true) }

// stopRecording is StopRecording; a room whose mixer has stopped does not
// wait for a first picture (waitPicture false).
func (r *Room) stopRecording(waitPicture bool) (string, error) {
	r.mu.Lock()
	for r.starting { // the recording being started is stopped, not missed
		r.started.Wait()
	}
	if waited := r.rec; waited != nil && waitPicture {
		// A stop right after the start (a client's POST and DELETE back
		// to back) gives the file its first picture first: the keyframe
		// asked for at the start comes within the mixer's
		// KeyframeMinInterval (a mixer that has stopped gives none). A
		// file with no frame at all plays nowhere, and is not kept.
		r.mu.Unlock()
		awaitFirstPicture(waited, r.done)
		// Its last sound is the one mixed by now: the pictures of the
		// same moments, which the encoder delivers a frame or two later,
		// go in too.
		waited.EndWithPictures(r.done, time.Second/time.Duration(max(r.mgr.cfg.Mixer.Video.FPS, 1)), lastPictureWait)
		r.mu.Lock()
		if r.rec != waited {
			// Stopped meanwhile (another stop, the room's close), and
			// perhaps another started since: this stop is the waited
			// one's, and gets what it got once it is final.
			r.mu.Unlock()
			return stopRecorder(waited)
		}
	}
	rec, first := r.rec, r.rec != nil
	if first {
		r.rec, r.ending = nil, rec
		r.telling.Add(1)
	} else {
		rec = r.ending
	}
	r.mu.Unlock()
	if rec == nil {
		return "", ErrNotRecording
	}
	path, err := stopRecorder(rec) // every caller returns once the file is final
	if first {
		r.mu.Lock()
		if r.ending == rec { // not a newer recording's stop
			r.ending = nil
		}
		r.mu.Unlock()
		dropped := rec.Dropped()
		r.log.Info("recording stopped", "path", path, "err", err, "dropped_frames", dropped)
		end := RecordingEndOf(path, err)
		r.obs.Recording(end)
		kept := path
		if end == RecordingEmpty {
			kept = "" // no file is kept
		}
		r.emit(Event{Type: EventRecordingFinished, Path: kept, Result: end.String(), DroppedFrames: dropped})
		r.telling.Done()
	}
	return path, err
}

// recording reports whether the room records, starts to or finalizes a
// recording.
func (r *Room) recording() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rec != nil || r.ending != nil || r.starting
}

// SetLayout switches the room's layout.
func (r *Room) SetLayout(mode layout.Mode) { r.mixer.SetLayout(mode) }

// Layout is the room's layout now.
func (r *Room) Layout() layout.Mode { return r.mixer.Layout() }

// SetSpotlight shows session id (as the room's JSON lists it) large in
// the speaker layout, in place of the active speaker, until it leaves or
// another call; "" clears it. A share still comes first. ErrNotFound for
// an id that is not one of the room's sessions in the mix (a viewer's).
func (r *Room) SetSpotlight(id string) error {
	// Under the room's lock, so that a session found here is taken out of
	// the mix (which clears its spotlight) only after it is set.
	r.mu.Lock()
	defer r.mu.Unlock()
	if s := r.sessions[id]; id != "" && (s == nil || s.Kind == Viewer) {
		return fmt.Errorf("%w: no session %q in the mix of %s", ErrNotFound, id, r.name)
	}
	r.mixer.SetSpotlight(id)
	return nil
}

// SetMuted keeps the sound of session id (as the room's JSON lists it) out
// of every mix, the recording's too, from the next audio tick on (faded
// out), or with false lets it in again: for the room's moderator, someone
// whose noise spoils the room. They still hear the others. ErrNotFound
// for an id that is not one of the room's sessions in the mix (a viewer's).
func (r *Room) SetMuted(id string, muted bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.sessions[id]
	var found, changed bool
	if s != nil && s.Kind != Viewer {
		found, changed = r.mixer.SetMuted(id, muted)
	}
	if !found {
		return fmt.Errorf("%w: no session %q in the mix of %s", ErrNotFound, id, r.name)
	}
	if changed {
		// Told once per change (a request repeated tells nothing), under
		// the lock: the session's leave, told after it, comes after.
		r.emit(Event{Type: EventMuted, Session: id, Name: s.Name, Kind: s.Kind.String(), Muted: &muted})
		what := "muted by the room's moderator"
		if !muted {
			what = "unmuted by the room's moderator"
		}
		r.log.Info(what, "session", id)
	}
	return nil
}

// removal is a session the room's moderator removed.
type removal struct{ id, secret string }

// maxRemovals is how many removed sessions a room remembers (their
// clients learn of it within seconds).
const maxRemovals = 64

// wasRemoved tells whether the session of id and secret is one of the
// latest the room's moderator removed; r.mu held.
func (r *Room) wasRemoved(id, secret string) bool {
	return slices.ContainsFunc(r.removed, func(x removal) bool {
		return x.id == id && subtle.ConstantTimeCompare([]byte(secret), []byte(x.secret)) == 1
	})
}

// SetLocked locks the room, or with false unlocks it: while it is locked,
// no one new may join to be seen or heard (ErrLocked), those in it stay,
// and they may share their screens (a share naming its owner); viewers
// still join. For the room's moderator: someone removed cannot come
// straight back. The lock lasts until unlocked or the room closes.
func (r *Room) SetLocked(locked bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.locked == locked {
		return
	}
	r.locked = locked
	r.emit(Event{Type: EventLocked, Locked: &locked})
	what := "locked by the room's moderator"
	if !locked {
		what = "unlocked by the room's moderator"
	}
	r.log.Info(what)
}

// Spotlight is the session SetSpotlight put in the spotlight, "" for none.
func (r *Room) Spotlight() string { return r.mixer.Spotlight() }

// Info describes a room for the API.
type Info struct {
	Name   string      `json:"name"`
	Layout layout.Mode `json:"layout"`
	// Spotlight is the session shown large in the speaker layout
	// (SetSpotlight), when there is one.
	Spotlight    string         `json:"spotlight,omitempty"`
	Participants []SessionInfo  `json:"participants"`
	Viewers      int            `json:"viewers"`
	Recording    *RecordingInfo `json:"recording"`
	// Locked: no one new may join to be seen or heard (SetLocked).
	Locked  bool      `json:"locked,omitempty"`
	Created time.Time `json:"created"`
	Mixer   MixerInfo `json:"mixer"`
}

// RecordingInfo is the state of a room's recording.
type RecordingInfo struct {
	Path    string    `json:"path"`
	Started time.Time `json:"started"`
	// Error says why the file stopped taking the room's media (a full
	// disk): the file keeps what was written before; a stop finalizes it.
	Error string `json:"error,omitempty"`
	// DroppedFrames counts the frames the file lacks because its disk
	// fell behind (a slow or stalled disk): each a hole in the recording.
	DroppedFrames uint64 `json:"dropped_frames"`
}

// MixerInfo summarizes a room's mixer.
type MixerInfo struct {
	Width  int `json:"width"`
	Height int `json:"height"`
	FPS    int `json:"fps"`
	// Bitrate is the composite's bitrate now: MaxBitrate, the configured
	// one, unless a receiver can take less (see downlink), and never under
	// MinBitrate.
	Bitrate    int    `json:"bitrate"`
	MaxBitrate int    `json:"max_bitrate"`
	MinBitrate int    `json:"min_bitrate"`
	Frames     uint64 `json:"frames"`
	Keyframes  uint64 `json:"keyframes"`
	LateTicks  uint64 `json:"late_ticks"`
	Dropped    uint64 `json:"dropped_frames"`
	EncodeMean string `json:"encode_mean"`
	// AudioLoss is the packet loss (percent) the full mix's Opus encoder
	// protects against with FEC: the worst any receiver reports.
	AudioLoss int `json:"audio_loss_percent"`
	// Voices is how many people's sound each mix takes at most (0: all).
	Voices int `json:"voices"`
	// H264Receivers counts the sessions (viewers too) that receive the
	// composite in H.264, which is encoded while there are any;
	// H264Frames counts its pictures so far, H264Dropped the composites
	// not encoded in H.264 because its encoder was still busy.
	H264Receivers int    `json:"h264_receivers"`
	H264Frames    uint64 `json:"h264_frames"`
	H264Dropped   uint64 `json:"h264_dropped"`
	// H264Level is the lowest H.264 level its receivers decode, when
	// one says, and H264Size the size the composite is encoded at for
	// them: the canvas's, or less where the level is too low for it
	// (mixer.SetH264Level).
	H264Level string `json:"h264_level,omitempty"`
	H264Size  string `json:"h264_size,omitempty"`
	// Speed is the VP8 encoder's libvpx speed (cpu-used) now: the
	// configured one, or faster while the machine is short of CPU
	// (StrainSpeed, the fastest it may go, 0 when the speed is fixed);
	// SpeedChanges counts its steps both ways.
	Speed        int    `json:"speed"`
	StrainSpeed  int    `json:"strain_speed"`
	SpeedChanges uint64 `json:"speed_changes"`
	// ScreenContent: the encoder takes the mix as screen content now (a
	// shared screen is in it), which keeps text sharper at the same
	// bitrate.
	ScreenContent bool `json:"screen_content"`
}

// Info returns the room's state.
func (r *Room) Info() Info {
	st := r.mixer.Stats()
	vc := r.mgr.cfg.Mixer.Video
	info := Info{Name: r.name, Layout: r.mixer.Layout(), Spotlight: r.mixer.Spotlight(), Created: r.created, Participants: []SessionInfo{},
		Mixer: MixerInfo{Width: vc.Width, Height: vc.Height, FPS: vc.FPS, Bitrate: r.mixer.Bitrate(), MaxBitrate: vc.Bitrate, MinBitrate: r.downlink.floor, Frames: st.VideoFrames,
			Keyframes: st.Keyframes, LateTicks: st.LateTicks, Dropped: st.DroppedFrames, EncodeMean: st.Encode.Mean().String(),
			AudioLoss: r.mixer.AudioLoss(), Voices: r.mgr.cfg.Mixer.Voices, H264Frames: st.H264Frames, H264Dropped: st.H264Dropped,
			Speed: st.Speed, StrainSpeed: r.mgr.cfg.Mixer.FastestSpeed(), SpeedChanges: st.SpeedUps + st.SpeedDowns,
			ScreenContent: st.ScreenContent}}
	var level codec.H264Level
	if info.Mixer.H264Receivers, level = r.h264Users(); info.Mixer.H264Receivers > 0 {
		w, h := level.Fit(info.Mixer.Width, info.Mixer.Height, info.Mixer.FPS)
		info.Mixer.H264Size = fmt.Sprintf("%dx%d", w, h)
		if level != 0 {
			info.Mixer.H264Level = level.String()
		}
	}
	// The sessions are described outside mu, which the room's output
	// takes for every picture and audio frame.
	r.mu.Lock()
	info.Locked = r.locked
	sessions := slices.Collect(maps.Values(r.sessions))
	rec := r.rec
	r.mu.Unlock()
	for _, s := range sessions {
		if s.Kind == Viewer {
			info.Viewers++
			continue
		}
		info.Participants = append(info.Participants, s.Info())
	}
	if rec != nil {
		info.Recording = &RecordingInfo{Path: rec.Path(), Started: rec.Started, DroppedFrames: rec.Dropped()}
		if err := rec.Err(); err != nil {
			// In words: the error names the server's files (the recording
			// logged it whole).
			info.Recording.Error = "writing the file failed; it keeps what was written before"
			switch {
			case errors.Is(err, syscall.ENOSPC):
				info.Recording.Error = "the disk is full; the file keeps what was written before"
			case errors.Is(err, ErrFileGone):
				info.Recording.Error = "the recording's file was deleted while it was written (its folder removed?): what it held is lost"
			case errors.Is(err, ErrLowDisk):
				info.Recording.Error = "the disk is nearly full (under the space the server keeps free): the file takes no more, and a stop finalizes what it has"
			}
		}
	}
	// Join order, which is also the order of the tiles.
	slices.SortFunc(info.Participants, func(a, b SessionInfo) int { return a.Joined.Compare(b.Joined) })
	return info
}

// shown counts the sessions in the mix plus joins under way.
func (r *Room) shown() int {
	n := r.pending
	for _, s := range r.sessions {
		if s.Kind != Viewer {
			n++
		}
	}
	return n
}

// watching counts the room's viewers plus viewer joins under way.
func (r *Room) watching() int {
	n := r.joining - r.pending
	for _, s := range r.sessions {
		if s.Kind == Viewer {
			n++
		}
	}
	return n
}

// mixerStopWait is how long a closing room waits for its mixer to stop
// before it finalizes its recording anyway.
const mixerStopWait = 5 * time.Second

// finishing says why r closes, unless it already has a reason.
func (r *Room) finishing(why string) {
	r.mu.Lock()
	r.finish = cmp.Or(r.finish, why)
	r.mu.Unlock()
}

// close stops the mixer and finalizes a recording; sessions are already
// gone or are closed by the caller.
func (r *Room) close() {
	defer close(r.closed)
	// The mixer first: its last pictures go into the recording, and a
	// disk that hangs in the recording's finalizing holds no mixer running
	// for an empty room.
	r.cancel()
	select {
	case <-r.done:
	case <-time.After(mixerStopWait):
		// An encoder or an output that hangs must not leave the
		// recording unfinalized.
		r.log.Warn("the mixer has not stopped; finalizing the recording all the same", "waited", mixerStopWait)
	}
	if _, err := r.stopRecording(false); err != nil && err != ErrNotRecording {
		r.log.Error("finalize recording", "err", err)
	}
	<-r.done
	// A stop (the API's) that took the recording may still be telling
	// its end: the room's close is told after it (none starts now).
	r.telling.Wait()
	r.downlink.stop()
	r.mu.Lock()
	why := cmp.Or(r.finish, FinishedEmpty)
	r.mu.Unlock()
	r.log.Info("room closed", "reason", why)
	r.emit(Event{Type: EventRoomFinished, Reason: why})
}
