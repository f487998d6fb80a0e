package mixer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"mcu/audio"
	"mcu/codec"
	"mcu/layout"
)

// Participant is someone in the mix.
type Participant struct {
	ID   string
	Name string // shown on the placeholder tile when there is no picture
	// Video and Audio may be nil: no video gives a placeholder tile, no
	// audio is silence.
	Video VideoSource
	Audio AudioSource
	// MixMinus asks for this participant's own mix: everyone but them.
	MixMinus bool
	// Content marks a shared screen or presentation. In the speaker
	// layout it takes the large tile, in place of the active speaker
	// (the newest share, when there are several); a room in the grid
	// layout goes to the speaker layout when the first share comes and
	// back when the last goes, unless the layout was set meanwhile
	// (SetLayout). Its pictures are always fitted whole into their tile
	// (letterboxed), whatever Config.Aspect says: a screen's edges hold
	// its menus and text.
	Content bool
	// Owner is the ID of the participant whose share this is (a screen
	// shared with its sound, a tab's): their own mix (MixMinus) leaves
	// this participant's sound out as it leaves out their voice, so that
	// they do not hear what they share come back late. Empty for none; an
	// Owner not in the mix changes nothing.
	Owner string
}

// Aspect is how p's pictures go into their tile in a mix configured with
// aspect: a share's whole (Content), a camera's as configured.
func (p Participant) Aspect(aspect layout.Aspect) layout.Aspect {
	if p.Content {
		return layout.Fit
	}
	return aspect
}

// Output receives what the mixer produces. A non-nil error stops Run.
type Output interface {
	// Video receives each encoded composite picture, in order, from the
	// encoder goroutine; with the H.264 output on (SetH264), also its
	// pictures (Codec H264), in their order, from a goroutine of their
	// own, at the same time as VP8 ones.
	Video(f codec.EncodedFrame) error
	// Audio receives the full mix (for viewers and recordings), 20 ms at a
	// time, in order, from the mixer goroutine.
	Audio(f codec.EncodedFrame) error
	// MixMinus receives participant id's own mix, from the mixer goroutine.
	MixMinus(id string, f codec.EncodedFrame) error
}

// Errors returned by Add.
var (
	ErrDuplicate = errors.New("mixer: participant already present")
	ErrClosed    = errors.New("mixer: closed")
)

// Mixer mixes one room. Add, Remove, SetLayout, RequestKeyframe,
// SetBitrate and SetAudioLoss may be called from any goroutine, before or
// during Run.
type Mixer struct {
	cfg Config
	out Output
	log *slog.Logger

	mu        sync.Mutex // guards the fields below, read by Run once per tick
	joined    []*member
	mode      layout.Mode
	sharing   bool   // mode went from the grid to the speaker layout for a share (Participant.Content)
	spotlight string // SetSpotlight's participant, "" for none
	keyWant   bool
	h264      bool // the H.264 output is wanted (SetH264)
	h264Lvl   codec.H264Level
	h264Key   bool // an H.264 keyframe is wanted
	bitrate   int
	twoLayers bool // see SetTwoLayers
	closed    bool
	lossIn    map[string]int // the highest loss each receiver reported since the last tick
	lossGone  []string       // receivers removed since the last tick

	// Owned by Run's goroutine.
	members  []*member
	leaving  []*member    // removed since the last audio tick, their sound in its mixes: faded out in the next
	scaler   codec.Scaler // tiles a source did not scale for (one for everyone)
	cells    []layout.Rect
	cellsKey cellsKey
	gen      int    // bumped when the cells or who is in them change: every tile is repainted
	roster   int    // bumped when the member list changes, even to one of the same length
	spot     string // spotlight as of this tick
	vp8Keys  keyClock
	h264Keys keyClock
	audio    audioState
	arrivals []time.Time          // of the live pictures painted in this tick
	losses   map[string]*lossPeak // by receiver: participants and viewers

	stats    stats
	fullLoss atomic.Int64              // the loss the full mix's encoder expects (AudioLoss)
	epoch    atomic.Pointer[time.Time] // the wall time of PTS 0, once a real-time clock started
}

// Epoch is the wall time of media time (PTS) 0 once Run's clock has
// started, if it follows the wall clock (RealTime): a frame with PTS t is
// the room as it was at Epoch + t. Senders' reports map RTP time to the
// wall clock with it.
func (m *Mixer) Epoch() (time.Time, bool) {
	if e := m.epoch.Load(); e != nil {
		return *e, true
	}
	return time.Time{}, false
}

type cellsKey struct {
	mode       layout.Mode
	n, speaker int
	roster     int // one leaving and another joining between two pictures keeps n
}

