package mixer

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"mcu/audio"
	"mcu/codec"
	"mcu/internal/sched"
)

// audioState is the loop's audio machinery: the full mix's limiter and
// encoder, the int32 accumulator, and the active-speaker detector whose
// slots are stable per participant.
type audioState struct {
	acc      []int32
	minus    []int32
	out      []int16
	limiter  *audio.Limiter
	enc      *codec.OpusEncoder
	detector *audio.SpeakerDetector
	voices   audio.Voices  // with Config.Voices: who is in the mixes
	levels   []float64     // by slot
	smoothed []float64     // by slot, the detector's, for voices
	sounding []float64     // by slot, levels with steady noise as silence, for voices
	slots    []bool        // in use
	speaker  int           // slot, or -1
	handedOn time.Duration // CPU time of this tick's sends (handOn)
}

func (a *audioState) init(cfg Config) error {
	enc, err := codec.NewOpusEncoder(cfg.Audio)
	if err != nil {
		return err
	}
	*a = audioState{
		acc: make([]int32, audio.FrameLen), minus: make([]int32, audio.FrameLen), out: make([]int16, audio.FrameLen),
		limiter: audio.NewLimiter(cfg.Limiter), enc: enc,
		detector: audio.NewSpeakerDetector(cfg.Speaker), voices: audio.Voices{Max: cfg.Voices}, speaker: -1,
	}
	return nil
}

// assignSlot gives mem the first free slot of the detector and the
// voices. A share's sound (Participant.Content) is heard, one of the
// voices as anyone's, but never the active speaker: the role is a
// person's, whom the page highlights and the speaker layout shows large
// after the share, and a tab's video playing under its presenter's voice
// would take it from them.
func (a *audioState) assignSlot(mem *member) {
	mem.slot = slices.Index(a.slots, false)
	if mem.slot < 0 {
		mem.slot = len(a.slots)
		a.slots = append(a.slots, false)
		a.levels = append(a.levels, audio.SilenceDBFS)
		a.smoothed = append(a.smoothed, audio.SilenceDBFS)
		a.sounding = append(a.sounding, audio.SilenceDBFS)
	}
	a.slots[mem.slot] = true
	a.detector.Exclude(mem.slot, mem.Content)
}

func (a *audioState) forget(mem *member) {
	if mem.slot < 0 {
		return
	}
	a.slots[mem.slot] = false
	a.levels[mem.slot] = audio.SilenceDBFS
	a.detector.Forget(mem.slot)
	a.voices.Forget(mem.slot)
	if a.speaker == mem.slot {
		// The loudest of the others, for the picture composed before the
		// next audio tick too.
		a.speaker = a.detector.Speaker()
	}
	mem.slot = -1
}

