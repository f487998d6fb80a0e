package room

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"mcu/codec"
)

// fakeBinding is one receiver of a track, as a PeerConnection binds it:
// it records the headers of the packets written to it.
type fakeBinding struct {
	id      string
	ssrc    webrtc.SSRC
	headers []rtp.Header
	codecs  []webrtc.RTPCodecParameters // what its peer took; videoCodecs if nil
	mute    bool                        // writes (0, nil), as pion before its SRTP is up
}

func (b *fakeBinding) CodecParameters() []webrtc.RTPCodecParameters {
	if b.codecs != nil {
		return b.codecs
	}
	return videoCodecs
}
func (b *fakeBinding) HeaderExtensions() []webrtc.RTPHeaderExtensionParameter {
	return nil
}
func (b *fakeBinding) SSRC() webrtc.SSRC                       { return b.ssrc }
func (b *fakeBinding) SSRCRetransmission() webrtc.SSRC         { return 0 }
func (b *fakeBinding) SSRCForwardErrorCorrection() webrtc.SSRC { return 0 }
func (b *fakeBinding) WriteStream() webrtc.TrackLocalWriter    { return b }
func (b *fakeBinding) ID() string                              { return b.id }
func (b *fakeBinding) RTCPReader() interceptor.RTCPReader      { return nil }
func (b *fakeBinding) Write(p []byte) (int, error)             { return len(p), nil }
func (b *fakeBinding) WriteRTP(h *rtp.Header, p []byte) (int, error) {
	b.headers = append(b.headers, *h)
	if b.mute {
		return 0, nil
	}
	return len(p), nil
}

// TestVideoTimestampsFollowRoomClock: each picture's RTP timestamp is its
// PTS on the room clock, also after a skipped tick (the old sample track
// stamped the picture after the gap one frame early and put the gap after
// it); sequence numbers run on without a gap, so no receiver NACKs.
func TestVideoTimestampsFollowRoomClock(t *testing.T) {
	video, err := newVideoTrack("video", "mcu-x")
	if err != nil {
		t.Fatal(err)
	}
	r := &Room{log: slog.New(slog.DiscardHandler), obs: nopObserver{}, vp8: composite{track: video}, sessions: map[string]*Session{}}
	b := &fakeBinding{id: "a", ssrc: 1234}
	if _, err := r.vp8.track.Bind(b); err != nil {
		t.Fatal(err)
	}

	const frame = time.Second / 30
	ticks := []int64{0, 1, 2, 4, 5} // tick 3 skipped: the mixer was late
	want := []uint32{0, 3000, 6000, 12000, 15000}
	const perFrame = 2 // packets: a picture over one MTU
	for _, k := range ticks {
		pts := time.Duration(k * int64(time.Second) / 30) // as mixer's videoTick: 33.333333 ms, ...
		f := codec.EncodedFrame{Data: make([]byte, mtu+100), PTS: pts, Duration: frame}
		if err := r.Video(f); err != nil {
			t.Fatal(err)
		}
	}

	if len(b.headers) != perFrame*len(ticks) {
		t.Fatalf("got %d packets, want %d", len(b.headers), perFrame*len(ticks))
	}
	base, seq0 := b.headers[0].Timestamp, b.headers[0].SequenceNumber
	for i, h := range b.headers {
		k := i / perFrame
		if got := h.Timestamp - base; got != want[k] {
			t.Errorf("packet %d (tick %d): timestamp base+%d, want base+%d", i, ticks[k], got, want[k])
		}
		if got := h.SequenceNumber - seq0; got != uint16(i) {
			t.Errorf("packet %d: sequence number first+%d, want first+%d", i, got, i)
		}
		if last := i%perFrame == perFrame-1; h.Marker != last {
			t.Errorf("packet %d: marker %v, want %v", i, h.Marker, last)
		}
		if h.SSRC != 1234 || h.PayloadType != 96 {
			t.Errorf("packet %d: SSRC %d payload type %d, want the binding's 1234 and 96", i, h.SSRC, h.PayloadType)
		}
	}
}