// member is a participant plus the mixer's state for it.
type member struct {
	Participant
	slot int // stable index for the speaker detector

	painted [canvases]paintState
	label   labelCache  // the placeholder's label, as last rendered
	box     layout.Size // the tile size last told to a BoxedSource
	boxTold bool        // box has been told (it may be empty: a tile too small to show)
	shown   uint64      // Seq of the newest picture painted (for latency)
	// unscalable is the Seq of the last picture the scaler refused (at
	// least 1), 0 once one is painted: warned about once, not retried.
	unscalable uint64
	// blackSeq is the Seq of the last picture looked at for blackness
	// (live); blackRun whether the pictures since blackFrom (media
	// time) were all black all over: for blackHold, the tile shows the
	// placeholder.
	blackSeq  uint64
	blackRun  bool
	blackFrom time.Duration
	// A source's errors are warned about once per run of them, not at
	// every tick.
	videoFailing, audioFailing bool

	pcm   []int16
	sound bool
	// heard: their sound goes into the mixes this tick (with
	// Config.Voices, only the loudest's does; without, theirs if above
	// the floor); speaking: they are the active speaker. Written by the
	// audio tick, read by Voice from other goroutines. part is what of
	// their sound goes in: pcm, pcm faded in or out (in ramp), or nil.
	heard, speaking atomic.Bool
	// muted: SetMuted's, read by the audio tick; mutedNow: muted as
	// this audio tick read it; muteFaded: the audio tick has faded their
	// sound out since they were muted.
	muted     atomic.Bool
	mutedNow  bool
	muteFaded bool
	part      []int16
	ramp      []int16
	limiter   *audio.Limiter // mix-minus only
	enc       *codec.OpusEncoder
	quiet     int     // audio ticks since this person's part of the mixes was above quietLevel
	own       []int16 // this tick: what to take out of their mix (talking), nil to share the full mix
	// shares: this tick, the members whose Owner they are (in the mix or
	// fading out of it), whose part their own mix leaves out too.
	shares []*member
}

// canvases is the number of encoder input pictures the compositor paints in
// turn.
const canvases = 2

// paintState remembers what a tile of a canvas shows, to skip repainting
// it when nothing changed.
type paintState struct {
	gen         int
	seq         uint64
	size        layout.Size // the picture's decoded size
	dst         layout.Rect // where it went: bars around it are painted
	placeholder bool
}

// New returns a mixer that writes to out.
func New(cfg Config, out Output) (*Mixer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	m := &Mixer{cfg: cfg, out: out, log: cfg.Logger, mode: cfg.Layout, bitrate: cfg.Video.Bitrate,
		lossIn: map[string]int{}, losses: map[string]*lossPeak{}}
	m.stats.obs = cfg.Observer
	m.fullLoss.Store(int64(cfg.Audio.PacketLoss))
	m.stats.speed.Store(int64(cfg.Video.Speed))
	if err := m.audio.init(cfg); err != nil {
		return nil, err
	}
	return m, nil
}

