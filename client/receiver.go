package client

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"

	"mcu/codec"
)

// FreezeGap is the pause between two received pictures counted as a
// freeze (a viewer notices a 30 fps stream stopping for this long).
const FreezeGap = 200 * time.Millisecond

// FreezeGapAt is the freeze of a stream of fps pictures a second: a
// pause of FreezeGap, or of three pictures' time where that is longer
// (at 5 fps a picture comes every 200 ms, and the least jitter would
// count a freeze at each).
func FreezeGapAt(fps int) time.Duration {
	if fps <= 0 {
		return FreezeGap
	}
	return max(FreezeGap, 3*time.Second/time.Duration(fps))
}

// receiver counts, and optionally decodes, what the server sends.
type receiver struct {
	decode    bool
	keepAudio int           // interleaved samples
	freezeGap time.Duration // a pause counted as a freeze (0: FreezeGap, or three of the mix's frame intervals)

	mu         sync.Mutex
	joined     time.Time
	first      time.Time // end of the first keyframe: the first picture one can show
	last       time.Time
	frames     int
	keyframes  int
	freezes    int
	gap        time.Duration // longest pause between two pictures
	gapAt      time.Time     // when it ended
	bytes      int64         // payload received, pictures and sound
	videoBytes int64         // the pictures' part of bytes
	inKey      bool          // receiving a keyframe's packets
	keyed      bool          // a keyframe has begun: pictures count from it
	ts         uint32        // the latest RTP time of a picture
	tsSeen     bool
	step       uint32           // the least RTP time between two pictures so far: the mix's frame interval (0: none yet)
	codec      codec.VideoCodec // of the mix, once its track is read
	picture    *codec.Frame     // newest decoded picture
	width      int
	height     int
	pcm        []int16 // newest received sound, decoded
	audioPkts  int
	pliSent    int // keyframe requests we sent for the mix
	whole      wholePictures

	plis     atomic.Int64 // keyframe requests received for what we send
	feedback atomic.Int64 // transport-cc feedback received for what we send
	srs      atomic.Int64 // RTCP sender reports received for what we receive
}

// readRTCP counts the sender reports of a received stream (they map its
// RTP time to wall-clock time, which a player needs for lip sync).
func (r *receiver) readRTCP(rr *webrtc.RTPReceiver) {
	for {
		pkts, _, err := rr.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			if _, ok := p.(*rtcp.SenderReport); ok {
				r.srs.Add(1)
			}
		}
	}
}

func (r *receiver) init(opts Options) {
	r.decode = opts.Decode
	r.freezeGap = opts.FreezeGap
	r.keepAudio = int(opts.KeepAudio.Seconds() * 48000 * 2)
}

func (r *receiver) setJoined(t time.Time) {
	r.mu.Lock()
	r.joined = t
	r.mu.Unlock()
}

func (r *receiver) read(c *Client, t *webrtc.TrackRemote) {
	if t.Kind() == webrtc.RTPCodecTypeAudio {
		r.readAudio(t)
		return
	}
	r.readVideo(t, func() error {
		return c.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(t.SSRC())}})
	})
}

// Decoding receivers wait at most maxHold for a lost packet to be resent
// (pion's NACKs go out every 100 ms) before they give up the picture, wait
// for a keyframe and ask for one at most every pliInterval, as a browser
// does. Without the bound a loss the resends miss would hold every later
// picture until 256 more packets had come, well over a second of the mix.
const (
	maxHold     = 400 * time.Millisecond
	pliInterval = 500 * time.Millisecond
)

