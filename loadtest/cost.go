package loadtest

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"syscall"
	"time"

	"mcu/client"
	"mcu/codec"
	"mcu/internal/sched"
	"mcu/layout"
	"mcu/mixer"
)

// The codec cost of a load is what the server cannot avoid spending on it:
// decoding every participant's video and audio, encoding the one composite
// picture, and encoding the full mix and one Opus stream per participant
// whose sound is in it (their mix-minus). It is measured here, in this
// process, with the server's codec wrappers and settings, before the run
// starts and again after it ends (so it does not compete with it; the mean
// of the two follows the machine's speed if it drifts during the run), as
// CPU time from getrusage per second of media.
//
// Counted: FFmpeg's decoding of the clips' compressed frames (the pictures
// dropped, not copied out: codec.VideoDecoder.Drop); Opus decoding of
// their packets; VP8 encoding of a 1280x720 grid built from the same clips
// (codec.DefaultVP8Config unless told otherwise, so the same speed,
// bitrate and threads as the server), and with H.264 receivers the H.264
// encoding of the same composites too (codec.VP8Config.H264: the
// server's x264 preset), every picture of the run (the receivers are the
// first to join, so they are there all through the measured window); 1 + min(N, voices) Opus encodes
// every 20 ms with the configured Opus settings (voices: the server's
// -voices, 0 for all N). The server encodes 1 + the participants in its
// mixes heard in the last 1.6 s (the others get the full mix's packets):
// the same with the tone clips, where everyone is always heard, and a
// flattering ratio with clips that have silence.
//
// Not counted, though the server does it: reading RTP, SRTP decryption and
// encryption, depacketizing and packetizing, jitter buffers, scaling each
// picture to its tile (the server decodes and scales in one step; here the
// scaling that builds the grid is done outside the timed sections),
// composing the canvas, the audio mix and limiter, RTCP, HTTP, and the Go
// runtime (GC, scheduler). The ratio server CPU / codec cost is therefore
// the price of everything around the codecs; 1 would be a perfect MCU.
// Not counted either: the cost of the file reading (packets are read into
// memory first).

// CodecCost is the measured codec cost of a load, in CPU time per second
// of media (1 s per s is one core).
type CodecCost struct {
	// Media is how much media each measurement covered.
	Media time.Duration
	// DecodeVideo and DecodeAudio are per participant.
	DecodeVideo, DecodeAudio []time.Duration
	// EncodeVideo is the composite in VP8; EncodeH264 the composite in
	// H.264 (0 without H.264 receivers); EncodeAudio every Opus stream,
	// of which there are AudioStreams.
	EncodeVideo, EncodeH264, EncodeAudio time.Duration
	AudioStreams                         int
}

// Decode is the decoding cost summed over the participants.
func (c CodecCost) Decode() time.Duration {
	var sum time.Duration
	for i := range c.DecodeVideo {
		sum += c.DecodeVideo[i] + c.DecodeAudio[i]
	}
	return sum
}

// Total is the cost of one second of the whole load.
func (c CodecCost) Total() time.Duration {
	return c.Decode() + c.EncodeVideo + c.EncodeH264 + c.EncodeAudio
}

// Cores is Total as a number of CPU cores kept busy.
func (c CodecCost) Cores() float64 { return c.Total().Seconds() }

// Mean is the mean of two measurements of the same load.
func (c CodecCost) Mean(d CodecCost) CodecCost {
	mean := func(a, b time.Duration) time.Duration { return (a + b) / 2 }
	m := CodecCost{Media: c.Media, EncodeVideo: mean(c.EncodeVideo, d.EncodeVideo), EncodeH264: mean(c.EncodeH264, d.EncodeH264),
		EncodeAudio: mean(c.EncodeAudio, d.EncodeAudio), AudioStreams: c.AudioStreams,
		DecodeVideo: make([]time.Duration, len(c.DecodeVideo)), DecodeAudio: make([]time.Duration, len(c.DecodeAudio))}
	for i := range m.DecodeVideo {
		m.DecodeVideo[i] = mean(c.DecodeVideo[i], d.DecodeVideo[i])
		m.DecodeAudio[i] = mean(c.DecodeAudio[i], d.DecodeAudio[i])
	}
	return m
}

// cpuTime is this process's user+system CPU time so far (every thread).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// codecCPU runs f and returns the CPU time it took (threadCPU; a
// variable: tests give each call a time of their own, to check what the
// costs make of it).
var codecCPU = threadCPU

// threadCPU runs f and returns the CPU time of the thread it ran on (its
// goroutine locked there meanwhile): the codecs measured here run on the
// calling thread (one thread each, as in the server), and this is the
// clock the server's stages (mcu_cpu_seconds_total) read. The process's
// clock (getrusage) would also count what the Go runtime's other threads
// did meanwhile, some 2 % of the codecs' time.
func threadCPU(f func() error) (time.Duration, error) {
	span := sched.StartCPU()
	err := f()
	return span.End(), err
}