// audioTick mixes the 20 ms starting at t: the full mix goes to
// Output.Audio, and each participant who asked for it gets the mix minus
// their own voice. Every output has its own limiter, so one loud voice
// ducks only the mixes it is in.
func (m *Mixer) audioTick(ctx context.Context, t time.Duration) error {
	if obs := m.stats.obs; obs != nil {
		span := sched.StartCPU()
		m.audio.handedOn = 0
		defer func() { obs.CPU(StageAudioMix, max(span.End()-m.audio.handedOn, 0)) }()
	}
	a := &m.audio
	clear(a.acc)
	for _, mem := range m.members {
		mem.sound = false
		if mem.Audio != nil {
			ok, err := mem.Audio.AudioAt(ctx, t, mem.pcm)
			if err != nil {
				if ctx.Err() != nil {
					return context.Cause(ctx)
				}
				if !mem.audioFailing { // once until it gives sound again
					m.log.Warn("audio source", "participant", mem.ID, "err", err)
				}
			}
			mem.audioFailing = err != nil
			mem.sound = ok && err == nil
		}
		a.levels[mem.slot] = audio.SilenceDBFS
		// Read once for the whole tick: a SetMuted coming during it
		// takes effect at the next.
		mem.mutedNow = mem.muted.Load()
		switch {
		case mem.mutedNow && !mem.muteFaded:
			// Muted since the last tick: no longer the speaker, nor
			// one of the voices (the room's moderator silenced them).
			a.detector.Forget(mem.slot)
			a.voices.Forget(mem.slot)
		case mem.sound && !mem.mutedNow:
			a.levels[mem.slot] = audio.Level(mem.pcm)
		}
	}
	a.speaker = a.detector.Update(a.levels)
	a.chooseVoices(m.members)
	for _, mem := range m.members {
		audio.Accumulate(a.acc, mem.part)
		mem.speaking.Store(mem.slot == a.speaker)
	}
	// Who left while their sound was in the mixes is faded out over this
	// tick, not cut off mid-wave (a click in everyone's ear).
	for _, mem := range m.leaving {
		mem.part = nil
		if ok, err := mem.Audio.AudioAt(ctx, t, mem.pcm); ok && err == nil {
			audio.RampOut(mem.ramp, mem.pcm)
			audio.Accumulate(a.acc, mem.ramp)
			mem.part = mem.ramp
		} else if ctx.Err() != nil {
			return context.Cause(ctx)
		}
	}
	m.findShares()
	clear(m.leaving)
	m.leaving = m.leaving[:0]
	// Before the full mix is limited and encoded: someone back from quiet
	// takes on its limiter and encoder as they stand (talking).
	for _, mem := range m.members {
		if mem.MixMinus {
			mem.own = mem.talking(a, m.log)
		}
	}
	m.updateLoss(t)

	a.limiter.Process(a.out, a.acc)
	pkt, err := a.enc.Encode(a.out)
	if err != nil {
		return fmt.Errorf("mixer: full mix: %w", err)
	}
	m.stats.audioFrames.Add(1)
	frame := codec.EncodedFrame{Data: pkt, PTS: t, Duration: audio.FrameDuration, Key: true}
	if err := m.handOn(func() error { return m.out.Audio(frame) }); err != nil {
		return err
	}
	for _, mem := range m.members {
		if !mem.MixMinus {
			continue
		}
		own := mem.own
		if own == nil {
			// Quiet: their own mix is the full mix, already encoded. Sharing
			// the packet spares an Opus encode per quiet person (most of a
			// room); the full mix holds none of their voice (below
			// quietLevel for quietHangover ticks).
			if err := m.handOn(func() error { return m.out.MixMinus(mem.ID, frame) }); err != nil {
				return err
			}
			continue
		}
		audio.MinusInto(a.minus, a.acc, own)
		for _, sh := range mem.shares {
			audio.MinusInto(a.minus, a.minus, sh.part)
		}
		mem.limiter.Process(a.out, a.minus)
		pkt, err := mem.enc.Encode(a.out)
		if err != nil {
			return fmt.Errorf("mixer: mix-minus of %s: %w", mem.ID, err)
		}
		theirs := codec.EncodedFrame{Data: pkt, PTS: t, Duration: audio.FrameDuration, Key: true}
		if err := m.handOn(func() error { return m.out.MixMinus(mem.ID, theirs) }); err != nil {
			return err
		}
	}
	return nil
}

// handOn runs send, which hands audio to the output (the network, a
// recording). With an observer its CPU time is kept apart from the audio
// tick's own (StageAudioMix is mixing and encoding; sending is counted
// with the rest of the server).
func (m *Mixer) handOn(send func() error) error {
	if m.stats.obs == nil {
		return send()
	}
	span := sched.StartCPU()
	err := send()
	m.audio.handedOn += span.End()
	return err
}

// quietLevel is the level (dBFS) below which a person's own sound, left in
// the mix they hear, is inaudible; quietHangover is how long a person stays
// on their own encoder after it (80 frames: 1.6 s), so that the pauses
// between words and sentences do not switch streams back and forth (nor,
// for its last 600 ms, the encoder's mode: see shareLead).
const (
	quietLevel    = -60.0
	quietHangover = 80
)

// chooseVoices sets each member's part of this tick's mixes: their
// sound, or with a limit of voices, theirs if they are among the loudest
// (faded in on the tick they join them, out on the tick they leave).
func (a *audioState) chooseVoices(members []*member) {
	for i := range a.smoothed {
		a.smoothed[i] = audio.SilenceDBFS
		if a.slots[i] {
			a.smoothed[i] = a.detector.Smoothed(i)
		}
		// A steady noise (a fan by someone who does not talk) counts as
		// silence: it keeps a free place, but gives it to one who talks,
		// without the margin, as someone silent does.
		a.sounding[i] = a.levels[i]
		if a.detector.Noise(i, a.levels[i]) {
			a.sounding[i] = audio.SilenceDBFS
		}
	}
	in := a.voices.Update(a.smoothed, a.sounding)
	if a.voices.Max <= 0 {
		for _, mem := range members {
			back := mem.muteFaded // unmuted since the last tick
			if mem.mute(a) {
				continue
			}
			mem.heard.Store(in[mem.slot]) // audible
			mem.part = nil
			switch {
			case mem.sound && back:
				// Faded in, not back at full gain mid-wave (a click).
				audio.RampIn(mem.ramp, mem.pcm)
				mem.part = mem.ramp
			case mem.sound:
				mem.part = mem.pcm
			}
		}
		return
	}
	for _, mem := range members {
		if mem.mute(a) {
			continue
		}
		// was: their sound went into the last tick's mixes (part still
		// holds the last tick's)
		was, now := mem.heard.Load() && mem.part != nil, in[mem.slot]
		mem.heard.Store(now)
		switch {
		case !mem.sound || !was && !now:
			mem.part = nil
		case was && now:
			mem.part = mem.pcm
		case now:
			audio.RampIn(mem.ramp, mem.pcm)
			mem.part = mem.ramp
		default:
			audio.RampOut(mem.ramp, mem.pcm)
			mem.part = mem.ramp
		}
	}
}

