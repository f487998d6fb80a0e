package offline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"time"

	"mcu/audio"
	"mcu/codec"
)

// audioQueue is how many 20 ms frames a file source decodes ahead.
const audioQueue = 25

// fileAudio is a mixer.AudioSource that decodes a file's Opus stream in its
// own goroutine (run) into 20 ms frames placed by the packets' timestamps:
// a late start or a gap becomes silence.
type fileAudio struct {
	path  string
	info  codec.StreamInfo
	log   *slog.Logger
	ready chan []int16 // 20 ms frames in order; closed at the end
	free  chan []int16

	corrupt int // written by run, read after ready is closed
	gaps    int // sound missing after the stream began; as corrupt
}

func newFileAudio(path string, info codec.StreamInfo, log *slog.Logger) *fileAudio {
	a := &fileAudio{path: path, info: info, log: log,
		ready: make(chan []int16, audioQueue), free: make(chan []int16, audioQueue+2)}
	for range cap(a.free) {
		a.free <- make([]int16, audio.FrameLen)
	}
	return a
}

// AudioAt implements mixer.AudioSource. The mixer asks for consecutive
// frames, so each call takes the next one; after the end it is silence.
func (a *fileAudio) AudioAt(ctx context.Context, _ time.Duration, pcm []int16) (bool, error) {
	select {
	case f, ok := <-a.ready:
		if !ok {
			return false, nil
		}
		copy(pcm, f)
		a.free <- f
		return true, nil
	case <-ctx.Done():
		return false, context.Cause(ctx)
	}
}

// run decodes the file into ready, then closes it.
func (a *fileAudio) run(ctx context.Context) error {
	defer close(a.ready)
	in, err := codec.OpenInput(a.path)
	if err != nil {
		return err
	}
	defer in.Close()
	dec, err := codec.NewOpusDecoder()
	if err != nil {
		return fmt.Errorf("%s: %w", a.path, err)
	}
	w := frameWriter{src: a, ctx: ctx, skip: a.info.PreSkip * codec.OpusChannels, gain: gainFactor(a.info.OutputGain)}
	decoded := false // the decoder has a packet to conceal from
	// Where a container puts a stream's first sample: Ogg times the
	// packets after the pre-skip (the first at -6.5 ms), FFmpeg's Matroska
	// demuxer before it (at 0, a constant 6.5 ms ahead of what is kept).
	// A chained Ogg's next link starts up to a pre-skip off, either way.
	// That offset (base) is taken from the packet that ends the pre-skip:
	// where the next packet would start after it, against its time. Gaps
	// are counted from it; before it, only a late start is filled (with
	// silence).
	preSkip, base, baseSet := int64(a.info.PreSkip), int64(0), false
	var gaps, missing int64     // gaps in the sound, and the samples they miss
	lostStart := in.LostStart() // the file's first pages were damaged
	pcm := make([]int16, codec.MaxOpusSamples*codec.OpusChannels)
	for {
		p, err := in.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			a.log.Warn("audio read failed, clip ends here", "file", a.path, "err", err)
			break
		}
		if p.Kind != codec.Audio {
			continue
		}
		if p.Restart { // another stream chained after the last: as at the start
			if dec, err = codec.NewOpusDecoder(); err != nil {
				return fmt.Errorf("%s: %w", a.path, err)
			}
			decoded = false
			w.gain = gainFactor(p.OutputGain)
		}
		if p.Restart || p.SkipStart > 0 {
			w.skip = p.SkipStart * codec.OpusChannels
			preSkip, base, baseSet = int64(p.SkipStart), 0, false
		}
		if p.Preroll {
			// Sound before a cut: decoded, for the decoder's state, and
			// let go, using up the samples to drop.
			n, err := dec.Decode(p.Data, pcm)
			if err != nil { // its length, as it would have decoded
				d, _ := codec.OpusPacketDuration(p.Data)
				n = int(samplesAt(d))
			}
			w.skip = max(0, w.skip-n*codec.OpusChannels)
			continue
		}
		if p.PTS != codec.NoPTS {
			// A packet later than where we are (a late start, a gap in the
			// stream: a lost packet) is preceded by what is missing, as a
			// live participant's is: the decoder's concealment for up to
			// 100 ms once it has decoded something, silence before that
			// and beyond. Less than Opus's shortest frame is the rounding
			// of the container's times.
			gap := samplesAt(p.PTS) - w.pos - base
			if decoded {
				// What is lost is whole Opus frames, multiples of 2.5 ms;
				// the rest is the container's rounding (Matroska's
				// milliseconds).
				gap = (gap + minGap/2) / minGap * minGap
			}
			if gap >= minGap && (baseSet || !decoded) {
				if decoded || lostStart { // sound missing after the stream began, or its start
					gaps++
					missing += gap
				}
				if err := w.fillGap(dec, decoded, gap, pcm); err != nil {
					return err
				}
			}
		}
		decoded, lostStart = true, false
		n, err := dec.Decode(p.Data, pcm)
		if err != nil {
			a.warnCorrupt(p.PTS, err)
			n = concealLength(p)
			if cerr := dec.Conceal(pcm[:n*codec.OpusChannels]); cerr != nil {
				clear(pcm[:n*codec.OpusChannels])
			}
		}
		// The end the container trims (the encoder's padding after a
		// stream's last sample).
		if err := w.writeDecoded(pcm[:(n-min(p.SkipEnd, n))*codec.OpusChannels]); err != nil {
			return err
		}
		// Not from a packet concealed: its length is a guess.
		if !baseSet && err == nil && w.skip == 0 && p.PTS != codec.NoPTS {
			baseSet = true
			if b := samplesAt(p.PTS) + int64(n) - w.pos; b >= -preSkip-minGap && b <= preSkip+minGap {
				base = b
			}
		}
	}
	a.corrupt += warnDamage(a.log, a.path, in, codec.Audio)
	if gaps > 0 {
		// Packets lost (a damaged Ogg page is skipped whole by FFmpeg,
		// which says "CRC mismatch" without naming the file), or pauses
		// in a recording.
		a.log.Warn("sound missing in the file (packets lost or a pause), filled: concealed for up to 100 ms, then silence",
			"file", a.path, "gaps", gaps, "missing", time.Duration(missing)*time.Second/codec.OpusSampleRate)
		a.gaps = int(gaps)
	}
	return w.flush()
}

