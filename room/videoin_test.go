package room

import (
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"

	"mcu/codec"
)

// clipFrames reads the first n compressed video frames of a testdata clip.
func clipFrames(t *testing.T, name string, n int) [][]byte {
	t.Helper()
	in, err := codec.OpenInput(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var frames [][]byte
	for len(frames) < n {
		p, err := in.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if p.Kind == codec.Video {
			frames = append(frames, p.Data)
		}
	}
	if len(frames) < n {
		t.Fatalf("%s: %d video frames, want %d", name, len(frames), n)
	}
	return frames
}

// switchingSender packetizes frames as one RTP stream (one SSRC, one
// sequence) whose payload type and codec change as a browser's do.
type switchingSender struct {
	seq rtp.Sequencer
}

// packets packetizes frames with payload type pt, each packet marshalled.
func (s *switchingSender) packets(t *testing.T, pt uint8, payloader rtp.Payloader, frames [][]byte) [][]byte {
	t.Helper()
	return packetize(t, s.seq, pt, payloader, frames, nil)
}

// packetize packetizes frames, 30 a second, with payload type pt,
// numbered by seq, each packet marshalled; stamp, if not nil, gives frame
// i's RTP time (else the packetizer's, from a random start).
func packetize(t *testing.T, seq rtp.Sequencer, pt uint8, payloader rtp.Payloader, frames [][]byte, stamp func(i int) uint32) [][]byte {
	t.Helper()
	p := rtp.NewPacketizer(1200, pt, 1234, payloader, seq, 90000)
	var raw [][]byte
	for i, f := range frames {
		for _, pkt := range p.Packetize(f, 3000) {
			if stamp != nil {
				pkt.Timestamp = stamp(i)
			}
			b, err := pkt.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			raw = append(raw, b)
		}
	}
	return raw
}

// videoInProbe drives a videoIn as readVideo does, with a fake track: the
// codec of each payload type is known, and what the videoIn asks for and
// produces is counted.
type videoInProbe struct {
	t          *testing.T
	in         *videoIn
	mimes      map[uint8]string // the negotiated payload types
	current    uint8            // payload type of the packet just read
	asked      int              // calls of mimeType
	keyframes  int
	keyframeAt time.Time           // of the last request
	skew       time.Duration       // added to the arrival of the packets pushed (later)
	waited     time.Duration       // how long the packets pushed waited for the decoder
	frozen     time.Time           // when set, the arrival of every packet pushed, not the time they are
	pictures   map[image.Point]int // decoded sizes
	hold       chan struct{}       // the first picture waits until it is closed (5 s at most)
}

func newVideoInProbe(t *testing.T, mimes map[uint8]string) *videoInProbe {
	p := &videoInProbe{t: t, mimes: mimes, pictures: map[image.Point]int{}}
	var frame codec.Frame
	p.in = &videoIn{
		mimeType: func() string { p.asked++; return p.mimes[p.current] },
		keyframe: func() { p.keyframes++; p.keyframeAt = time.Now() },
		pictures: func(dec *codec.VideoDecoder, _ time.Time) {
			for {
				ok, err := dec.Receive(&frame)
				if err != nil {
					t.Fatal(err)
				}
				if !ok {
					return
				}
				p.pictures[image.Pt(frame.Width(), frame.Height())]++
				if p.hold != nil {
					select {
					case <-p.hold:
					case <-time.After(5 * time.Second):
					}
					p.hold = nil
				}
			}
		},
		log: slog.New(slog.DiscardHandler),
	}
	p.in.stream = new(atomic.Pointer[StreamInfo])
	t.Cleanup(p.in.close)
	return p
}

// push hands packets to the videoIn, as read from the track.
func (p *videoInProbe) push(raw ...[]byte) {
	p.t.Helper()
	for _, b := range raw {
		p.current = b[1] & 0x7f
		at := time.Now()
		if !p.frozen.IsZero() {
			at = p.frozen
		}
		if _, err := p.in.push(b, at.Add(p.skew), p.waited); err != nil {
			p.t.Fatal(err)
		}
	}
}

// later makes the packets pushed from now on arrive d later: past the
// least time between codec changes, without waiting for it.
func (p *videoInProbe) later(d time.Duration) { p.skew += d }

// codecShown is the video codec the API shows, "" for none.
func (p *videoInProbe) codecShown() string {
	if st := p.in.stream.Load(); st != nil {
		return st.VideoCodec
	}
	return ""
}

// take returns the pictures decoded since the last call, by size.
func (p *videoInProbe) take() map[image.Point]int {
	got := p.pictures
	p.pictures = map[image.Point]int{}
	return got
}

// TestVideoInSwitchesCodec: a sender that switches from VP8 to H.264
// mid-call (a new payload type in the same stream) gets a new depacketizer
// and decoder, the API shows H264 and a keyframe is asked for at the
// switch: pictures of the H.264 clip keep coming. A late VP8 packet after
// the switch does not switch back; another H.264 payload type (another
// profile) keeps the decoder; a switch right after the last one is
// dropped; a codec mcu does not decode is skipped, and a switch back to
// VP8 decodes again.
func TestVideoInSwitchesCodec(t *testing.T) {
	const (
		vp8PT, h264PT, h264OtherPT, h265PT = 96, 102, 104, 49
		n                                  = 10 // frames per part
	)
	vp8 := clipFrames(t, "p10.ivf", n)     // 322x180
	h264 := clipFrames(t, "p01.h264", 2*n) // 640x360
	vp8Size, h264Size := image.Pt(322, 180), image.Pt(640, 360)
	sender := &switchingSender{seq: rtp.NewFixedSequencer(65530)} // wraps during the test
	p := newVideoInProbe(t, map[uint8]string{
		vp8PT: "video/VP8", h264PT: "video/H264", h264OtherPT: "video/H264", h265PT: "video/H265",
	})
	p.in.start(vp8PT, "video/VP8") // as readVideo does with the track's codec
	if got := p.codecShown(); got != "VP8" {
		t.Fatalf("at the start the API shows %q, want VP8", got)
	}

	vp8Pkts := sender.packets(t, vp8PT, &codecs.VP8Payloader{}, vp8)
	p.push(vp8Pkts...)
	if got := p.take(); got[vp8Size] != n || len(got) != 1 {
		t.Fatalf("VP8: decoded %v, want %d pictures of %v", got, n, vp8Size)
	}
	if p.asked != 0 || p.keyframes != 0 {
		t.Fatalf("VP8: codec asked %d times, %d keyframe requests; want none", p.asked, p.keyframes)
	}

	h264Pkts := sender.packets(t, h264PT, &codecs.H264Payloader{}, h264[:n])
	p.push(h264Pkts[0])
	if p.asked != 1 || p.keyframes != 1 {
		t.Fatalf("at the switch to H.264: codec asked %d times, %d keyframe requests; want 1 and 1", p.asked, p.keyframes)
	}
	if got := p.codecShown(); got != "H264" {
		t.Fatalf("after the switch the API shows %q, want H264", got)
	}
	// A retransmission of a VP8 packet comes in the middle of the first
	// H.264 frame.
	p.push(h264Pkts[1])
	p.push(vp8Pkts[len(vp8Pkts)-1])
	p.push(h264Pkts[2:]...)
	if p.asked != 1 || p.codecShown() != "H264" {
		t.Fatalf("a late VP8 packet: codec asked %d times, API shows %q; want 1, H264", p.asked, p.codecShown())
	}
	if got := p.take(); got[h264Size] != n || len(got) != 1 {
		t.Fatalf("H.264: decoded %v, want %d pictures of %v", got, n, h264Size)
	}

	// The rest of the clip (delta frames) under another H.264 payload type:
	// the decoder goes on, so every one is decoded.
	p.push(sender.packets(t, h264OtherPT, &codecs.H264Payloader{}, h264[n:])...)
	if got := p.take(); got[h264Size] != n || len(got) != 1 {
		t.Fatalf("H.264 under payload type %d: decoded %v, want %d pictures of %v", h264OtherPT, got, n, h264Size)
	}
	if p.asked != 2 || p.keyframes != 1 || p.codecShown() != "H264" {
		t.Fatalf("H.264 under payload type %d: codec asked %d times, %d keyframe requests, API shows %q; want 2, 1, H264",
			h264OtherPT, p.asked, p.keyframes, p.codecShown())
	}

	// A sender switching again at once (as one alternating payload types
	// would): the packets of the new codec are dropped, no decoder opened,
	// until the codec has stayed codecSwitchGap.
	keyframes := p.keyframes
	p.skew = p.in.switched.Sub(time.Now()) // back to the switch, however long the decoding above took
	p.push(sender.packets(t, vp8PT, &codecs.VP8Payloader{}, vp8)...)
	if got := p.take(); len(got) != 0 || p.keyframes != keyframes || p.codecShown() != "H264" {
		t.Fatalf("VP8 right after H.264: decoded %v, %d keyframe requests, API shows %q; want nothing, %d, H264",
			got, p.keyframes, p.codecShown(), keyframes)
	}
	p.later(codecSwitchGap)

	// A codec mcu does not decode: skipped, nothing shown.
	asked := p.asked
	p.push(sender.packets(t, h265PT, &codecs.H264Payloader{}, h264[:n])...)
	if got := p.take(); len(got) != 0 {
		t.Fatalf("an unsupported codec: decoded %v, want nothing", got)
	}
	if p.asked != asked+1 || p.codecShown() != "" {
		t.Fatalf("an unsupported codec: codec asked %d times, API shows %q; want %d, nothing", p.asked, p.codecShown(), asked+1)
	}
	p.later(codecSwitchGap)

	// And back to VP8.
	asked, keyframes = p.asked, p.keyframes
	p.push(sender.packets(t, vp8PT, &codecs.VP8Payloader{}, vp8)...)
	if got := p.take(); got[vp8Size] != n || len(got) != 1 {
		t.Fatalf("back to VP8: decoded %v, want %d pictures of %v", got, n, vp8Size)
	}
	if p.asked != asked+1 || p.keyframes != keyframes+1 || p.codecShown() != "VP8" {
		t.Fatalf("back to VP8: codec asked %d times, %d keyframe requests, API shows %q; want %d, %d, VP8",
			p.asked, p.keyframes, p.codecShown(), asked+1, keyframes+1)
	}
}

// TestVideoInUnsupportedAtStart: a track that starts in a codec mcu does
// not decode is read on (not ended), and decoded once the sender switches
// to one it does.
func TestVideoInUnsupportedAtStart(t *testing.T) {
	const n = 5
	vp8 := clipFrames(t, "p10.ivf", n)
	sender := &switchingSender{seq: rtp.NewFixedSequencer(100)}
	p := newVideoInProbe(t, map[uint8]string{96: "video/VP8", 49: "video/H265"})
	if p.in.start(49, "video/H265") {
		t.Fatal("start in H.265 reports a codec mcu decodes")
	}
	p.push(sender.packets(t, 49, &codecs.VP8Payloader{}, vp8)...)
	if got := p.take(); len(got) != 0 || p.codecShown() != "" {
		t.Fatalf("H.265: decoded %v, API shows %q; want nothing", got, p.codecShown())
	}
	p.push(sender.packets(t, 96, &codecs.VP8Payloader{}, vp8)...)
	if got := p.take(); got[image.Pt(322, 180)] != n || p.codecShown() != "VP8" || p.keyframes != 1 {
		t.Fatalf("then VP8: decoded %v, API shows %q, %d keyframe requests; want %d pictures, VP8, 1",
			got, p.codecShown(), p.keyframes, n)
	}
}

// fakeTrack serves packets as a network would deliver them through a
// TrackRemote, one every gap; closes served (when set) once the last one
// is read; then stays silent for pause (a sender that stopped sending)
// and ends the track.
type fakeTrack struct {
	pkts   [][]byte
	gap    time.Duration
	served chan struct{}
	pause  time.Duration
}

func (f *fakeTrack) Read(b []byte) (int, interceptor.Attributes, error) {
	if len(f.pkts) == 0 {
		time.Sleep(f.pause)
		return 0, nil, io.EOF
	}
	time.Sleep(f.gap)
	n := copy(b, f.pkts[0])
	if f.pkts = f.pkts[1:]; len(f.pkts) == 0 && f.served != nil {
		close(f.served)
	}
	return n, nil, nil
}

// vp8Reader is a videoInProbe for VP8 on payload type 96, as readVideo
// starts it, and a sender of that stream.
func vp8Reader(t *testing.T) (*videoInProbe, *switchingSender) {
	p := newVideoInProbe(t, map[uint8]string{96: "video/VP8"})
	p.in.start(96, "video/VP8")
	return p, &switchingSender{seq: rtp.NewRandomSequencer()}
}

// vp8 is the mimeOf of a track that only carries VP8.
func vp8() string { return "video/VP8" }

// TestVideoReaderTimesPacketsOnArrival: packets come every 2 ms while the
// first picture's decoding is held up until the track has served them
// all. They are still taken from the track (and timed, by pion's
// interceptors and the assembler) as they come: no two arrivals are
// further apart than a scheduling hiccup, where reading after the decode
// would put the hold (5 s at most) between two of them.
func TestVideoReaderTimesPacketsOnArrival(t *testing.T) {
	p, sender := vp8Reader(t)
	pkts := sender.packets(t, 96, &codecs.VP8Payloader{}, clipFrames(t, "p10.ivf", 5))
	track := &fakeTrack{pkts: pkts, gap: 2 * time.Millisecond, served: make(chan struct{})}
	p.hold = track.served
	var arrivals []time.Time
	readVideoPackets(track, vp8, p.in, nil, func(_ int, at time.Time) {
		arrivals = append(arrivals, at)
	})
	var longest time.Duration
	for i := 1; i < len(arrivals); i++ {
		longest = max(longest, arrivals[i].Sub(arrivals[i-1]))
	}
	if len(arrivals) != len(pkts) || longest >= time.Second {
		t.Errorf("%d of %d packets, longest between two arrivals %v; want all, none held up by the decoding", len(arrivals), len(pkts), longest)
	}
	if got := p.take()[image.Pt(322, 180)]; got != 5 {
		t.Errorf("%d pictures, want 5", got)
	}
}

// TestVideoReaderCodecOfEachPacket: the sender switches from VP8 to H.264,
// and a late VP8 packet (a retransmission) follows the H.264 ones, all
// read while the decoder is held up on the first picture. As pion's
// track does, the codec reported is that of the packet last read. Each
// packet must be decoded in its own codec, looked up when it was read:
// looked up when the decoder gets to the first H.264 packet, it would be
// the late VP8 packet's, and H.264 would go to the VP8 decoder.
func TestVideoReaderCodecOfEachPacket(t *testing.T) {
	const vp8PT, h264PT = 96, 102
	mimes := map[uint8]string{vp8PT: "video/VP8", h264PT: "video/H264"}
	p := newVideoInProbe(t, mimes)
	p.in.start(vp8PT, "video/VP8")
	sender := &switchingSender{seq: rtp.NewRandomSequencer()}
	vp8Pkts := sender.packets(t, vp8PT, &codecs.VP8Payloader{}, clipFrames(t, "p10.ivf", 3))
	h264Pkts := sender.packets(t, h264PT, &codecs.H264Payloader{}, clipFrames(t, "p01.h264", 5))
	pkts := append(slices.Clone(vp8Pkts), h264Pkts...)
	pkts = append(pkts, vp8Pkts[len(vp8Pkts)-1])
	track := &fakeTrack{pkts: pkts, served: make(chan struct{})}
	p.hold = track.served
	var last uint8 // payload type of the packet last read, as pion's track keeps it
	read := &lastPT{r: track, pt: &last}
	readVideoPackets(read, func() string { return mimes[last] }, p.in, nil, func(int, time.Time) {})
	got := p.take()
	if got[image.Pt(322, 180)] != 3 || got[image.Pt(640, 360)] != 5 {
		t.Errorf("decoded %v, want 3 VP8 pictures of 322x180 and 5 H.264 ones of 640x360", got)
	}
}

// lastPT reads from r and keeps the payload type of the packet read.
type lastPT struct {
	r  rtpReader
	pt *uint8
}

func (l *lastPT) Read(b []byte) (int, interceptor.Attributes, error) {
	n, a, err := l.r.Read(b)
	if err == nil && n > 1 {
		*l.pt = b[1] & 0x7f
	}
	return n, a, err
}

// TestVideoReaderGivesUpWithoutAPacket: a frame is lost and the sender then
// pauses (a screen share at a low frame rate, say). The reader does not
// wait for a next packet to give the lost frame up: at the assembler's
// deadline it does, decodes the frame behind it (a delta frame, refused
// after the loss) and asks for a keyframe.
func TestVideoReaderGivesUpWithoutAPacket(t *testing.T) {
	p, sender := vp8Reader(t)
	var pkts [][]byte
	for i, f := range clipFrames(t, "p10.ivf", 5) {
		frame := sender.packets(t, 96, &codecs.VP8Payloader{}, [][]byte{f})
		if i != 3 { // frame 3 is lost
			pkts = append(pkts, frame...)
		}
	}
	// The sender is silent for twice the patience after its last packet.
	track := &fakeTrack{pkts: pkts, pause: 2 * assemblerPatience}
	bytes := 0
	start := time.Now()
	readVideoPackets(track, vp8, p.in, nil, func(n int, _ time.Time) { bytes += n })
	if p.keyframes != 1 {
		t.Errorf("%d keyframe requests: want the lost frame given up at the deadline and a keyframe asked for", p.keyframes)
	}
	if gaveUp := p.keyframeAt.Sub(start); gaveUp < assemblerPatience || gaveUp > 2*assemblerPatience {
		t.Errorf("gave up %v after the start, want after the patience of %v and before the track ended", gaveUp, assemblerPatience)
	}
	if got := p.take()[image.Pt(322, 180)]; got != 3 || bytes == 0 {
		t.Errorf("%d pictures and %d bytes, want the 3 before the loss", got, bytes)
	}
}

// TestVideoReaderAsksAtTheDeadline: the last frame before the sender
// pauses loses a packet in its middle. At the assembler's deadline the
// frame is given up, and a keyframe asked for then, not when (perhaps a
// second later, for a screen share) the sender's next frame comes.
func TestVideoReaderAsksAtTheDeadline(t *testing.T) {
	p, _ := vp8Reader(t)
	packetizer := rtp.NewPacketizer(40, 96, 1234, &codecs.VP8Payloader{}, rtp.NewRandomSequencer(), 90000)
	var pkts [][]byte
	frames := clipFrames(t, "p10.ivf", 5)
	for i, f := range frames {
		frame := packetizer.Packetize(f, 3000)
		if i == len(frames)-1 {
			if len(frame) < 3 {
				t.Fatalf("the last frame makes %d packets, want 3 or more", len(frame))
			}
			frame = slices.Delete(frame, 1, 2) // its second packet is lost
		}
		for _, pkt := range frame {
			b, err := pkt.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			pkts = append(pkts, b)
		}
	}
	track := &fakeTrack{pkts: pkts, pause: 2 * assemblerPatience}
	start := time.Now()
	readVideoPackets(track, vp8, p.in, nil, func(int, time.Time) {})
	if p.keyframes != 1 {
		t.Errorf("%d keyframe requests, want one when the broken frame is given up", p.keyframes)
	}
	if gaveUp := p.keyframeAt.Sub(start); gaveUp < assemblerPatience || gaveUp > 2*assemblerPatience {
		t.Errorf("asked %v after the start, want after the patience of %v and before the track ended", gaveUp, assemblerPatience)
	}
	if got := p.take()[image.Pt(322, 180)]; got != 4 {
		t.Errorf("%d pictures, want the 4 before the broken one", got)
	}
}

// TestPLIGate: keyframe requests go at most once per pliInterval, the
// first at once, whatever the time since the session started.
func TestPLIGate(t *testing.T) {
	var g pliGate
	for _, step := range []struct {
		at   time.Duration
		want bool
	}{
		{0, true},
		{100 * time.Millisecond, false},
		{499 * time.Millisecond, false},
		{500 * time.Millisecond, true},
		{900 * time.Millisecond, false},
		{time.Hour, true},
		{time.Hour + time.Millisecond, false},
	} {
		if got := g.allow(step.at); got != step.want {
			t.Errorf("request at %v: allowed %v, want %v", step.at, got, step.want)
		}
	}
}

// TestVideoInKeepsToTheClock: a sender of frames far faster than time
// passes (the clip's 90 frames five times over, at once) has at most
// frameLead of maxFrameRate decoded, and is asked for a keyframe; once
// the clock has moved on, its next keyframe decodes again.
func TestVideoInKeepsToTheClock(t *testing.T) {
	clip := clipFrames(t, "p01.ivf", 90) // starts with a keyframe
	p := newVideoInProbe(t, map[uint8]string{96: "video/VP8"})
	p.in.start(96, "video/VP8")
	sender := &switchingSender{seq: rtp.NewRandomSequencer()}
	p.frozen = time.Now() // all at once, however long the decoding takes
	for range 5 {
		p.push(sender.packets(t, 96, &codecs.VP8Payloader{}, clip)...)
	}
	decoded := 0
	for _, n := range p.take() {
		decoded += n
	}
	if most := int(frameLead*maxFrameRate/time.Second) + 1; decoded > most || decoded < 90 {
		t.Errorf("a flood of 450 frames: %d decoded, want from 90 to %d", decoded, most)
	}
	if p.keyframes == 0 {
		t.Error("no keyframe asked for after frames were dropped")
	}
	p.later(10 * time.Second)
	// The frames dropped were references: what follows waits for a
	// keyframe (the clip has more than its first).
	next := slices.IndexFunc(clip[1:], func(f []byte) bool { return codec.IsKeyframe(codec.VP8, f) }) + 1
	if next == 0 {
		t.Fatal("the clip has one keyframe only")
	}
	p.push(sender.packets(t, 96, &codecs.VP8Payloader{}, clip[1:])...)
	if got := p.take(); got[image.Pt(640, 360)] != len(clip)-next {
		t.Errorf("the clip after its first frame, once frames were dropped: decoded %v, want the %d from its next keyframe (%d) on",
			got, len(clip)-next, next)
	}
	p.push(sender.packets(t, 96, &codecs.VP8Payloader{}, clip)...)
	if got := p.take(); got[image.Pt(640, 360)] != 90 {
		t.Errorf("after the clock moved on: decoded %v, want the clip's 90 pictures", got)
	}
}

// TestVideoInDropsWhatWaitedTooLong: frames whose packets waited more than
// maxDecodeLag for the decoder are dropped, a keyframe is asked for, and
// decoding goes on at the first keyframe of packets that did not wait
// that long (not at one that did).
func TestVideoInDropsWhatWaitedTooLong(t *testing.T) {
	clip := clipFrames(t, "p01.ivf", 90) // keyframes at 0, 30 and 60
	for _, k := range []int{0, 30, 60} {
		if !codec.IsKeyframe(codec.VP8, clip[k]) {
			t.Fatalf("frame %d of the clip is not a keyframe", k)
		}
	}
	p, sender := vp8Reader(t)
	behind := 0 // frames the server is told of as a strain
	p.in.behind = func() { behind++ }
	vp8 := &codecs.VP8Payloader{}
	p.push(sender.packets(t, 96, vp8, clip[:30])...)
	if got := p.take()[image.Pt(640, 360)]; got != 30 {
		t.Fatalf("%d pictures of 30 decoded in time", got)
	}
	if behind != 0 {
		t.Errorf("%d frames decoded in time told as behind", behind)
	}
	p.waited = 2 * maxDecodeLag
	p.push(sender.packets(t, 96, vp8, clip[30:45])...) // keyframe 30 among them
	if got := p.take(); len(got) != 0 {
		t.Errorf("frames that waited %v decoded: %v", p.waited, got)
	}
	if p.keyframes == 0 {
		t.Error("no keyframe asked for once frames were dropped")
	}
	if behind != 15 {
		t.Errorf("%d frames told as behind, want the 15 dropped", behind)
	}
	p.waited = maxDecodeLag / 2
	p.push(sender.packets(t, 96, vp8, clip[45:])...)
	if got := p.take()[image.Pt(640, 360)]; got != 30 {
		t.Errorf("%d pictures decoded once the packets waited less, want the 30 from keyframe 60 on", got)
	}
	if behind != 15 {
		t.Errorf("%d frames told as behind after the decoder caught up, want still 15", behind)
	}
}

// TestVideoReaderDropsWhatWaitedTooLong: the reader tells the decoder how
// long each packet waited in its queue: while the first picture is held up
// for longer than maxDecodeLag, the packets read meanwhile (two keyframes'
// worth) wait, and their frames are dropped rather than decoded late.
func TestVideoReaderDropsWhatWaitedTooLong(t *testing.T) {
	p, sender := vp8Reader(t)
	pkts := sender.packets(t, 96, &codecs.VP8Payloader{}, clipFrames(t, "p01.ivf", 60))
	if len(pkts) > videoQueue {
		t.Fatalf("%d packets for 60 frames, want them all queued at once (%d)", len(pkts), videoQueue)
	}
	track := &fakeTrack{pkts: pkts, gap: 5 * time.Millisecond} // all read within 300 ms
	hold := make(chan struct{})
	p.hold = hold
	release := time.AfterFunc(3*maxDecodeLag, func() { close(hold) })
	defer release.Stop()
	readVideoPackets(track, vp8, p.in, nil, func(int, time.Time) {})
	if got := p.take()[image.Pt(640, 360)]; got != 1 {
		t.Errorf("%d pictures, want the first alone: the others waited %v or more behind it", got, 3*maxDecodeLag-300*time.Millisecond)
	}
	if p.keyframes == 0 {
		t.Error("no keyframe asked for once frames were dropped")
	}
}

// TestVideoInKeepsLargePicturesToThePixelRate: a flood of 2560x1440
// frames (each costs more than a frame at maxFrameRate) has at most
// frameLead of maxPixelRate decoded: 67 a second, not 120.
func TestVideoInKeepsLargePicturesToThePixelRate(t *testing.T) {
	const w, h = 2560, 1440
	clip := encodedFrames(t, filepath.Join(t.TempDir(), "large.ivf"), fmt.Sprintf("color=c=gray:s=%dx%d:r=30:d=2", w, h),
		"-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "16", "-b:v", "200k", "-g", "600")
	p := newVideoInProbe(t, map[uint8]string{96: "video/VP8"})
	p.in.start(96, "video/VP8")
	sender := &switchingSender{seq: rtp.NewRandomSequencer()}
	p.frozen = time.Now()
	for range 5 {
		p.push(sender.packets(t, 96, &codecs.VP8Payloader{}, clip)...)
	}
	decoded := p.take()[image.Pt(w, h)]
	most := int(frameLead*maxPixelRate/(w*h)/time.Second) + 1
	if decoded > most || decoded < len(clip) {
		t.Errorf("a flood of %d frames of %dx%d: %d decoded, want from %d to %d", 5*len(clip), w, h, decoded, len(clip), most)
	}
}

// TestDecodeCost: a frame counts 1/maxFrameRate at least, each frame of
// a superframe too, and its pixels at maxPixelRate when that is more.
func TestDecodeCost(t *testing.T) {
	const fourK = 3840 * 2160
	for _, c := range []struct {
		pixels, frames int
		want           time.Duration
	}{
		{0, 1, time.Second / maxFrameRate},
		{0, 3, 3 * time.Second / maxFrameRate},
		{640 * 360, 1, time.Second / maxFrameRate},
		{fourK, 1, time.Second / 30},
		{fourK, 8, 8 * time.Second / 30},
	} {
		if got := decodeCost(c.pixels, c.frames); got != c.want {
			t.Errorf("%d pixels, %d frames: %v, want %v", c.pixels, c.frames, got, c.want)
		}
	}
}

// TestVideoInRefusesAProfileBeyondTheNegotiated: a VP9 or H.264 sender
// whose pictures are 4:4:4 (VP9 profile 1, H.264 High 4:4:4, beyond the
// profiles negotiated) has its frames left undecoded, the delta frames
// after a refused keyframe too, and no keyframe asked for; when it then
// sends 4:2:0, from a keyframe, every picture decodes.
func TestVideoInRefusesAProfileBeyondTheNegotiated(t *testing.T) {
	dir := t.TempDir()
	encode := func(encoder, file, pixels string) [][]byte {
		return encodedFrames(t, filepath.Join(dir, pixels+"-"+file), "testsrc=s=160x90:r=30:d=0.4",
			"-pix_fmt", pixels, "-c:v", encoder, "-g", "6", "-bf", "0")
	}
	for _, c := range []struct {
		mime, encoder, file string
		pt                  uint8
		payloader           rtp.Payloader
	}{
		{"video/VP9", "libvpx-vp9", "x.ivf", 98, &codecs.VP9Payloader{}},
		{"video/H264", "libx264", "x.h264", 102, &codecs.H264Payloader{}},
	} {
		p := newVideoInProbe(t, map[uint8]string{c.pt: c.mime})
		p.in.start(c.pt, c.mime)
		sender := &switchingSender{seq: rtp.NewRandomSequencer()}
		beyond := encode(c.encoder, c.file, "yuv444p")
		p.push(sender.packets(t, c.pt, c.payloader, beyond)...)
		if got := p.take()[image.Pt(160, 90)]; got != 0 || p.keyframes != 0 {
			t.Errorf("%s 4:4:4: %d pictures of %d frames, %d keyframe requests; want none", c.mime, got, len(beyond), p.keyframes)
		}
		fits := encode(c.encoder, c.file, "yuv420p")
		p.push(sender.packets(t, c.pt, c.payloader, fits)...)
		if got := p.take()[image.Pt(160, 90)]; got != len(fits) {
			t.Errorf("%s 4:2:0 after it: %d pictures of %d frames", c.mime, got, len(fits))
		}
	}
}

// TestVideoInBacksOffWhenKeyframesFail: a sender whose keyframes never
// decode (a picture beyond 3840x2160, which the decoder refuses) is asked
// for a keyframe once, not at every refused one (it would then send
// nothing but keyframes); its first keyframe that decodes ends that.
func TestVideoInBacksOffWhenKeyframesFail(t *testing.T) {
	dir := t.TempDir()
	encode := func(size, name string) [][]byte {
		return encodedFrames(t, filepath.Join(dir, name), "color=c=blue:s="+size+":r=30:d=0.2",
			"-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-g", "1")
	}
	p := newVideoInProbe(t, map[uint8]string{96: "video/VP8"})
	p.in.start(96, "video/VP8")
	sender := &switchingSender{seq: rtp.NewRandomSequencer()}
	huge := encode("4096x2304", "huge.ivf")
	p.push(sender.packets(t, 96, &codecs.VP8Payloader{}, huge)...)
	if got := len(p.take()); got != 0 || p.keyframes != 1 {
		t.Errorf("%d keyframes of 4096x2304: %d picture sizes decoded, %d keyframe requests; want none and 1", len(huge), got, p.keyframes)
	}
	fits := encode("160x90", "fits.ivf")
	p.push(sender.packets(t, 96, &codecs.VP8Payloader{}, fits)...)
	if got := p.take()[image.Pt(160, 90)]; got != len(fits) || p.in.badKeys != 0 {
		t.Errorf("160x90 after it: %d pictures of %d frames, %d refused keyframes still counted", got, len(fits), p.in.badKeys)
	}
}

// TestVideoInH264ParameterSetsKept: an H.264 sender that gives its SPS
// and PPS only once (with its first keyframe, or only in the SDP's
// sprop-parameter-sets) is decoded at every keyframe, also after its
// decoder started afresh; such keyframes used to fail, each asking for
// another.
func TestVideoInH264ParameterSetsKept(t *testing.T) {
	frames, sets := withoutParamSets(encodedFrames(t, filepath.Join(t.TempDir(), "x.h264"), "testsrc=s=160x90:r=30:d=0.4",
		"-pix_fmt", "yuv420p", "-c:v", "libx264", "-g", "6", "-bf", "0"))
	if len(sets) != 2 || len(frames) != 12 {
		t.Fatalf("%d parameter sets, %d frames from ffmpeg; want 2 and 12", len(sets), len(frames))
	}
	// Given only in the SDP.
	p := newVideoInProbe(t, map[uint8]string{102: "video/H264"})
	p.in.fmtp = func() string {
		return "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64000c;sprop-parameter-sets=" + strings.Join(sets, ",")
	}
	p.in.start(102, "video/H264")
	sender := &switchingSender{seq: rtp.NewRandomSequencer()}
	p.push(sender.packets(t, 102, &codecs.H264Payloader{}, frames[:6])...)
	if got := p.take()[image.Pt(160, 90)]; got != 6 || p.keyframes != 0 {
		t.Errorf("parameter sets in the SDP only: %d pictures of 6 frames, %d keyframe requests", got, p.keyframes)
	}
	// The decoder starts afresh (as after errors): the next keyframe,
	// without them, still decodes.
	if err := p.in.dec.Flush(); err != nil {
		t.Fatal(err)
	}
	p.push(sender.packets(t, 102, &codecs.H264Payloader{}, frames[6:])...)
	if got := p.take()[image.Pt(160, 90)]; got != 6 || p.keyframes != 0 {
		t.Errorf("after the decoder started afresh: %d pictures of 6 frames, %d keyframe requests", got, p.keyframes)
	}
}

// encodedFrames encodes FFmpeg's lavfi source src with args into path and
// returns its frames, each one packet's data.
func encodedFrames(t *testing.T, path, src string, args ...string) [][]byte {
	t.Helper()
	cmd := append([]string{"-v", "error", "-f", "lavfi", "-i", src}, args...)
	if out, err := exec.Command("ffmpeg", append(cmd, path)...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	in, err := codec.OpenInput(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var frames [][]byte
	for {
		p, err := in.Read()
		if err != nil {
			return frames
		}
		frames = append(frames, p.Data)
	}
}

// TestVideoInH264ParameterSetsOfAnotherPayloadType: a sender that switches
// to another H.264 payload type, whose SDP gives other parameter sets (a
// new size), has those kept too: its keyframes without them decode at
// their size after the decoder started afresh.
func TestVideoInH264ParameterSetsOfAnotherPayloadType(t *testing.T) {
	dir := t.TempDir()
	small := encodedFrames(t, filepath.Join(dir, "small.h264"), "testsrc=s=160x90:r=30:d=0.2", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-g", "6", "-bf", "0")
	large, sets := withoutParamSets(encodedFrames(t, filepath.Join(dir, "large.h264"), "testsrc=s=320x180:r=30:d=0.2",
		"-pix_fmt", "yuv420p", "-c:v", "libx264", "-g", "6", "-bf", "0"))
	p := newVideoInProbe(t, map[uint8]string{102: "video/H264", 103: "video/H264"})
	p.in.fmtp = func() string {
		if p.current == 103 {
			return "packetization-mode=1;sprop-parameter-sets=" + strings.Join(sets, ",")
		}
		return "packetization-mode=1"
	}
	p.in.start(102, "video/H264")
	sender := &switchingSender{seq: rtp.NewRandomSequencer()}
	p.push(sender.packets(t, 102, &codecs.H264Payloader{}, small)...)
	if got := p.take()[image.Pt(160, 90)]; got != len(small) {
		t.Fatalf("payload type 102: %d pictures of %d frames (%v, %d keyframe requests)", got, len(small), p.pictures, p.keyframes)
	}
	if err := p.in.dec.Flush(); err != nil {
		t.Fatal(err)
	}
	p.push(sender.packets(t, 103, &codecs.H264Payloader{}, large)...)
	if got := p.take()[image.Pt(320, 180)]; got != len(large) {
		t.Errorf("payload type 103, its sets only in its SDP: %d pictures of %d frames", got, len(large))
	}
}

// withoutParamSets returns H.264 access units without their SPS and PPS,
// and the first two of those (base64, for an SDP's sprop-parameter-sets).
func withoutParamSets(frames [][]byte) (aus [][]byte, sets []string) {
	for _, f := range frames {
		var au []byte
		codec.ForEachNAL(f, func(nal []byte) bool {
			if k := nal[0] & 0x1f; k == 7 || k == 8 {
				if len(sets) < 2 {
					sets = append(sets, base64.StdEncoding.EncodeToString(nal))
				}
				return true
			}
			au = append(append(au, 0, 0, 0, 1), nal...)
			return true
		})
		aus = append(aus, au)
	}
	return aus, sets
}

// TestPayloadSize: an RTP payload's length, as pion reads it, whatever the
// header carries (CSRCs, a one-byte or two-byte extension, padding); 0
// for what is not RTP.
func TestPayloadSize(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 500 {
		p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: uint16(i)},
			Payload: make([]byte, rng.IntN(1200))}
		for range rng.IntN(4) {
			p.CSRC = append(p.CSRC, rng.Uint32())
		}
		if rng.IntN(2) == 0 {
			p.Header.Extension, p.Header.ExtensionProfile = true, 0xBEDE
			if err := p.Header.SetExtension(uint8(1+rng.IntN(14)), make([]byte, 1+rng.IntN(16))); err != nil {
				t.Fatal(err)
			}
		}
		if rng.IntN(3) == 0 && len(p.Payload) > 0 {
			p.Padding, p.PaddingSize = true, byte(1+rng.IntN(200))
		}
		b, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		var back rtp.Packet
		if err := back.Unmarshal(b); err != nil {
			t.Fatal(err)
		}
		if got := payloadSize(b); got != len(back.Payload) {
			t.Fatalf("packet %d (%d CSRCs, extension %v, padding %d): %d bytes of payload, pion reads %d", i, len(p.CSRC), p.Extension, p.PaddingSize, got, len(back.Payload))
		}
	}
	for _, b := range [][]byte{nil, {0x80}, []byte("not rtp at all!!")} {
		if got := payloadSize(b); got != 0 {
			t.Errorf("% x: %d bytes of payload, want 0", b, got)
		}
	}
}

// TestVideoReaderCountsWhatItCannotDecode: the packets of a codec the
// decoder cannot start still count as bytes in.
func TestVideoReaderCountsWhatItCannotDecode(t *testing.T) {
	p := newVideoInProbe(t, map[uint8]string{96: "video/H265"})
	sender := &switchingSender{seq: rtp.NewRandomSequencer()}
	pkts := sender.packets(t, 96, &codecs.VP8Payloader{}, clipFrames(t, "p01.ivf", 10))
	want := 0
	for _, b := range pkts {
		var pkt rtp.Packet
		if err := pkt.Unmarshal(b); err != nil {
			t.Fatal(err)
		}
		want += len(pkt.Payload)
	}
	got := 0
	readVideoPackets(&fakeTrack{pkts: pkts}, func() string { return "video/H265" }, p.in, nil, func(n int, _ time.Time) { got += n })
	if got != want {
		t.Errorf("%d bytes counted of %d read", got, want)
	}
}

// TestVideoReaderOfASimulcastStream: a simulcast stream's reader has a
// decoder only while its stream is the one decoded: none before, none
// while another is (its reference pictures and held packets let go), and
// a fresh one, asking for a keyframe, when it is again; its pictures are
// those of the keyframes on from then.
func TestVideoReaderOfASimulcastStream(t *testing.T) {
	p := newVideoInProbe(t, map[uint8]string{96: "video/VP8"})
	sender := &switchingSender{seq: rtp.NewRandomSequencer()}
	clip := clipFrames(t, "p01.ivf", 90) // keyframes at 0, 30 and 60
	var pkts [][]byte
	var frameOf []int // the clip's frame of each packet
	for i, f := range clip {
		for _, pkt := range sender.packets(t, 96, &codecs.VP8Payloader{}, [][]byte{f}) {
			pkts, frameOf = append(pkts, pkt), append(frameOf, i)
		}
	}
	// Decoded for frames 10 to 39, not 40 to 49, again from 50.
	read, kept := 0, 0 // kept: packets read off with a decoder still there
	active := func(time.Time, []byte, string) bool {
		f := frameOf[read]
		read++
		on := f >= 10 && f < 40 || f >= 50
		if !on && p.in.dec != nil {
			kept++
		}
		return on
	}
	place := &simulcastPlace{take: active, held: func() bool { return true }}
	readVideoPackets(&fakeTrack{pkts: pkts}, vp8, p.in, place, func(int, time.Time) {})
	// Frames 10 to 29 wait for a keyframe (30), as 50 to 59 do (60).
	if got := p.take()[image.Pt(640, 360)]; got != 10+30 {
		t.Errorf("%d pictures, want 40: frames 30 to 39 and 60 to 89", got)
	}
	if p.keyframes < 2 {
		t.Errorf("%d keyframe requests, want one at each start at least", p.keyframes)
	}
	if kept > 1 { // the first packet off finds the decoder, which then goes
		t.Errorf("a decoder kept for %d packets read while the stream was not decoded", kept)
	}
}

// TestVideoReaderOfASilentSimulcastStream: a simulcast stream decoded that
// falls silent (the browser turned it off) lets its decoder go once
// another stream has its place, without waiting for a packet of its own
// that may never come.
func TestVideoReaderOfASilentSimulcastStream(t *testing.T) {
	p := newVideoInProbe(t, map[uint8]string{96: "video/VP8"})
	sender := &switchingSender{seq: rtp.NewRandomSequencer()}
	pkts := sender.packets(t, 96, &codecs.VP8Payloader{}, clipFrames(t, "p01.ivf", 10))
	var held atomic.Bool
	held.Store(true)
	place := &simulcastPlace{
		take: func(time.Time, []byte, string) bool { return true },
		held: func() bool { return held.Load() },
	}
	track := &fakeTrack{pkts: pkts, served: make(chan struct{}), pause: 3 * simulcastSilence}
	go func() {
		<-track.served
		held.Store(false) // another stream takes the place
	}()
	readVideoPackets(track, vp8, p.in, place, func(int, time.Time) {})
	if got := p.take()[image.Pt(640, 360)]; got != 10 {
		t.Errorf("%d pictures, want the 10 sent", got)
	}
	if p.in.dec != nil {
		t.Error("the silent stream kept its decoder after another took its place")
	}
}

// TestVideoReaderOfAnUndecodableSimulcastStream: a simulcast stream that
// gets the place but whose decoder cannot start (a codec mcu does not
// decode) asks for the place no more, so that another stream takes it
// once this one's turn lapses; it used to hold it at every packet.
func TestVideoReaderOfAnUndecodableSimulcastStream(t *testing.T) {
	p := newVideoInProbe(t, map[uint8]string{96: "video/H265"})
	sender := &switchingSender{seq: rtp.NewRandomSequencer()}
	pkts := sender.packets(t, 96, &codecs.VP8Payloader{}, clipFrames(t, "p01.ivf", 10))
	asked := 0
	place := &simulcastPlace{
		take: func(time.Time, []byte, string) bool { asked++; return true },
		held: func() bool { return true },
	}
	readVideoPackets(&fakeTrack{pkts: pkts}, func() string { return "video/H265" }, p.in, place, func(int, time.Time) {})
	if asked != 1 {
		t.Errorf("the place asked for at %d packets of %d, want only the first", asked, len(pkts))
	}
}

// TestVideoInH264ParameterSetsAlone: a sender that sends its SPS and PPS
// as a frame of their own (one NAL unit per packet, the marker on the
// PPS) before each keyframe has every picture decoded, and is asked for
// no keyframe.
func TestVideoInH264ParameterSetsAlone(t *testing.T) {
	frames := encodedFrames(t, filepath.Join(t.TempDir(), "x.h264"), "testsrc=s=160x90:r=30:d=0.4",
		"-pix_fmt", "yuv420p", "-c:v", "libx264", "-g", "6", "-bf", "0", "-x264-params", "repeat-headers=1")
	split := splitParamSets(frames)
	if alone := len(split) - len(frames); len(frames) != 12 || alone != 2 {
		t.Fatalf("%d frames, %d with parameter sets, from ffmpeg; want 12 and 2", len(frames), alone)
	}
	p := newVideoInProbe(t, map[uint8]string{102: "video/H264"})
	p.in.fmtp = func() string { return "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64000c" }
	p.in.start(102, "video/H264")
	sender := &switchingSender{seq: rtp.NewRandomSequencer()}
	p.push(sender.packets(t, 102, &codecs.H264Payloader{DisableStapA: true}, split)...)
	if got := p.take()[image.Pt(160, 90)]; got != 12 || p.keyframes != 0 {
		t.Errorf("%d pictures of 12 frames, %d keyframe requests; want 12 and none", got, p.keyframes)
	}
}

// TestVideoInKeepsLateParameterSets: frames dropped for having waited too
// long still give their parameter sets (alone, or with a keyframe) to the
// keyframe that decodes after them, which may come without its own.
func TestVideoInKeepsLateParameterSets(t *testing.T) {
	frames := encodedFrames(t, filepath.Join(t.TempDir(), "x.h264"), "testsrc=s=160x90:r=30:d=0.4",
		"-pix_fmt", "yuv420p", "-c:v", "libx264", "-g", "6", "-bf", "0", "-x264-params", "repeat-headers=1")
	split := splitParamSets(frames) // sets, IDR, 5 P, sets, IDR, 5 P
	if len(frames) != 12 || len(split) != 14 {
		t.Fatalf("%d frames, %d once their parameter sets are split off; want 12 and 14", len(frames), len(split))
	}
	for _, c := range []struct {
		name       string
		late, then [][]byte
	}{
		{"alone", split[:1], split[1:7]},           // the sets late, the IDR after them in time
		{"with a keyframe", frames[:6], split[8:]}, // the IDR with its sets late, the next IDR without them in time
	} {
		t.Run(c.name, func(t *testing.T) {
			p := newVideoInProbe(t, map[uint8]string{102: "video/H264"})
			p.in.fmtp = func() string { return "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64000c" } // no sets
			p.in.start(102, "video/H264")
			sender := &switchingSender{seq: rtp.NewRandomSequencer()}
			p.waited = 2 * maxDecodeLag
			p.push(sender.packets(t, 102, &codecs.H264Payloader{DisableStapA: true}, c.late)...)
			if got := p.take(); len(got) != 0 {
				t.Fatalf("late frames decoded: %v", got)
			}
			p.waited = 0
			p.push(sender.packets(t, 102, &codecs.H264Payloader{DisableStapA: true}, c.then)...)
			if got := p.take()[image.Pt(160, 90)]; got != 6 {
				t.Errorf("%d pictures of the 6 after the late frames, want all: their keyframe takes the late sets", got)
			}
		})
	}
}

// TestVideoInRefusesDeepReordering: an H.264 sender whose B-frames make
// the decoder hold back more than maxReorder pictures is not decoded, and
// not asked for keyframes (its decoder starts afresh, with the pictures it
// held), while one within it is, every picture shown; a keyframe within
// the bound after it is decoded again. x264's B-pyramid holds two, so the
// bound is lowered to one for the second case.
func TestVideoInRefusesDeepReordering(t *testing.T) {
	dir := t.TempDir()
	bframes := encodedFrames(t, filepath.Join(dir, "b.h264"), "testsrc=s=160x90:r=30:d=0.4",
		"-pix_fmt", "yuv420p", "-c:v", "libx264", "-g", "30", "-bf", "3")
	plain := encodedFrames(t, filepath.Join(dir, "p.h264"), "testsrc=s=160x90:r=30:d=0.2",
		"-pix_fmt", "yuv420p", "-c:v", "libx264", "-g", "30", "-bf", "0")
	defer func(old int) { maxReorder = old }(maxReorder)
	p := newVideoInProbe(t, map[uint8]string{102: "video/H264"})
	p.in.fmtp = func() string { return "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64000c" }
	sender := &switchingSender{seq: rtp.NewRandomSequencer()}
	send := func(frames [][]byte) int {
		p.push(sender.packets(t, 102, &codecs.H264Payloader{}, frames)...)
		return p.take()[image.Pt(160, 90)]
	}
	maxReorder = 2
	p.in.start(102, "video/H264")
	if got := send(bframes); got < len(bframes)-2 {
		t.Errorf("holding two back, within the bound: %d pictures of %d frames", got, len(bframes))
	}
	maxReorder = 1
	p.in.close()
	p.in.start(102, "video/H264")
	if got := send(bframes); got > 2 || p.keyframes != 0 {
		t.Errorf("holding two back, over the bound: %d pictures shown, %d keyframe requests; want 2 at most and none", got, p.keyframes)
	}
	if got := send(plain); got != len(plain) || p.keyframes != 0 {
		t.Errorf("holding none back after: %d pictures of %d, %d keyframe requests; want all and none", got, len(plain), p.keyframes)
	}
}

// TestVideoInBacksOffWhenFramesOutgrowTheAssembler: a keyframe of more
// packets than the frame assembler holds is never rebuilt; the frames
// after it, refused while a keyframe is awaited, ask for one only once in
// the backoff's first second, not each.
func TestVideoInBacksOffWhenFramesOutgrowTheAssembler(t *testing.T) {
	frames := outgrowingVP8(6)
	p := newVideoInProbe(t, map[uint8]string{96: "video/VP8"})
	p.in.start(96, "video/VP8")
	sender := &switchingSender{seq: rtp.NewRandomSequencer()}
	p.push(sender.packets(t, 96, &codecs.VP8Payloader{}, frames)...)
	if p.keyframes > 2 {
		t.Errorf("%d keyframe requests within a second of a keyframe too large to rebuild, want at most 2", p.keyframes)
	}
	if p.in.badKeys == 0 {
		t.Error("the frame too large to rebuild does not count against the sender's keyframes")
	}
}

// TestVideoInParameterSetsAloneBeyondTheProfile: a sender of parameter
// sets in frames of their own whose stream goes beyond the profile (4:4:4)
// and comes back has its pictures decoded again from the keyframe after
// the SPS that fits, and is asked for no keyframe.
func TestVideoInParameterSetsAloneBeyondTheProfile(t *testing.T) {
	dir := t.TempDir()
	enc := func(name, pixFmt string) [][]byte {
		return splitParamSets(encodedFrames(t, filepath.Join(dir, name), "testsrc=s=160x90:r=30:d=0.2",
			"-pix_fmt", pixFmt, "-c:v", "libx264", "-g", "6", "-bf", "0", "-x264-params", "repeat-headers=1"))
	}
	fit, beyond := enc("fit.h264", "yuv420p"), enc("beyond.h264", "yuv444p")
	p := newVideoInProbe(t, map[uint8]string{102: "video/H264"})
	p.in.fmtp = func() string { return "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64000c" }
	p.in.start(102, "video/H264")
	sender := &switchingSender{seq: rtp.NewRandomSequencer()}
	send := func(frames [][]byte) int {
		p.push(sender.packets(t, 102, &codecs.H264Payloader{DisableStapA: true}, frames)...)
		return p.take()[image.Pt(160, 90)]
	}
	if got := send(fit); got != 6 {
		t.Fatalf("4:2:0 at first: %d pictures of 6", got)
	}
	if got := send(beyond); got != 0 {
		t.Errorf("4:4:4: %d pictures decoded, want none", got)
	}
	if got := send(fit); got != 6 || p.keyframes != 0 {
		t.Errorf("4:2:0 again: %d pictures of 6, %d keyframe requests; want 6 and none", got, p.keyframes)
	}
}

// splitParamSets puts each access unit's SPS and PPS in a frame of their
// own before it, as a sender that writes one NAL unit at a time does.
func splitParamSets(frames [][]byte) [][]byte {
	var split [][]byte
	for _, f := range frames {
		var sets, rest []byte
		codec.ForEachNAL(f, func(nal []byte) bool {
			if k := nal[0] & 0x1f; k == 7 || k == 8 {
				sets = append(append(sets, 0, 0, 0, 1), nal...)
			} else {
				rest = append(append(rest, 0, 0, 0, 1), nal...)
			}
			return true
		})
		if sets != nil {
			split = append(split, sets)
		}
		split = append(split, rest)
	}
	return split
}

// TestVideoInIntraRefresh: a sender of gradual refresh (x264's intra
// refresh: one IDR picture, then recovery points) that loses a frame is
// decoded again from its next recovery point, where it used to wait for
// an IDR picture that never comes.
func TestVideoInIntraRefresh(t *testing.T) {
	frames := encodedFrames(t, filepath.Join(t.TempDir(), "ir.h264"), "testsrc=s=160x90:r=30:d=4",
		"-pix_fmt", "yuv420p", "-c:v", "libx264", "-bf", "0", "-g", "30", "-x264-params", "intra-refresh=1")
	idr := 0
	for _, f := range frames {
		if codec.IsKeyframe(codec.H264, f) {
			idr++
		}
	}
	if len(frames) != 120 || idr != 1 {
		t.Fatalf("%d frames, %d IDR pictures from ffmpeg; want 120 and 1", len(frames), idr)
	}
	p := newVideoInProbe(t, map[uint8]string{102: "video/H264"})
	p.in.fmtp = func() string { return "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64000c" }
	p.in.start(102, "video/H264")
	sender := &switchingSender{seq: rtp.NewRandomSequencer()}
	p.frozen = time.Now()
	const lost = 40
	before := sender.packets(t, 102, &codecs.H264Payloader{}, frames[:lost])
	sender.packets(t, 102, &codecs.H264Payloader{}, frames[lost:lost+1]) // lost on the way
	after := sender.packets(t, 102, &codecs.H264Payloader{}, frames[lost+1:])
	p.push(before...)
	if got := p.take()[image.Pt(160, 90)]; got != lost {
		t.Fatalf("%d pictures before the loss, want %d", got, lost)
	}
	p.push(after...)
	// The reader's timer gives the lost frame up at the assembler's
	// deadline, and the frames held behind it are decoded.
	if err := p.in.expire(p.frozen.Add(2 * assemblerPatience)); err != nil {
		t.Fatal(err)
	}
	// Decoded from the next recovery point on, its pictures shown once
	// whole, recovery_frame_cnt later: those between are not, with what
	// the loss broke in them.
	next := lost + 1
	for ; next < len(frames); next++ {
		if _, ok := codec.H264RecoveryPoint(frames[next]); ok {
			break
		}
	}
	cnt, _ := codec.H264RecoveryPoint(frames[next])
	if want := len(frames) - next - cnt; next == len(frames) || cnt == 0 || p.take()[image.Pt(160, 90)] != want {
		t.Errorf("after the loss: the recovery point at frame %d, whole %d frames later; want %d pictures", next, cnt, want)
	}
}

// outgrowingVP8 is a VP8 keyframe of more packets than the frame
// assembler holds, never rebuilt (it counts against the sender's
// keyframes, as one that does not decode), then n delta frames.
func outgrowingVP8(n int) [][]byte {
	huge := make([]byte, (assemblerSlots+100)*1200)
	copy(huge, []byte{0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01}) // a keyframe's tag and start code, 640x360
	frames := [][]byte{huge}
	for range n {
		frames = append(frames, []byte{0x31, 0x01, 0x00, 0x00, 0x00}) // a delta frame's tag
	}
	return frames
}

// TestVideoReaderOfASimulcastStreamUnfitBefore: a simulcast stream whose
// keyframe failed (too large to rebuild) is marked unfit, loses the
// place, and later takes it again (its next keyframes may well decode):
// it starts afresh, the backoff of its old keyframes forgotten, so it is
// not marked unfit again at its first packet, which would hand the place
// straight back to another stream.
func TestVideoReaderOfASimulcastStreamUnfitBefore(t *testing.T) {
	p := newVideoInProbe(t, map[uint8]string{96: "video/VP8"})
	sender := &switchingSender{seq: rtp.NewRandomSequencer()}
	pkts := sender.packets(t, 96, &codecs.VP8Payloader{}, outgrowingVP8(9))
	// Decoded up to the third delta frame's packet, then not for three,
	// then again from the seventh.
	off, on := len(pkts)-7, len(pkts)-3
	read := 0
	var unfitAt []int // the packets at which the stream was marked unfit
	place := &simulcastPlace{
		take: func(time.Time, []byte, string) bool {
			read++
			return read-1 < off || read-1 >= on
		},
		held:  func() bool { return true },
		unfit: func(time.Time) { unfitAt = append(unfitAt, read-1) },
	}
	readVideoPackets(&fakeTrack{pkts: pkts}, vp8, p.in, place, func(int, time.Time) {})
	if len(unfitAt) == 0 || unfitAt[0] >= off {
		t.Fatalf("marked unfit at packets %v, want before %d (the keyframe too large): the test shows nothing", unfitAt, off)
	}
	if i := slices.IndexFunc(unfitAt, func(at int) bool { return at >= on }); i >= 0 {
		t.Errorf("marked unfit at packets %v after it took the place again at %d: the old backoff was kept", unfitAt[i:], on)
	}
}

// TestVideoInCodecSwitchForgetsTheBackoff: a VP8 sender whose keyframe
// failed (too large to rebuild) has its keyframe requests backed off;
// when it switches to H.264 the new codec's keyframes may well decode, so
// the stream is not unfit from the switch on, and the keyframe the H.264
// decoder waits for (the sender's first frames are delta frames) is asked
// for at once, not after the VP8 backoff.
func TestVideoInCodecSwitchForgetsTheBackoff(t *testing.T) {
	const vp8PT, h264PT = 96, 102
	p := newVideoInProbe(t, map[uint8]string{vp8PT: "video/VP8", h264PT: "video/H264"})
	p.in.start(vp8PT, "video/VP8")
	sender := &switchingSender{seq: rtp.NewRandomSequencer()}
	p.push(sender.packets(t, vp8PT, &codecs.VP8Payloader{}, outgrowingVP8(3))...)
	if !p.in.unfit() || p.keyframes == 0 {
		t.Fatalf("after a VP8 keyframe too large: unfit %v, %d keyframe requests; want unfit, asked once: the test shows nothing", p.in.unfit(), p.keyframes)
	}
	keyframes := p.keyframes
	h264 := sender.packets(t, h264PT, &codecs.H264Payloader{}, clipFrames(t, "p01.h264", 4)[1:]) // its keyframe lost
	p.push(h264[0])
	if p.codecShown() != "H264" {
		t.Fatalf("at the switch the API shows %q, want H264", p.codecShown())
	}
	if p.in.unfit() {
		t.Error("unfit at the first H.264 packet: the VP8 keyframes' backoff was kept")
	}
	p.push(h264[1:]...)
	// One request at the switch, one at each delta frame refused.
	if got := p.keyframes - keyframes; got != 1+3 {
		t.Errorf("%d keyframe requests from the switch on, want 4 (the switch, 3 delta frames refused): the VP8 backoff held them", got)
	}
}

// TestVideoReaderTakesQueuedPacketsBeforeTheDeadline: frame 1 is lost and
// its retransmission comes in time, behind 30 more frames, but the
// decoding is held up (a slow decode, a busy server) from the packet that
// showed the loss until after the assembler's deadline for it. The packets
// queued meanwhile arrived before that deadline: they are handled first,
// the retransmission with them, so nothing is given up and no keyframe is
// asked for. Were the deadline let fire while packets wait, it would give
// the frame up (at random, as the select picks) with its retransmission
// already read.
func TestVideoReaderTakesQueuedPacketsBeforeTheDeadline(t *testing.T) {
	const n = 40 // frames, one packet each but the first
	// The decoding goroutine is held past the assembler's wait below:
	// beyond maxDecodeLag, the packets queued meanwhile would be dropped
	// as those of a decoder fallen behind, which this test is not about.
	saved := assemblerPatience
	t.Cleanup(func() { assemblerPatience = saved })
	assemblerPatience = maxDecodeLag / 2
	p, sender := vp8Reader(t)
	frames := clipFrames(t, "p10.ivf", n)
	var byFrame [][][]byte
	for _, f := range frames {
		byFrame = append(byFrame, sender.packets(t, 96, &codecs.VP8Payloader{}, [][]byte{f}))
	}
	if len(byFrame[1]) != 1 {
		t.Fatalf("frame 1 makes %d packets, want 1", len(byFrame[1]))
	}
	// Frame 0, frames 2 to 31, frame 1's retransmission, frames 32 on.
	pkts := slices.Concat(byFrame[0], slices.Concat(byFrame[2:32]...), byFrame[1], slices.Concat(byFrame[32:]...))
	if after := len(pkts) - len(byFrame[0]); after >= videoQueue {
		t.Fatalf("%d packets after the first frame, want fewer than the queue's %d", after, videoQueue)
	}
	track := &fakeTrack{pkts: pkts, served: make(chan struct{})}
	handled := 0
	readVideoPackets(track, vp8, p.in, nil, func(int, time.Time) {
		if handled++; handled != len(byFrame[0])+1 {
			return
		}
		// The packet that showed frame 1 missing, in the decoding
		// goroutine: hold it up until every packet was read (the
		// retransmission is queued) and the deadline has passed.
		at := p.in.deadline()
		if at.IsZero() {
			t.Error("no deadline after a packet showed frame 1 missing: the test shows nothing")
		}
		<-track.served
		time.Sleep(time.Until(at) + 20*time.Millisecond)
	})
	if got := p.take()[image.Pt(322, 180)]; got != n || p.keyframes != 0 {
		t.Errorf("%d pictures, %d keyframe requests; want all %d, none (the queued retransmission was given up)", got, p.keyframes, n)
	}
}

// timedPackets packetizes frames with payload type pt, numbered by seq,
// as a stream whose RTP time is ts at the first frame, 30 frames a second
// (the tests choose the time, where switchingSender's is random).
func timedPackets(t *testing.T, seq rtp.Sequencer, pt uint8, payloader rtp.Payloader, frames [][]byte, ts uint32) [][]byte {
	t.Helper()
	return packetize(t, seq, pt, payloader, frames, func(i int) uint32 { return ts + uint32(i)*3000 })
}

// TestVideoInSwitchesCodecNumberedLower: a sender that switches from VP8
// to H.264 and restarts its numbering a little lower (within the
// assembler's reach of the newest VP8 packet), its time going on, is
// followed after maxLate packets, as the frame assembler follows a
// restart: the H.264 keyframe asked for at the switch decodes. Its
// packets, all older than the newest VP8 one, used to be dropped as late
// VP8 ones until their numbers caught up (up to 1,023 packets). Late VP8
// packets after a switch, retransmissions of the stream's last seconds,
// never switch it back, however many come.
func TestVideoInSwitchesCodecNumberedLower(t *testing.T) {
	const vp8PT, h264PT = 96, 102
	vp8Size, h264Size := image.Pt(322, 180), image.Pt(640, 360)
	vp8Frames, h264Frames := clipFrames(t, "p10.ivf", 70), clipFrames(t, "p01.h264", 70)
	newest := func(pkts [][]byte) uint16 { last := pkts[len(pkts)-1]; return uint16(last[2])<<8 | uint16(last[3]) }
	start := func() (*videoInProbe, [][]byte) {
		p := newVideoInProbe(t, map[uint8]string{vp8PT: "video/VP8", h264PT: "video/H264"})
		p.in.start(vp8PT, "video/VP8")
		vp8Pkts := timedPackets(t, rtp.NewFixedSequencer(20000), vp8PT, &codecs.VP8Payloader{}, vp8Frames, 1000)
		p.push(vp8Pkts...)
		if got := p.take(); got[vp8Size] != len(vp8Frames) {
			t.Fatalf("VP8: decoded %v, want %d pictures of %v", got, len(vp8Frames), vp8Size)
		}
		return p, vp8Pkts
	}
	h264From := uint32(1000 + 3000*len(vp8Frames)) // the RTP time goes on

	t.Run("numbering restarted lower", func(t *testing.T) {
		p, vp8Pkts := start()
		seq := rtp.NewFixedSequencer(newest(vp8Pkts) - 500)
		h264Pkts := timedPackets(t, seq, h264PT, &codecs.H264Payloader{}, h264Frames, h264From)
		// The keyframe asked for at the switch: the clip again.
		again := timedPackets(t, seq, h264PT, &codecs.H264Payloader{}, h264Frames[:30], h264From+uint32(3000*len(h264Frames)))
		if n := len(h264Pkts) + len(again); len(h264Pkts) <= maxLate || n >= 500 {
			t.Fatalf("%d H.264 packets, %d in the first part; want more than maxLate (%d) in it, and fewer than 500 in all", n, len(h264Pkts), maxLate)
		}
		keyframes := p.keyframes
		p.push(h264Pkts...)
		if p.codecShown() != "H264" || p.keyframes == keyframes {
			t.Fatalf("H.264 numbered 500 lower: API shows %q, %d keyframe requests; want H264, a keyframe asked for (the switch followed)", p.codecShown(), p.keyframes-keyframes)
		}
		p.push(again...)
		if got := p.take(); got[h264Size] < 30 || len(got) != 1 {
			t.Errorf("H.264 numbered 500 lower: decoded %v, want 30 pictures of %v or more", got, h264Size)
		}
		// Back to VP8, numbered on from H.264 (still below the old VP8
		// numbers) and its time going on: the H.264 numbering is the
		// stream's now, so the first packet switches.
		p.later(codecSwitchGap)
		back := timedPackets(t, seq, vp8PT, &codecs.VP8Payloader{}, vp8Frames[:1], h264From+uint32(3000*(len(h264Frames)+30)))
		p.push(back[0])
		if p.codecShown() != "VP8" {
			t.Errorf("back to VP8 numbered on from H.264: API shows %q at its first packet, want VP8", p.codecShown())
		}
	})

	t.Run("late packets of the codec before", func(t *testing.T) {
		p, vp8Pkts := start()
		seq := rtp.NewFixedSequencer(newest(vp8Pkts))
		p.push(timedPackets(t, seq, h264PT, &codecs.H264Payloader{}, h264Frames[:30], h264From)...)
		if got := p.take(); p.codecShown() != "H264" || got[h264Size] != 30 {
			t.Fatalf("H.264 numbered on: API shows %q, decoded %v; want H264, 30 pictures of %v", p.codecShown(), got, h264Size)
		}
		// Every VP8 packet again, retransmitted (once the codec may
		// change again): more than maxLate in a row.
		if len(vp8Pkts) <= maxLate {
			t.Fatalf("%d VP8 packets, want more than maxLate (%d)", len(vp8Pkts), maxLate)
		}
		p.later(codecSwitchGap)
		asked := p.asked
		p.push(vp8Pkts...)
		if p.codecShown() != "H264" || p.asked != asked {
			t.Errorf("%d late VP8 packets: API shows %q, codec asked %d times; want H264, none", len(vp8Pkts), p.codecShown(), p.asked-asked)
		}
		p.push(timedPackets(t, seq, h264PT, &codecs.H264Payloader{}, h264Frames[30:40], h264From+30*3000)...)
		if got := p.take(); got[h264Size] != 10 || len(got) != 1 {
			t.Errorf("H.264 after the late VP8 packets: decoded %v, want 10 pictures of %v", got, h264Size)
		}
	})
}