// clipPackets is a clip's compressed frames, read into memory once.
type clipPackets struct {
	video, audio []codec.Packet
	videoCodec   codec.VideoCodec
}

// readPackets reads at least media of path's stream of kind, starting the
// file over when it is shorter (as a participant's loop does), and returns
// the packets (each with its Duration set) and the stream's description.
func readPackets(path string, kind codec.MediaKind, media time.Duration) ([]codec.Packet, *codec.StreamInfo, error) {
	var pkts []codec.Packet
	var info codec.StreamInfo
	var total time.Duration
	for total < media {
		in, err := codec.OpenInput(path)
		if err != nil {
			return nil, nil, err
		}
		si := in.Video()
		dflt := time.Second / 30
		if kind == codec.Audio {
			si, dflt = in.Audio(), 20*time.Millisecond
		}
		if si == nil {
			in.Close()
			return nil, nil, fmt.Errorf("loadtest: %s has no %v stream", path, kind)
		}
		info = *si
		if kind == codec.Video && si.FrameRate > 0 {
			dflt = time.Duration(float64(time.Second) / si.FrameRate)
		}
		before := len(pkts)
		for total < media {
			p, err := in.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				in.Close()
				return nil, nil, err
			}
			if p.Kind != kind {
				continue
			}
			if p.Duration <= 0 {
				p.Duration = dflt
			}
			pkts = append(pkts, p)
			total += p.Duration
		}
		in.Close()
		if len(pkts) == before {
			return nil, nil, fmt.Errorf("loadtest: %s holds no %v", path, kind)
		}
	}
	return pkts, &info, nil
}

// MeasureCodecCost measures the codec cost of n participants sending clips
// (clips[i] for participant i) with the room's encoder settings mcfg
// (mixer.DefaultConfig() is the server's default). media is how much of
// each clip is decoded and how much composite is encoded (a few seconds;
// clips shorter than that are looped). h264: the room has receivers of
// H.264, and encodes its composite in H.264 too.
func MeasureCodecCost(ctx context.Context, clips []Clip, mcfg mixer.Config, media time.Duration, h264 bool) (CodecCost, error) {
	cost := CodecCost{Media: media, DecodeVideo: make([]time.Duration, len(clips)), DecodeAudio: make([]time.Duration, len(clips))}
	videos := map[string]*clipPackets{} // by path: clips share files
	audios := map[string][]codec.Packet{}
	type measured struct{ video, audio time.Duration }
	decoded := map[Clip]measured{}
	loaded := make([]*clipPackets, len(clips))
	for i, c := range clips {
		if err := ctx.Err(); err != nil {
			return cost, err
		}
		cp := &clipPackets{}
		if c.Video != "" {
			v := videos[c.Video]
			if v == nil {
				pkts, info, err := readPackets(c.Video, codec.Video, media)
				if err != nil {
					return cost, err
				}
				v = &clipPackets{video: pkts, videoCodec: info.VideoCodec}
				videos[c.Video] = v
			}
			cp.video, cp.videoCodec = v.video, v.videoCodec
		}
		if c.Audio != "" {
			a, ok := audios[c.Audio]
			if !ok {
				pkts, _, err := readPackets(c.Audio, codec.Audio, media)
				if err != nil {
					return cost, err
				}
				a = pkts
				audios[c.Audio] = a
			}
			cp.audio = a
		}
		loaded[i] = cp
		if m, ok := decoded[c]; ok {
			cost.DecodeVideo[i], cost.DecodeAudio[i] = m.video, m.audio
			continue
		}
		var m measured
		var err error
		if cp.video != nil {
			if m.video, err = videoDecodeCost(cp); err != nil {
				return cost, fmt.Errorf("loadtest: decode %s: %w", c.Video, err)
			}
		}
		if cp.audio != nil {
			if m.audio, err = audioDecodeCost(cp.audio); err != nil {
				return cost, fmt.Errorf("loadtest: decode %s: %w", c.Audio, err)
			}
		}
		decoded[c] = m
		cost.DecodeVideo[i], cost.DecodeAudio[i] = m.video, m.audio
	}
	if err := ctx.Err(); err != nil {
		return cost, err
	}
	var err error
	if cost.EncodeVideo, cost.EncodeH264, err = videoEncodeCost(ctx, loaded, mcfg, media, h264); err != nil {
		return cost, err
	}
	if cost.EncodeAudio, cost.AudioStreams, err = audioEncodeCost(loaded, mcfg.Audio, mcfg.Voices, media); err != nil {
		return cost, err
	}
	return cost, nil
}