// readVideo counts pictures from RTP (count). With Decode, it also
// rebuilds and decodes them, asking for a keyframe (pli) after a loss; a
// decoder that fails for good only stops the decoding: the counting, and
// the reading pion's reports need, go on.
func (r *receiver) readVideo(t *webrtc.TrackRemote, pli func() error) {
	c, err := codec.ParseVideoCodec(t.Codec().MimeType)
	if err != nil || (c != codec.VP8 && c != codec.H264) {
		c = codec.VP8 // counted as VP8: the server sends nothing else
	}
	r.mu.Lock()
	r.codec = c
	r.mu.Unlock()
	var sb *samplebuilder.SampleBuilder
	var dec *codec.VideoDecoder
	if r.decode {
		if dec, err = codec.NewVideoDecoder(c); err == nil {
			sb = samplebuilder.New(256, depacketizer(c), 90000, samplebuilder.WithMaxTimeDelay(maxHold))
			defer dec.Close()
		}
	}
	var asked time.Time // the last keyframe request
	askKeyframe := func(now time.Time) {
		if now.Sub(asked) >= pliInterval && pli() == nil {
			asked = now
			r.mu.Lock()
			r.pliSent++
			r.mu.Unlock()
		}
	}
	var vp8 codecs.VP8Packet
	for {
		pkt, _, err := t.ReadRTP()
		if err != nil {
			return
		}
		now := time.Now()
		var key bool
		if c == codec.H264 {
			key = h264Key(pkt.Payload)
		} else {
			payload, err := vp8.Unmarshal(pkt.Payload)
			key = err == nil && vp8.S == 1 && vp8.PID == 0 && codec.IsKeyframe(codec.VP8, payload)
		}
		r.count(pkt, now, key)
		if sb == nil {
			continue
		}
		sb.Push(pkt)
		for s := sb.Pop(); s != nil; s = sb.Pop() {
			if s.PrevDroppedPackets > 0 {
				dec.WaitKeyframe()
			}
			if err := dec.Send(s.Data, codec.NoPTS); err != nil {
				if errors.Is(err, codec.ErrNeedKeyframe) || errors.Is(err, codec.ErrCorrupt) {
					askKeyframe(now)
					continue
				}
				sb = nil
				break
			}
			f := &codec.Frame{}
			if ok, _ := dec.Receive(f); ok {
				r.mu.Lock()
				r.picture, r.width, r.height = f, f.Width(), f.Height()
				r.mu.Unlock()
			}
		}
	}
}

func depacketizer(c codec.VideoCodec) rtp.Depacketizer {
	if c == codec.H264 {
		return &codecs.H264Packet{}
	}
	return &codecs.VP8Packet{}
}

// h264Key tells whether an H.264 RTP payload begins a keyframe: it holds
// a sequence parameter set (NAL unit type 7), alone or in an aggregation
// (STAP-A), which the server sends ahead of every IDR picture.
func h264Key(p []byte) bool {
	if len(p) == 0 {
		return false
	}
	switch p[0] & 0x1f {
	case 7:
		return true
	case 24: // STAP-A: 16-bit sizes, each followed by its NAL unit
		for i := 1; i+2 < len(p); {
			n := int(p[i])<<8 | int(p[i+1])
			if p[i+2]&0x1f == 7 {
				return true
			}
			i += 2 + n
		}
	}
	return false
}

func (r *receiver) readAudio(t *webrtc.TrackRemote) {
	dec, err := codec.NewOpusDecoder()
	if err != nil {
		return
	}
	pcm := make([]int16, codec.MaxOpusSamples*codec.OpusChannels)
	for {
		pkt, _, err := t.ReadRTP()
		if err != nil {
			return
		}
		r.mu.Lock()
		r.bytes += int64(len(pkt.Payload))
		r.audioPkts++
		r.mu.Unlock()
		if r.keepAudio == 0 || len(pkt.Payload) == 0 {
			continue
		}
		n, err := dec.Decode(pkt.Payload, pcm)
		if err != nil {
			continue
		}
		r.mu.Lock()
		r.pcm = append(r.pcm, pcm[:n*codec.OpusChannels]...)
		if over := len(r.pcm) - r.keepAudio; over > 0 {
			r.pcm = append(r.pcm[:0], r.pcm[over:]...)
		}
		r.mu.Unlock()
	}
}

// Stats are what a client has received so far.
type Stats struct {
	Frames, Keyframes, Freezes int
	// WholeFrames counts the pictures of Frames that came whole, every
	// packet of them (resends too): what a lossy receiver could show.
	WholeFrames  int
	AudioPackets int
	// Bytes is the payload received, the mix's pictures and sound;
	// VideoBytes the pictures' part of it.
	Bytes, VideoBytes int64
	// FirstFrame is the time from posting the join's offer to the end of
	// the first keyframe of the mix, the first picture that can be shown
	// (0 if none yet); First is when that keyframe ended.
	FirstFrame    time.Duration
	First         time.Time
	Width, Height int // of the last decoded picture (Decode only)
	LastFrame     time.Time
	PLIs          int64 // keyframe requests the server sent us
	// KeyframeRequests counts the PLIs we sent for the mix after losing
	// part of it (Decode only).
	KeyframeRequests int
	// LongestGap is the longest pause between two pictures, ending at
	// LongestGapAt.
	LongestGap   time.Duration
	LongestGapAt time.Time
	// FreezeGap is the pause counted as a freeze (Options.FreezeGap, or
	// one read from the mix's frame rate).
	FreezeGap time.Duration
	// SenderReports counts RTCP sender reports received (all streams).
	SenderReports int64
	// TransportFeedback counts transport-cc feedback packets received
	// about what we send.
	TransportFeedback int64
}