// TestVideoTrackBindings: every receiver of the shared composite gets the
// same packets under its own SSRC and sequence numbers of its own, which
// start below 2^15 even when the track's are about to wrap; one that binds
// later joins the same timeline.
func TestVideoTrackBindings(t *testing.T) {
	video, err := newVideoTrack("video", "mcu-x")
	if err != nil {
		t.Fatal(err)
	}
	a, b := &fakeBinding{id: "a", ssrc: 1}, &fakeBinding{id: "b", ssrc: 2}
	if _, err := video.Bind(a); err != nil {
		t.Fatal(err)
	}
	write := func(k int64) {
		t.Helper()
		if err := video.WriteFrame(codec.EncodedFrame{Data: []byte{0x10, 0, 0}, PTS: time.Duration(k * int64(time.Second) / 30)}); err != nil {
			t.Fatal(err)
		}
	}
	write(0)
	video.seq.Store(65530) // a receiver joins just before the numbers wrap
	if _, err := video.Bind(b); err != nil {
		t.Fatal(err)
	}
	write(7)
	if len(a.headers) != 2 || len(b.headers) != 1 {
		t.Fatalf("got %d and %d packets, want 2 and 1", len(a.headers), len(b.headers))
	}
	ha, hb := a.headers[1], b.headers[0]
	if ha.Timestamp-a.headers[0].Timestamp != 7*3000 {
		t.Errorf("timestamp base+%d, want base+%d", ha.Timestamp-a.headers[0].Timestamp, 7*3000)
	}
	if ha.Timestamp != hb.Timestamp || ha.SSRC != 1 || hb.SSRC != 2 {
		t.Errorf("receivers got %+v and %+v: want the same packet under SSRC 1 and 2", ha, hb)
	}
	if hb.SequenceNumber >= 1<<15 {
		t.Errorf("b's first sequence number %d, want one below 2^15", hb.SequenceNumber)
	}
	if err := video.Unbind(a); err != nil {
		t.Fatal(err)
	}
	write(8)
	if len(a.headers) != 2 || len(b.headers) != 2 {
		t.Fatalf("after a's unbind got %d and %d packets, want 2 and 2", len(a.headers), len(b.headers))
	}
	if got := b.headers[1].SequenceNumber - b.headers[0].SequenceNumber; got != 1 {
		t.Errorf("b's sequence numbers moved by %d, want 1", got)
	}
}

func TestRTPTime(t *testing.T) {
	cases := []struct {
		name string
		d    time.Duration
		rate uint32
		want uint32
	}{
		{"zero", 0, 90000, 0},
		{"frame 1 at 30 fps, truncated PTS", time.Second / 30, 90000, 3000},
		{"frame 2 at 30 fps", 2 * time.Second / 30, 90000, 6000},
		{"frame 29 at 30 fps", 29 * time.Second / 30, 90000, 87000},
		{"audio tick", 20 * time.Millisecond, 48000, 960},
		// 30 h × 90000 overflows nothing and wraps as RTP time: 9720000000 mod 2^32.
		{"30 hours, wrapped", 30 * time.Hour, 90000, uint32(9720000000 % (1 << 32))},
		{"30 hours and a frame", 30*time.Hour + time.Second/30, 90000, uint32((9720000000 + 3000) % (1 << 32))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := rtpTime(c.d, c.rate); got != c.want {
				t.Errorf("rtpTime(%v, %d) = %d, want %d", c.d, c.rate, got, c.want)
			}
		})
	}
}

// TestFullMixBindings: every viewer of the full mix gets its packets under
// its own SSRC and sequence numbers of its own, which start below 2^15 even
// when the track's are about to wrap (the old sample track gave a late
// viewer the shared numbering, wherever it was), stamped from the room
// clock, with no marker.
func TestFullMixBindings(t *testing.T) {
	audio, err := newAudioTrack("audio", "mcu-x")
	if err != nil {
		t.Fatal(err)
	}
	r := &Room{log: slog.New(slog.DiscardHandler), obs: nopObserver{}, audio: audio, sessions: map[string]*Session{}}
	opus := []webrtc.RTPCodecParameters{audioCodec}
	a, b := &fakeBinding{id: "a", ssrc: 1, codecs: opus}, &fakeBinding{id: "b", ssrc: 2, codecs: opus}
	if _, err := audio.Bind(a); err != nil {
		t.Fatal(err)
	}
	write := func(k int) {
		t.Helper()
		f := codec.EncodedFrame{Data: []byte{0xfc, 1, 2}, PTS: time.Duration(k) * 20 * time.Millisecond, Duration: 20 * time.Millisecond}
		if err := r.Audio(f); err != nil {
			t.Fatal(err)
		}
	}
	write(0)
	audio.seq.Store(65530) // a viewer joins just before the numbers wrap
	if _, err := audio.Bind(b); err != nil {
		t.Fatal(err)
	}
	write(1)
	if len(a.headers) != 2 || len(b.headers) != 1 {
		t.Fatalf("got %d and %d packets, want 2 and 1", len(a.headers), len(b.headers))
	}
	ha, hb := a.headers[1], b.headers[0]
	if ha.Timestamp-a.headers[0].Timestamp != 960 || ha.Timestamp != hb.Timestamp {
		t.Errorf("timestamps base+%d and %d against %d, want base+960 for both", ha.Timestamp-a.headers[0].Timestamp, hb.Timestamp, ha.Timestamp)
	}
	if hb.SequenceNumber >= 1<<15 || hb.SSRC != 2 || webrtc.PayloadType(hb.PayloadType) != audioCodec.PayloadType || hb.Marker {
		t.Errorf("b's first packet %+v: want a sequence number below 2^15, SSRC 2, payload type %d, no marker", hb, audioCodec.PayloadType)
	}
}