// Add puts a participant into the mix from the next tick on.
func (m *Mixer) Add(p Participant) error {
	mem := &member{Participant: p, slot: -1, pcm: make([]int16, audio.FrameLen), ramp: make([]int16, audio.FrameLen)}
	if p.MixMinus {
		enc, err := codec.NewOpusEncoder(m.cfg.Audio)
		if err != nil {
			return err
		}
		mem.enc = enc
		mem.limiter = audio.NewLimiter(m.cfg.Limiter)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	for _, j := range m.joined {
		if j.ID == p.ID {
			return fmt.Errorf("%w: %q", ErrDuplicate, p.ID)
		}
	}
	m.joined = append(m.joined, mem)
	if p.Content && m.mode == layout.Grid {
		m.mode, m.sharing = layout.Speaker, true
	}
	return nil
}

// Remove takes a participant out of the mix; its tile disappears at the
// next tick. It reports whether the participant was there. The loss id
// reported (SetAudioLoss) no longer counts from the next tick on, also
// when id is a viewer's.
func (m *Mixer) Remove(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.forgetLoss(id)
	i := slices.IndexFunc(m.joined, func(j *member) bool { return j.ID == id })
	if i < 0 {
		return false
	}
	m.joined = slices.Delete(m.joined, i, i+1)
	if m.spotlight == id {
		m.spotlight = ""
	}
	if m.sharing && !slices.ContainsFunc(m.joined, func(j *member) bool { return j.Content }) {
		// The last share is over: back to the grid it interrupted.
		m.mode, m.sharing = layout.Grid, false
	}
	return true
}

// Voice tells whether participant id is heard in the mixes now (one of
// the Config.Voices loudest, or with no limit, above the quiet of a
// room: −60 dBFS, averaged over 300 ms) and whether they are the active
// speaker; false for both if they are not in the mix.
func (m *Mixer) Voice(id string) (heard, speaker bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	mem := m.joinedMember(id)
	if mem == nil {
		return false, false
	}
	return mem.heard.Load(), mem.speaking.Load()
}

// joinedMember is participant id as Add took it, or nil; m.mu held.
func (m *Mixer) joinedMember(id string) *member {
	if i := slices.IndexFunc(m.joined, func(j *member) bool { return j.ID == id }); i >= 0 {
		return m.joined[i]
	}
	return nil
}

// SetMuted takes participant id's sound out of every mix from the next
// audio tick on (faded out over it), or with false, lets it in again: a
// room's moderator silencing someone whose noise spoils the room. Their
// own mix is not changed (they still hear the others). It reports whether
// id is in the mix, and whether this changed their state.
func (m *Mixer) SetMuted(id string, muted bool) (found, changed bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	mem := m.joinedMember(id)
	if mem == nil {
		return false, false
	}
	return true, mem.muted.Swap(muted) != muted
}

// Muted tells whether participant id's sound is kept out of the mixes
// (SetMuted); false if they are not in the mix.
func (m *Mixer) Muted(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	mem := m.joinedMember(id)
	return mem != nil && mem.muted.Load()
}

// SetLayout switches the layout from the next tick on. The grid ends a
// spotlight (SetSpotlight): it has no large tile to show it in, and one
// left set would come back unasked at the next speaker layout.
func (m *Mixer) SetLayout(mode layout.Mode) {
	m.mu.Lock()
	m.mode, m.sharing = mode, false // the layout chosen holds after the share too
	if mode == layout.Grid {
		m.spotlight = ""
	}
	m.mu.Unlock()
}

// SetSpotlight shows participant id large in the speaker layout, in place
// of the active speaker, from the next tick on, until it is called again
// ("": nobody), id leaves or the layout is set to the grid; a share
// (Participant.Content) still comes first. An id not in the mix (yet) is
// kept, and takes effect when it is.
func (m *Mixer) SetSpotlight(id string) {
	m.mu.Lock()
	m.spotlight = id
	m.mu.Unlock()
}

// Spotlight is SetSpotlight's participant, "" for none.
func (m *Mixer) Spotlight() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.spotlight
}

// Layout is the current layout.
func (m *Mixer) Layout() layout.Mode {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mode
}

// RequestKeyframe asks for a keyframe of the VP8 output; requests are
// coalesced to at most one per Config.KeyframeMinInterval.
func (m *Mixer) RequestKeyframe() {
	m.mu.Lock()
	m.keyWant = true
	m.mu.Unlock()
}

// SetH264 turns the H.264 output on or off from the next picture on. While
// on, each picture is also encoded to H.264 (codec.H264Encoder, the VP8
// encoder's size, rate and keyframe interval) from a copy of the canvas,
// in a goroutine of its own, and handed to Output.Video with Codec H264;
// it starts with a keyframe. Live, a picture that comes while the H.264
// encoder is still busy is not encoded to H.264 (Stats.H264Dropped): the
// VP8 output never waits for it. The encoder is freed when the output is
// turned off.
func (m *Mixer) SetH264(on bool) {
	m.mu.Lock()
	m.h264 = on
	m.mu.Unlock()
}

// SetH264Level bounds the H.264 output to level l, the highest its
// receivers all decode (RFC 6184: the level in a receiver's SDP), from the
// next picture on; the zero level is no bound. A canvas too large for the
// level at the output's frame rate is scaled down, keeping its shape, to
// the largest picture the level takes (codec.H264Level.Fit), and the
// bitrate is held within the level's. A change opens the encoder again
// (a keyframe, of the new size).
func (m *Mixer) SetH264Level(l codec.H264Level) {
	m.mu.Lock()
	m.h264Lvl = l
	m.mu.Unlock()
}

// RequestH264Keyframe is RequestKeyframe for the H.264 output, coalesced
// on its own: a receiver of one output never makes the other's keyframes.
func (m *Mixer) RequestH264Keyframe() {
	m.mu.Lock()
	m.h264Key = true
	m.mu.Unlock()
}

// SetBitrate changes the video bitrate (bits per second).
func (m *Mixer) SetBitrate(bps int) error {
	c := m.cfg.Video
	c.Bitrate = bps
	if err := c.Validate(); err != nil {
		return err
	}
	m.mu.Lock()
	m.bitrate = bps
	m.mu.Unlock()
	return nil
}

// SetTwoLayers has the VP8 encoder make every second frame one no later
// frame refers to (codec.EncodedFrame.Droppable), so that a receiver whose
// link cannot take the whole stream may be sent the others alone, at half
// the frame rate; off, every frame is an ordinary one. It takes effect
// with the next picture.
func (m *Mixer) SetTwoLayers(on bool) {
	m.mu.Lock()
	m.twoLayers = on
	m.mu.Unlock()
}