// Stats returns the counters so far.
func (c *Client) Stats() Stats {
	r := &c.recv
	r.mu.Lock()
	defer r.mu.Unlock()
	s := Stats{Frames: r.frames, WholeFrames: r.whole.whole, Keyframes: r.keyframes, Freezes: r.freezes, AudioPackets: r.audioPkts, Bytes: r.bytes, VideoBytes: r.videoBytes,
		Width: r.width, Height: r.height, LastFrame: r.last, PLIs: r.plis.Load(), LongestGap: r.gap, LongestGapAt: r.gapAt, SenderReports: r.srs.Load(), TransportFeedback: r.feedback.Load(), KeyframeRequests: r.pliSent, FreezeGap: r.freezeAfter()}
	if !r.first.IsZero() {
		s.FirstFrame, s.First = r.first.Sub(r.joined), r.first
	}
	return s
}

// WaitFrames waits up to d for the count of pictures received (Stats's
// Frames) to reach n, and returns the count then.
func (c *Client) WaitFrames(n int, d time.Duration) int {
	for end := time.Now().Add(d); c.Stats().Frames < n && time.Now().Before(end); {
		time.Sleep(20 * time.Millisecond)
	}
	return c.Stats().Frames
}

// VideoCodec is the format the mix's video comes in (VP8 or H264), 0
// before its track is read.
func (c *Client) VideoCodec() codec.VideoCodec {
	c.recv.mu.Lock()
	defer c.recv.mu.Unlock()
	return c.recv.codec
}

// Picture returns the newest decoded picture of the mix (Decode only), or
// nil. It is not modified afterwards.
func (c *Client) Picture() *codec.Frame {
	c.recv.mu.Lock()
	defer c.recv.mu.Unlock()
	return c.recv.picture
}

// Sound returns a copy of the newest received sound (KeepAudio only):
// interleaved stereo at 48 kHz.
func (c *Client) Sound() []int16 {
	c.recv.mu.Lock()
	defer c.recv.mu.Unlock()
	return append([]int16(nil), c.recv.pcm...)
}

// freezeAfter is the pause between two pictures counted as a freeze:
// Options.FreezeGap, or else FreezeGap or three of the mix's frame
// intervals, read from its RTP times (90 kHz), where that is longer: a
// server run at 4 fps sends a picture every 250 ms, none of them a freeze.
func (r *receiver) freezeAfter() time.Duration {
	if r.freezeGap > 0 {
		return r.freezeGap
	}
	return max(FreezeGap, 3*time.Duration(r.step)*time.Second/90000)
}

// count takes a packet of the mix's video, arrived at now (key: it starts
// a keyframe), into the counts.
func (r *receiver) count(pkt *rtp.Packet, now time.Time, key bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.bytes += int64(len(pkt.Payload))
	r.videoBytes += int64(len(pkt.Payload))
	// A picture counts when its first packet to arrive comes (a later
	// RTP time than any so far), whichever of its packets are lost:
	// counted at its marker, a lossy receiver missed every picture
	// whose last packet it lost.
	newPicture := !r.tsSeen || int32(pkt.Timestamp-r.ts) > 0
	if newPicture {
		if d := pkt.Timestamp - r.ts; r.tsSeen && (r.step == 0 || d < r.step) {
			r.step = d
		}
		if r.inKey && r.first.IsZero() {
			r.first = now // the keyframe before ended without its marker
		}
		r.inKey, r.ts, r.tsSeen = false, pkt.Timestamp, true
	}
	// The first keyframe's own first packet counts its picture even when
	// another packet of it came before (reordered on the way).
	firstKey := key && !r.keyed
	if key {
		r.keyframes++
		r.inKey, r.keyed = true, true
	}
	// Pictures count from the first keyframe on: none before it can
	// be shown.
	if (newPicture || firstKey) && r.keyed {
		if !r.last.IsZero() {
			gap := now.Sub(r.last)
			if gap > r.freezeAfter() {
				r.freezes++
			}
			if gap > r.gap {
				r.gap, r.gapAt = gap, now
			}
		}
		r.last = now
		r.frames++
	}
	if pkt.Marker {
		if r.inKey && r.first.IsZero() {
			r.first = now
		}
		r.inKey = false
	}
	if firstKey {
		r.whole.begin(pkt.SequenceNumber)
	}
	if r.keyed {
		r.whole.add(pkt.SequenceNumber, pkt.Marker)
	}
}