// TestMixMinusCountsWhatIsSent: a participant's mix-minus counts the bytes
// pion sends: none while the track is not bound (the peer's offer took no
// sound from the server), none while pion writes nothing (its SRTP not
// up), and each packet's payload once it sends; no packet is marked.
func TestMixMinusCountsWhatIsSent(t *testing.T) {
	obs := &bytesObserver{}
	track, err := newMixMinusTrack("x", obs.BytesOut)
	if err != nil {
		t.Fatal(err)
	}
	s := &Session{ID: "a", audioOut: track}
	s.connected.Store(true)
	r := &Room{log: slog.New(slog.DiscardHandler), obs: obs, sessions: map[string]*Session{"a": s}}
	frame := codec.EncodedFrame{Data: []byte{0xfc, 1, 2, 3}, Duration: 20 * time.Millisecond}
	for range 3 {
		if err := r.MixMinus("a", frame); err != nil {
			t.Fatal(err)
		}
	}
	if obs.out.Load() != 0 {
		t.Errorf("%d bytes counted for a track never bound", obs.out.Load())
	}
	b := &fakeBinding{id: "a", ssrc: 1, codecs: []webrtc.RTPCodecParameters{audioCodec}, mute: true}
	if _, err := track.Bind(b); err != nil {
		t.Fatal(err)
	}
	if err := r.MixMinus("a", frame); err != nil {
		t.Fatal(err)
	}
	if obs.out.Load() != 0 || len(b.headers) != 1 {
		t.Errorf("%d bytes counted for %d packet pion did not send", obs.out.Load(), len(b.headers))
	}
	b.mute = false
	for range 2 {
		if err := r.MixMinus("a", frame); err != nil {
			t.Fatal(err)
		}
	}
	if obs.out.Load() != int64(2*len(frame.Data)) || len(b.headers) != 3 {
		t.Errorf("%d bytes counted for 2 packets of %d bytes sent", obs.out.Load(), len(frame.Data))
	}
	// No packet marks a talkspurt's start (RFC 7587: after DTX, which the
	// server does not use); pion's sample track sets it on every one.
	for i, h := range b.headers {
		if h.Marker {
			t.Errorf("mix-minus packet %d has the marker bit", i)
		}
	}
}

// TestLastKeyframeIsMonotonic: when the last keyframe went out is read on
// the monotonic clock (a wall-clock reading would, after the clock stepped
// back, lie in the future and make every keyframe request look answered);
// zero before the first keyframe, and a picture that is not a keyframe
// leaves it.
func TestLastKeyframeIsMonotonic(t *testing.T) {
	video, err := newVideoTrack("video", "mcu-x")
	if err != nil {
		t.Fatal(err)
	}
	r := &Room{log: slog.New(slog.DiscardHandler), obs: nopObserver{}, vp8: composite{track: video}, sessions: map[string]*Session{}, created: time.Now()}
	if k := r.lastKeyframe(codec.VP8); !k.IsZero() {
		t.Fatalf("last keyframe %v before any", k)
	}
	before := time.Now()
	if err := r.Video(codec.EncodedFrame{Data: []byte{1}, Key: true}); err != nil {
		t.Fatal(err)
	}
	after := time.Now()
	r.Video(codec.EncodedFrame{Data: []byte{2}})
	k := r.lastKeyframe(codec.VP8)
	if k.Before(before) || k.After(after) {
		t.Errorf("last keyframe %v, want between %v and %v", k, before, after)
	}
	// A Time with a monotonic reading prints it ("m=+0.001"); Round(0)
	// strips it, and a time made from Unix nanoseconds has none.
	if !strings.Contains(k.String(), " m=") {
		t.Errorf("last keyframe %v has no monotonic reading", k)
	}
}