// mute sets the part of a muted member (Mixer.SetMuted): their sound faded
// out over the first tick of the mute, when it was in the last tick's
// mixes, then nothing. It reports whether they are muted.
func (mem *member) mute(a *audioState) bool {
	if !mem.mutedNow {
		mem.muteFaded = false
		return false
	}
	// was: their sound went into the last tick's mixes at full gain, or
	// fading in; one faded out of the voices then has left them already.
	was := mem.part != nil && !mem.muteFaded && (a.voices.Max <= 0 || mem.heard.Load())
	mem.heard.Store(false)
	mem.muteFaded = true
	mem.part = nil
	if was && mem.sound {
		audio.RampOut(mem.ramp, mem.pcm)
		mem.part = mem.ramp
	}
	return true
}

// talking returns the PCM to take out of the mix this person hears (their
// part of this tick's mixes), or nil when they have been quiet, or out of
// the mixes, long enough to share the full mix's packets.
// Coming back from quiet, their limiter and encoder take on the state of
// the full mix's (a, before its frame of this tick), whose packets they have
// been receiving: their decoder then goes on with no seam, where an encoder
// started afresh would begin with its look-ahead's 6.5 ms of silence.
func (mem *member) talking(a *audioState, log *slog.Logger) []int16 {
	if mem.loud(a) {
		if mem.quiet >= quietHangover {
			mem.limiter.ContinueFrom(a.limiter)
			if err := mem.enc.ContinueFrom(a.enc); err != nil {
				log.Warn("opus encoder state", "participant", mem.ID, "err", err)
				if err := mem.enc.Reset(); err != nil {
					// It goes on from where it was a second ago: the
					// receiver hears a glitch, not silence.
					log.Warn("opus encoder reset", "participant", mem.ID, "err", err)
				}
			}
		}
		mem.quiet = 0
		return mem.ownPart()
	}
	if mem.quiet < quietHangover {
		// The tick the hangover ends on shares already: quiet at
		// quietHangover always means the last packet was the full mix's,
		// whose state the encoder then takes on.
		if mem.quiet++; mem.quiet < quietHangover {
			return mem.ownPart()
		}
	}
	return nil
}

// loud tells whether this tick's mixes hold mem's sound, or that of a
// share of theirs, above quietLevel: their own mix then differs from the
// full mix.
func (mem *member) loud(a *audioState) bool {
	if mem.part != nil && a.levels[mem.slot] > quietLevel {
		return true
	}
	// Muted since the last tick: no level of their own this tick (as a
	// share fading out, below), yet their sound, faded out of the mixes
	// over it, may start in that very frame.
	if mem.part != nil && mem.mutedNow && audio.Level(mem.part) > quietLevel {
		return true
	}
	for _, sh := range mem.shares {
		// The level of what of it is in the mixes: one fading out of them
		// (left, its slot let go, or muted: no level of its own this
		// tick) may sound first in the frame it fades out in.
		if sh.part != nil && audio.Level(sh.part) > quietLevel {
			return true
		}
	}
	return false
}

// ownPart is the PCM of mem's own in this tick's mixes, silence for none:
// not nil, which would share the full mix (their shares' parts are taken
// out beside it).
func (mem *member) ownPart() []int16 {
	if mem.part != nil {
		return mem.part
	}
	return silence
}

// findShares sets each member's shares for this tick: the members, in the
// mix or fading out of it, whose Owner they are.
func (m *Mixer) findShares() {
	for _, mem := range m.members {
		mem.shares = mem.shares[:0]
	}
	for _, list := range [][]*member{m.members, m.leaving} {
		for _, sh := range list {
			if sh.Owner == "" {
				continue
			}
			for _, mem := range m.members {
				if mem.ID == sh.Owner && mem != sh {
					mem.shares = append(mem.shares, sh)
				}
			}
		}
	}
}

// silence stands for the PCM of someone who sent nothing this tick (their
// own encoder keeps running through the hangover).
var silence = make([]int16, audio.FrameLen)

// speakerIndex is the position in m.members of the active speaker, or -1.
func (m *Mixer) speakerIndex() int {
	for i, mem := range m.members {
		if mem.slot == m.audio.speaker {
			return i
		}
	}
	return -1
}