// concealLength is how many samples (per channel) of concealment stand
// for damaged packet p: what its header says it codes (it parses even when
// the rest is damaged), else what the container says, else 20 ms; in whole
// 2.5 ms frames, which is what the decoder conceals (Matroska's
// millisecond durations are not).
func concealLength(p codec.Packet) int {
	n := int64(audio.FrameSamples)
	if d, ok := codec.OpusPacketDuration(p.Data); ok {
		n = samplesAt(d)
	} else if p.Duration > 0 {
		n = samplesAt(p.Duration)
	}
	return int(min(max(n/minGap, 1)*minGap, codec.MaxOpusSamples/minGap*minGap))
}

// samplesAt is how many samples (per channel) last d, without overflow
// for any d.
func samplesAt(d time.Duration) int64 {
	return int64(d/time.Second)*audio.SampleRate + int64(d%time.Second)*audio.SampleRate/int64(time.Second)
}

func (a *fileAudio) warnCorrupt(pts time.Duration, err error) {
	a.corrupt++
	if a.corrupt == 1 {
		a.log.Warn("damaged audio, concealed", "file", a.path, "at", pts, "err", err)
	}
}

// frameWriter cuts decoded PCM into 20 ms frames for the mixer.
type frameWriter struct {
	src  *fileAudio
	ctx  context.Context
	cur  []int16
	fill int
	skip int     // samples (interleaved values) still to drop: Opus pre-skip
	pos  int64   // samples per channel written so far
	gain float64 // the stream's output gain, a factor (1: none)
}

// gainFactor is the factor an OpusHead's output gain (in 1/256 dB) asks
// for.
func gainFactor(q8 int) float64 {
	return math.Pow(10, float64(q8)/(20*256))
}

// writeDecoded appends decoded PCM, dropping the Opus pre-skip first.
func (w *frameWriter) writeDecoded(pcm []int16) error {
	n := min(w.skip, len(pcm))
	w.skip -= n
	return w.write(pcm[n:])
}

// write appends PCM to the frames.
func (w *frameWriter) write(pcm []int16) error {
	w.pos += int64(len(pcm) / codec.OpusChannels)
	for len(pcm) > 0 {
		if w.cur == nil {
			select {
			case w.cur = <-w.src.free:
			case <-w.ctx.Done():
				return context.Cause(w.ctx)
			}
			w.fill = 0
		}
		n := copy(w.cur[w.fill:], pcm)
		if w.gain != 1 {
			for i, s := range w.cur[w.fill : w.fill+n] {
				w.cur[w.fill+i] = int16(max(math.MinInt16, min(math.MaxInt16, math.Round(float64(s)*w.gain))))
			}
		}
		w.fill += n
		pcm = pcm[n:]
		if w.fill == len(w.cur) {
			if err := w.emit(); err != nil {
				return err
			}
		}
	}
	return nil
}

// minGap is the shortest gap in a file's audio filled: Opus's shortest
// frame, 2.5 ms.
const minGap = audio.SampleRate / 400

// maxConceal is the longest part of a gap filled by concealment, in
// samples, as live; the rest is silence.
const maxConceal = int64(audio.MaxConcealFrames * audio.FrameSamples)

// fillGap writes gap samples (per channel) of what is missing before the
// next packet: dec's concealment, in whole frames of 2.5 ms up to
// maxConceal, when it has decoded something (decoded), then silence. pcm
// is scratch of at least a 20 ms frame.
func (w *frameWriter) fillGap(dec *codec.OpusDecoder, decoded bool, gap int64, pcm []int16) error {
	if decoded {
		for conceal := min(gap, maxConceal) / minGap * minGap; conceal > 0; {
			n := min(conceal, int64(audio.FrameSamples))
			buf := pcm[:n*codec.OpusChannels]
			if err := dec.Conceal(buf); err != nil {
				break // silence for the rest
			}
			if err := w.write(buf); err != nil {
				return err
			}
			conceal -= n
			gap -= n
		}
	}
	return w.silence(gap)
}

// zeroFrame is 20 ms of silence.
var zeroFrame = make([]int16, audio.FrameLen)

func (w *frameWriter) silence(samples int64) error {
	for samples > 0 {
		n := min(samples, int64(audio.FrameSamples))
		if err := w.write(zeroFrame[:n*codec.OpusChannels]); err != nil {
			return err
		}
		samples -= n
	}
	return nil
}

func (w *frameWriter) emit() error {
	select {
	case w.src.ready <- w.cur:
		w.cur = nil
		return nil
	case <-w.ctx.Done():
		return context.Cause(w.ctx)
	}
}

// flush pads the last partial frame with silence and sends it.
func (w *frameWriter) flush() error {
	if w.cur == nil || w.fill == 0 {
		return nil
	}
	clear(w.cur[w.fill:])
	if err := w.emit(); err != nil {
		return fmt.Errorf("%s: %w", w.src.path, err)
	}
	return nil
}