// TestLateReceiverNumbersStartLow: a receiver that binds whatever the
// track's shared sequence number is gets a first packet numbered below
// 2^15, so its SRTP guesses its rollover counter right (at a shared number
// of 32767, a first number that ignored it would be 2^15 and more).
func TestLateReceiverNumbersStartLow(t *testing.T) {
	for _, shared := range []uint32{0, 1000, 32767, 40000, 65000, 65535} {
		video, err := newVideoTrack("video", "mcu-x")
		if err != nil {
			t.Fatal(err)
		}
		video.seq.Store(shared)
		b := &fakeBinding{id: "b", ssrc: 2}
		if _, err := video.Bind(b); err != nil {
			t.Fatal(err)
		}
		for k := range int64(2) {
			if err := video.WriteFrame(codec.EncodedFrame{Data: []byte{0x10, 0, 0}, PTS: time.Duration(k * int64(time.Second) / 30)}); err != nil {
				t.Fatal(err)
			}
		}
		if len(b.headers) != 2 {
			t.Fatalf("shared number %d: got %d packets, want 2", shared, len(b.headers))
		}
		if first := b.headers[0].SequenceNumber; first >= 1<<15 || b.headers[1].SequenceNumber != first+1 {
			t.Errorf("shared number %d: the receiver's numbers are %d, %d; want the first below 2^15 and the next after it",
				shared, first, b.headers[1].SequenceNumber)
		}
	}
}

// bigWrites is a binding whose writes report the header's bytes besides
// the payload's, as pion's do.
type bigWrites struct{ fakeBinding }

func (b *bigWrites) WriteStream() webrtc.TrackLocalWriter { return b }
func (b *bigWrites) WriteRTP(h *rtp.Header, p []byte) (int, error) {
	n, err := b.fakeBinding.WriteRTP(h, p)
	return n + 12, err
}

// TestClockTrackCountsPayloadBytes: what a receiver is sent is counted in
// payload bytes, not in the bytes the writer reports (headers included).
func TestClockTrackCountsPayloadBytes(t *testing.T) {
	audio, err := newAudioTrack("audio", "mcu-x")
	if err != nil {
		t.Fatal(err)
	}
	var counted int
	audio.sent = func(n int) { counted += n }
	b := &bigWrites{fakeBinding{id: "a", ssrc: 1, codecs: []webrtc.RTPCodecParameters{audioCodec}}}
	if _, err := audio.Bind(b); err != nil {
		t.Fatal(err)
	}
	for k := range 4 {
		f := codec.EncodedFrame{Data: []byte{0xfc, 1, 2}, PTS: time.Duration(k) * 20 * time.Millisecond, Duration: 20 * time.Millisecond}
		if err := audio.WriteFrame(f); err != nil {
			t.Fatal(err)
		}
	}
	if len(b.headers) != 4 || counted != 12 {
		t.Errorf("%d bytes counted for %d packets, want 12: 4 payloads of 3 bytes", counted, len(b.headers))
	}
}

// TestClockTrackTimestampsStartAtRandom: a track stamps PTS 0 with its
// random base, not 0, so tracks do not share one timeline's numbers. With
// 8 tracks of uniform 32-bit bases, all 8 are equal with probability
// 2^-224: the test does not flake.
func TestClockTrackTimestampsStartAtRandom(t *testing.T) {
	firsts := map[uint32]bool{}
	for range 8 {
		video, err := newVideoTrack("video", "mcu-x")
		if err != nil {
			t.Fatal(err)
		}
		b := &fakeBinding{id: "a", ssrc: 1}
		if _, err := video.Bind(b); err != nil {
			t.Fatal(err)
		}
		if err := video.WriteFrame(codec.EncodedFrame{Data: []byte{0x10, 0, 0}}); err != nil {
			t.Fatal(err)
		}
		if len(b.headers) != 1 || b.headers[0].Timestamp != video.base {
			t.Fatalf("PTS 0 sent as %+v, want one packet stamped with the track's base %d", b.headers, video.base)
		}
		firsts[b.headers[0].Timestamp] = true
	}
	if len(firsts) < 2 {
		t.Errorf("8 tracks stamped PTS 0 as %v: want random bases", firsts)
	}
}