// Bitrate is the video bitrate last set (bits per second): the configured
// one until SetBitrate. The encoder takes it with the next picture.
func (m *Mixer) Bitrate() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.bitrate
}

// tickState is what Run reads under the lock once per tick.
type tickState struct {
	mode             layout.Mode
	keyWant, h264Key bool
	h264             bool
	h264Level        codec.H264Level
	bitrate          int
	twoLayers        bool
}

// sync brings the loop's member list up to date with Add and Remove and
// returns the rest of the shared state, at the tick at t (the loss reports
// given since the last tick count from then).
func (m *Mixer) sync(t time.Duration) tickState {
	m.mu.Lock()
	joined := slices.Clone(m.joined)
	st := tickState{mode: m.mode, keyWant: m.keyWant, h264: m.h264, h264Level: m.h264Lvl, h264Key: m.h264Key, bitrate: m.bitrate, twoLayers: m.twoLayers}
	m.spot = m.spotlight
	m.takeLoss(t)
	m.mu.Unlock()

	for _, mem := range m.members {
		if !slices.Contains(joined, mem) { // removed since the last tick
			// Their sound ended the last tick at full gain (not faded
			// out of the voices already): fade it out in the next.
			// Not one whose mute faded them out over the last tick.
			if mem.part != nil && mem.Audio != nil && !mem.muteFaded && (m.audio.voices.Max <= 0 || mem.heard.Load()) {
				m.leaving = append(m.leaving, mem)
			}
			m.audio.forget(mem)
		}
	}
	for _, mem := range joined {
		if mem.slot < 0 {
			m.audio.assignSlot(mem)
		}
	}
	if !slices.Equal(joined, m.members) {
		m.roster++
	}
	m.members = joined
	return st
}

// Run mixes until ctx ends or, when until > 0, until media time until has
// been produced. It returns ctx's error, an Output error, or nil when until
// was reached. Run may be called once.
func (m *Mixer) Run(ctx context.Context, clock Clock, until time.Duration) error {
	defer m.shutdown() // also when the encoder cannot start: Add then refuses
	enc, err := codec.NewVP8Encoder(m.cfg.Video)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var gov *speedGovernor
	if fastest := m.cfg.FastestSpeed(); fastest != 0 {
		gov = newSpeedGovernor(m.cfg.Video.Speed, fastest, m.cfg.Video.FPS)
	}
	pipe, err := newEncodePipe(enc, m.out, &m.stats, m.log, !m.cfg.Live, cancel, gov, m.cfg.EncoderThread, m.cfg.H264Thread)
	if err != nil {
		enc.Close()
		return err
	}

	err = m.loop(ctx, clock, until, pipe)
	if perr := pipe.close(); err == nil || errors.Is(err, context.Canceled) {
		if perr != nil {
			err = perr
		} else if cause := context.Cause(ctx); err != nil && cause != nil && !errors.Is(cause, context.Canceled) {
			err = cause
		}
	}
	return err
}

func (m *Mixer) loop(ctx context.Context, clock Clock, until time.Duration, pipe *encodePipe) error {
	frame := m.cfg.frameDuration()
	var vk, ak int64 // next video and audio tick numbers
	for {
		vt, at := m.cfg.videoTick(vk), time.Duration(ak)*audio.FrameDuration
		videoDue, audioDue := until <= 0 || vt < until, until <= 0 || at < until
		if !videoDue && !audioDue {
			return nil
		}
		doVideo := videoDue && (!audioDue || vt <= at)
		t := at
		if doVideo {
			t = vt
		}
		late, err := clock.Wait(ctx, t)
		if err != nil {
			return err
		}
		if c, ok := clock.(epochClock); ok && m.epoch.Load() == nil {
			e := c.epoch()
			m.epoch.Store(&e)
		}
		st := m.sync(t)
		if !doVideo {
			if err := m.audioTick(ctx, t); err != nil {
				return err
			}
			ak++
			continue
		}
		if m.cfg.Live && late > frame {
			// Behind: skip the pictures that are already due and show the
			// newest one; the audio ticks in between are still processed.
			skip := int64(late / frame)
			m.stats.lateTicks.Add(uint64(skip))
			if m.stats.obs != nil {
				m.stats.obs.LateTicks(int(skip))
			}
			vk += skip
			t = m.cfg.videoTick(vk)
		}
		if err := m.videoTick(ctx, t, st, pipe); err != nil {
			return err
		}
		vk++
	}
}

// shutdown frees what the loop owned and refuses further Adds.
func (m *Mixer) shutdown() {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	m.scaler.Close()
}

// canvasSize is the size of the composite picture.
func (m *Mixer) canvasSize() layout.Size {
	return layout.Size{W: m.cfg.Video.Width, H: m.cfg.Video.Height}
}