// perSecond scales a CPU time spent on media of the given length to one
// second of media.
func perSecond(cpu, media time.Duration) time.Duration {
	if media <= 0 {
		return 0
	}
	return time.Duration(float64(cpu) * float64(time.Second) / float64(media))
}

func videoDecodeCost(cp *clipPackets) (time.Duration, error) {
	dec, err := codec.NewVideoDecoder(cp.videoCodec)
	if err != nil {
		return 0, err
	}
	defer dec.Close()
	var media time.Duration
	spent, err := codecCPU(func() error {
		for _, p := range cp.video {
			if err := dec.Send(p.Data, codec.NoPTS); err != nil && !errors.Is(err, codec.ErrNeedKeyframe) {
				return err
			}
			for {
				ok, err := dec.Drop()
				if err != nil {
					return err
				}
				if !ok {
					break
				}
			}
			media += p.Duration
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return perSecond(spent, media), nil
}

func audioDecodeCost(pkts []codec.Packet) (time.Duration, error) {
	dec, err := codec.NewOpusDecoder()
	if err != nil {
		return 0, err
	}
	pcm := make([]int16, codec.MaxOpusSamples*codec.OpusChannels)
	var media time.Duration
	spent, err := codecCPU(func() error {
		for _, p := range pkts {
			if _, err := dec.Decode(p.Data, pcm); err != nil {
				return err
			}
			media += p.Duration
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return perSecond(spent, media), nil
}

// costH264 is the H.264 encoder the server runs for the load's H.264
// receivers, which say client.DefaultH264Level: a canvas beyond it is
// encoded at the level's size and bitrate.
func costH264(vcfg codec.VP8Config) codec.H264Config {
	return vcfg.H264().ForLevel(client.DefaultH264Level)
}

// videoEncodeCost builds media of the grid the server would show for these
// participants (decoding and scaling outside the timed section) and times
// only the VP8 encoding of each composite, and with h264 its H.264
// encoding too: at the size, level and bitrate the server encodes it at
// for the load's H.264 receivers (client.DefaultH264Level; a canvas
// beyond it scaled down, untimed, as the server's scaling is not a codec's
// work either).
func videoEncodeCost(ctx context.Context, parts []*clipPackets, mcfg mixer.Config, media time.Duration, h264 bool) (vp8, avc time.Duration, err error) {
	vcfg := mcfg.Video
	enc, err := codec.NewVP8Encoder(vcfg)
	if err != nil {
		return 0, 0, err
	}
	defer enc.Close()
	pic, err := enc.NewPicture()
	if err != nil {
		return 0, 0, err
	}
	defer pic.Free()
	var henc *codec.H264Encoder
	var hpic *codec.Picture
	var hscale *codec.Scaler // the canvas to the level's size, if smaller
	if h264 {
		hc := costH264(vcfg)
		if henc, err = codec.NewH264Encoder(hc); err != nil {
			return 0, 0, err
		}
		defer henc.Close()
		if hpic, err = codec.NewPicture(hc.Width, hc.Height); err != nil {
			return 0, 0, err
		}
		defer hpic.Free()
		if hc.Width != vcfg.Width || hc.Height != vcfg.Height {
			hscale = &codec.Scaler{}
			defer hscale.Close()
		}
	}
	canvasSize := layout.Size{W: vcfg.Width, H: vcfg.Height}
	cells := layout.Cells(mcfg.Layout, len(parts), 0, canvasSize)
	canvas := codec.NewImage(vcfg.Width, vcfg.Height)
	type source struct {
		pkts []codec.Packet
		dec  *codec.VideoDecoder
		tile *codec.Frame
		next int
		cell layout.Rect
	}
	var sources []*source
	defer func() {
		for _, s := range sources {
			s.dec.Close()
		}
	}()
	for i, cp := range parts {
		if cp.video == nil {
			codec.FillRect(canvas, rect(cells[i]), 0x40, codec.GreyUV, codec.GreyUV) // a placeholder
			continue
		}
		dec, err := codec.NewVideoDecoder(cp.videoCodec)
		if err != nil {
			return 0, 0, err
		}
		sources = append(sources, &source{pkts: cp.video, dec: dec, tile: &codec.Frame{}, cell: cells[i]})
	}
	frames := max(1, int(media.Seconds()*float64(vcfg.FPS)))
	var spent, spentH264 time.Duration
	for k := range frames {
		if k%30 == 0 && ctx.Err() != nil {
			return 0, 0, ctx.Err()
		}
		for _, s := range sources {
			p := s.pkts[s.next%len(s.pkts)]
			s.next++
			if err := s.dec.Send(p.Data, codec.NoPTS); err != nil && !errors.Is(err, codec.ErrNeedKeyframe) {
				return 0, 0, err
			}
			var dst layout.Rect
			target := func(w, h int) (image.Rectangle, image.Point) {
				var crop layout.Rect
				dst, crop = layout.Place(layout.Size{W: w, H: h}, s.cell, mcfg.Aspect)
				return rect(crop), image.Pt(dst.W, dst.H)
			}
			for {
				ok, err := s.dec.ReceiveScaled(s.tile, target)
				if err != nil {
					return 0, 0, err
				}
				if !ok {
					break
				}
				if !dst.Empty() {
					codec.CopyRect(canvas, image.Pt(dst.X, dst.Y), &s.tile.YCbCr, s.tile.Rect)
				}
			}
		}
		// The server paints its canvas in the encoder's input picture; here
		// it is copied there, untimed.
		if err := pic.Load(canvas); err != nil {
			return 0, 0, err
		}
		pts := time.Duration(k) * time.Second / time.Duration(vcfg.FPS)
		d, err := codecCPU(func() error { _, err := enc.EncodePicture(pic, pts, false); return err })
		if err != nil {
			return 0, 0, err
		}
		spent += d
		if henc != nil {
			// The server copies its canvas for the H.264 encoder too,
			// scaled for the level if need be: untimed, as above.
			if hscale == nil {
				if err := hpic.CopyFrom(pic); err != nil {
					return 0, 0, err
				}
			} else {
				dst, err := hpic.Image()
				if err != nil {
					return 0, 0, err
				}
				if err := hscale.Scale(dst, dst.Rect, canvas, canvas.Rect); err != nil {
					return 0, 0, err
				}
			}
			d, err := codecCPU(func() error { _, err := henc.EncodePicture(hpic, pts, false); return err })
			if err != nil {
				return 0, 0, err
			}
			spentH264 += d
		}
	}
	encoded := time.Duration(frames) * time.Second / time.Duration(vcfg.FPS)
	return perSecond(spent, encoded), perSecond(spentH264, encoded), nil
}

func rect(r layout.Rect) image.Rectangle { return image.Rect(r.X, r.Y, r.X+r.W, r.Y+r.H) }

// audioEncodeCost decodes media of the sound of each participant in the
// mix (untimed): every one who sends sound or, with voices > 0, the first
// voices of them (the clips' tones are heard all along, so the server's
// mixes hold that many, the others receiving the full mix's packets).
// Then, 20 ms at a time, it forms the full mix and each one's mix-minus
// and times their Opus encodes, each stream with its own encoder as in
// the server.
func audioEncodeCost(parts []*clipPackets, cfg codec.OpusConfig, voices int, media time.Duration) (time.Duration, int, error) {
	const frame = 20 * time.Millisecond
	const frameLen = 960 * codec.OpusChannels
	frames := max(1, int(media/frame))
	var pcms [][]int16 // of those in the mix
	for _, cp := range parts {
		if cp.audio == nil || voices > 0 && len(pcms) == voices {
			continue
		}
		dec, err := codec.NewOpusDecoder()
		if err != nil {
			return 0, 0, err
		}
		buf := make([]int16, codec.MaxOpusSamples*codec.OpusChannels)
		pcm := make([]int16, 0, frames*frameLen)
		for j := 0; len(pcm) < frames*frameLen; j++ {
			n, err := dec.Decode(cp.audio[j%len(cp.audio)].Data, buf)
			if err != nil {
				return 0, 0, err
			}
			pcm = append(pcm, buf[:n*codec.OpusChannels]...)
		}
		pcms = append(pcms, pcm[:frames*frameLen])
	}
	encs := make([]*codec.OpusEncoder, len(pcms)+1)
	for i := range encs {
		var err error
		if encs[i], err = codec.NewOpusEncoder(cfg); err != nil {
			return 0, 0, err
		}
	}
	acc := make([]int32, frameLen)
	outs := make([][]int16, len(encs))
	for i := range outs {
		outs[i] = make([]int16, frameLen)
	}
	var spent time.Duration
	for f := range frames {
		clear(acc)
		for _, pcm := range pcms {
			for j, v := range pcm[f*frameLen : (f+1)*frameLen] {
				acc[j] += int32(v)
			}
		}
		for j, v := range acc {
			outs[0][j] = clamp16(v)
		}
		for i, pcm := range pcms {
			for j, v := range acc {
				outs[i+1][j] = clamp16(v - int32(pcm[f*frameLen+j]))
			}
		}
		d, err := codecCPU(func() error {
			for i, e := range encs {
				if _, err := e.Encode(outs[i]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return 0, 0, err
		}
		spent += d
	}
	return perSecond(spent, time.Duration(frames)*frame), len(encs), nil
}

func clamp16(v int32) int16 { return int16(max(-32768, min(32767, v))) }
