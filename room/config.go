package room

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"mcu/mixer"
)

// Config are the settings of every room of a Manager.
type Config struct {
	Mixer mixer.Config
	Net   NetConfig
	// MinBitrate is the least the composite's bitrate (Mixer.Video.Bitrate)
	// is lowered to while a receiver reports heavy loss (see downlink); 0
	// is a fifth of it, at least 150 kbit/s. Equal to it, the bitrate
	// never changes: a receiver's loss never costs the recording.
	MinBitrate int
	// MaxParticipants is how many people may be shown in one room
	// (participants and WHIP publishers; viewers do not count).
	MaxParticipants int
	// MaxViewers is how many viewers (WHEP) one room may have: each is
	// sent the mix, and its peer connection costs memory and sockets.
	MaxViewers int
	// MaxRooms is how many rooms may be open at once: each runs a mixer
	// and an encoder from its first join on, so anyone able to post an
	// offer could otherwise start encoders without bound.
	MaxRooms int
	// RecordDir receives recordings as <dir>/<room>/<room>-<UTC time>.webm.
	RecordDir string
	// RecordMinFree is the free space, in bytes, recordings leave on
	// RecordDir's disk: none starts with less (ErrLowDisk), and one whose
	// disk gets down to it takes no more of the mix, its file whole for
	// its stop to finalize. 0: recordings may fill the disk.
	RecordMinFree uint64
	// AutoRecord records every room from its first participant on: the
	// recording starts when the first session that sends (not a viewer)
	// joins, as a POST to the recording API would start it. Stopped
	// through the API, or for want of disk space, it is not started again
	// in that room.
	AutoRecord bool
	// GatherTimeout bounds the wait for ICE candidates before answering.
	GatherTimeout time.Duration
	// OverloadHold is how long after the server last fell behind its media
	// (see strain) joins of senders and new rooms are refused with
	// ErrOverloaded; 0 takes them whatever the load.
	OverloadHold time.Duration
	// Observer, when set, receives the rooms' measurements (metrics).
	Observer Observer
	// Events, when set, is told what happens to the rooms (Event), from
	// the goroutine it happens on, some under the room's locks: it must
	// not block, nor call the Manager.
	Events func(Event)
	Logger *slog.Logger
}

// DefaultRecordMinFree is the free space recordings leave on their disk
// unless configured: room to finalize every file and for the machine to
// go on (an hour of the mix at 1.5 Mbit/s is about 700 MB).
const DefaultRecordMinFree = 256 << 20

// DefaultConfig: a 1280x720 30 fps grid, the 4 loudest voices in each
// mix, 25 people and 100 viewers per room, at most 50 rooms, recordings in
// ./recordings with DefaultRecordMinFree left free, senders and rooms
// refused for 10 s after the server fell behind.
func DefaultConfig() Config {
	c := Config{Mixer: mixer.DefaultConfig(), MaxParticipants: 25, MaxViewers: 100, MaxRooms: 50, RecordDir: "recordings",
		RecordMinFree: DefaultRecordMinFree, GatherTimeout: 5 * time.Second, OverloadHold: 10 * time.Second}
	c.Mixer.Live = true
	c.Mixer.Voices = mixer.LiveVoices
	c.Mixer.StrainSpeed = mixer.DefaultStrainSpeed
	return c
}

// Validate reports the first setting out of range.
func (c Config) Validate() error {
	if err := c.Mixer.Validate(); err != nil {
		return err
	}
	if c.MinBitrate != 0 && (c.MinBitrate < 50_000 || c.MinBitrate > c.Mixer.Video.Bitrate) {
		return fmt.Errorf("room: min bitrate %d: want 50k up to the bitrate (%d), or auto (0: a fifth of the bitrate, at least 150k)", c.MinBitrate, c.Mixer.Video.Bitrate)
	}
	if c.MaxParticipants < 1 || c.MaxParticipants > 100 {
		return fmt.Errorf("room: max participants %d: want 1..100", c.MaxParticipants)
	}
	if c.MaxViewers < 0 {
		return fmt.Errorf("room: max viewers %d: want 0 or more", c.MaxViewers)
	}
	if c.MaxRooms < 1 {
		return fmt.Errorf("room: max rooms %d: want at least 1", c.MaxRooms)
	}
	if c.RecordDir == "" {
		return fmt.Errorf("room: no recording folder")
	}
	if c.OverloadHold < 0 {
		return fmt.Errorf("room: overload hold %v: want 0 (never refuse) or more", c.OverloadHold)
	}
	return nil
}

// downlinkFloor is the least bitrate the composite is lowered to.
func (c Config) downlinkFloor() int {
	if c.MinBitrate > 0 {
		return c.MinBitrate
	}
	ceiling := c.Mixer.Video.Bitrate
	return min(ceiling, max(minDownlink, ceiling/downlinkFloorDivisor))
}

// Observer receives the measurements of every room (the mixer's, plus the
// network's); the server turns them into metrics. Methods must be cheap and
// safe from many goroutines.
type Observer interface {
	mixer.Observer
	PLISent()
	PLIReceived()
	BytesIn(n int)
	BytesOut(n int)
	// AudioInput counts what happened to a participant's audio packet on
	// its way to the mixer (AudioStats has the same counts per session).
	AudioInput(AudioEvent)
	// Recording counts a recording's start refused, or its end by how it
	// ended.
	Recording(RecordingEvent)
	// Joined counts a session that joined a room, Left one that left it,
	// with why (one of LeftReasons), as participant_joined and
	// participant_left tell them.
	Joined(Kind)
	Left(kind Kind, why string)
}

// RecordingEvent is what Observer.Recording counts.
type RecordingEvent int

const (
	// RecordingRefused: a start that made no recording (its disk under
	// RecordMinFree, its file not created, too many begun in a second).
	RecordingRefused RecordingEvent = iota
	// RecordingComplete: stopped, its file finalized.
	RecordingComplete
	// RecordingLowDisk: it stopped taking the mix when its disk got
	// down to RecordMinFree; its file finalized with what it had.
	RecordingLowDisk
	// RecordingFailed: a write or its finalizing failed; its file keeps
	// what was written before.
	RecordingFailed
	// RecordingEmpty: stopped before any frame; no file is kept.
	RecordingEmpty
)

// RecordingEnds are the RecordingEvent values of a recording's end, for a
// metric to start at zero.
var RecordingEnds = []RecordingEvent{RecordingComplete, RecordingLowDisk, RecordingFailed, RecordingEmpty}

func (e RecordingEvent) String() string {
	switch e {
	case RecordingRefused:
		return "refused"
	case RecordingComplete:
		return "complete"
	case RecordingLowDisk:
		return "low_disk"
	case RecordingFailed:
		return "failed"
	case RecordingEmpty:
		return "empty"
	}
	return "unknown"
}

// RecordingEndOf tells how a recording whose stop returned path and err
// ended (RecordingFailed too for a stop that found no recording).
func RecordingEndOf(path string, err error) RecordingEvent {
	switch {
	case err == nil:
		return RecordingComplete
	case errors.Is(err, ErrNothingRecorded):
		return RecordingEmpty
	case path != "" && onlyLowDisk(err):
		return RecordingLowDisk
	}
	return RecordingFailed
}

// onlyLowDisk tells whether err, from a recording's stop, is its stop on
// a nearly full disk and nothing else: its file then finalized. Joined
// with another error (its finalizing failed too: the disk filled
// meanwhile), the file is not.
func onlyLowDisk(err error) bool {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if !onlyLowDisk(e) {
				return false
			}
		}
		return len(j.Unwrap()) > 0
	}
	return errors.Is(err, ErrLowDisk)
}

// AudioEvent is a kind of event AudioInput counts.
type AudioEvent int

const (
	// AudioReordered: a packet came after a later one, in time to play.
	AudioReordered AudioEvent = iota
	// AudioGap: a run of missing packets was given up and made up for.
	AudioGap
	// AudioLate: a packet came after its turn, or twice.
	AudioLate
	// AudioPaced: a packet was dropped undecoded, its sender that far
	// ahead of the clock (see decodeLead).
	AudioPaced
)

// AudioEvents are the AudioEvent values, for a metric to start at zero.
var AudioEvents = []AudioEvent{AudioReordered, AudioGap, AudioLate, AudioPaced}

func (e AudioEvent) String() string {
	switch e {
	case AudioReordered:
		return "reordered"
	case AudioGap:
		return "gap"
	case AudioLate:
		return "late"
	case AudioPaced:
		return "paced"
	}
	return "unknown"
}

// nopObserver is used when Config.Observer is nil.
type nopObserver struct{}

func (nopObserver) Compose(time.Duration)          {}
func (nopObserver) Encode(time.Duration)           {}
func (nopObserver) Latency(time.Duration)          {}
func (nopObserver) LateTicks(int)                  {}
func (nopObserver) Dropped(bool)                   {}
func (nopObserver) EncoderSpeed(bool)              {}
func (nopObserver) Keyframe(bool)                  {}
func (nopObserver) CPU(mixer.Stage, time.Duration) {}
func (nopObserver) PLISent()                       {}
func (nopObserver) PLIReceived()                   {}
func (nopObserver) BytesIn(int)                    {}
func (nopObserver) Joined(Kind)                    {}
func (nopObserver) Left(Kind, string)              {}
func (nopObserver) BytesOut(int)                   {}
func (nopObserver) AudioInput(AudioEvent)          {}
func (nopObserver) Recording(RecordingEvent)       {}
