package room

import (
	"errors"
	"io"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// TestReadRTCPSkipsMalformedPackets feeds readRTCP what pion's readers
// return: a packet that does not parse (an error), then a keyframe
// request, then the end of the connection. The request after the bad
// packet must still be handled, and the loop must end at the close.
func TestReadRTCPSkipsMalformedPackets(t *testing.T) {
	for _, end := range []error{io.EOF, io.ErrClosedPipe} {
		steps := []func() ([]rtcp.Packet, interceptor.Attributes, error){
			func() ([]rtcp.Packet, interceptor.Attributes, error) {
				_, err := rtcp.Unmarshal([]byte{0x80, 0xc8, 0x00}) // a truncated header
				if err == nil {
					t.Fatal("the truncated packet parsed")
				}
				return nil, nil, err
			},
			func() ([]rtcp.Packet, interceptor.Attributes, error) {
				return []rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: 7}}, nil, nil
			},
			func() ([]rtcp.Packet, interceptor.Attributes, error) { return nil, nil, end },
		}
		calls, plis := 0, 0
		read := func() ([]rtcp.Packet, interceptor.Attributes, error) {
			if calls == len(steps) {
				t.Fatalf("read again after %v", end)
			}
			calls++
			return steps[calls-1]()
		}
		readRTCP(read, func(pkts []rtcp.Packet) {
			for _, p := range pkts {
				if _, ok := p.(*rtcp.PictureLossIndication); ok {
					plis++
				}
			}
		})
		if plis != 1 || calls != len(steps) {
			t.Errorf("end %v: %d keyframe requests handled in %d reads, want 1 in %d", end, plis, calls, len(steps))
		}
	}
}

// TestKeyframeRequestsPerReceiver: a receiver asking for a keyframe every
// 100 ms for 5 s gets one every receiverKeyframeInterval, the first at
// once; every request is counted; other RTCP asks for nothing. A request
// within the interval is not forgotten: the receiver's next RTCP after it
// makes it.
func TestKeyframeRequestsPerReceiver(t *testing.T) {
	obs := &countingObserver{}
	s := &Session{ID: "viewer", room: &Room{obs: obs}}
	clock := time.Unix(1000, 0)
	var asked []time.Duration
	never := func() time.Time { return time.Time{} } // no keyframe goes out
	handle := s.keyframeRequests(func() time.Time { return clock }, func() {
		asked = append(asked, clock.Sub(time.Unix(1000, 0)))
	}, never)
	for i := range 50 {
		var p rtcp.Packet = &rtcp.PictureLossIndication{MediaSSRC: 1}
		if i%2 == 1 {
			p = &rtcp.FullIntraRequest{MediaSSRC: 1}
		}
		handle([]rtcp.Packet{&rtcp.ReceiverReport{}, p})
		clock = clock.Add(100 * time.Millisecond)
	}
	want := []time.Duration{0, 2 * time.Second, 4 * time.Second}
	if !slices.Equal(asked, want) {
		t.Errorf("keyframes asked at %v, want %v", asked, want)
	}
	if obs.plis != 50 {
		t.Errorf("%d requests counted, want 50", obs.plis)
	}
	// A new receiver asks at 0 and 0.7 s and reports every 700 ms: the
	// second request is held and made with the first report from 2 s
	// (2.1 s), and once.
	clock = time.Unix(1000, 0)
	asked = nil
	handle = s.keyframeRequests(func() time.Time { return clock }, func() {
		asked = append(asked, clock.Sub(time.Unix(1000, 0)))
	}, never)
	for i := range 6 {
		pkts := []rtcp.Packet{&rtcp.ReceiverReport{}}
		if i < 2 {
			pkts = append(pkts, &rtcp.PictureLossIndication{MediaSSRC: 1})
		}
		handle(pkts)
		clock = clock.Add(700 * time.Millisecond)
	}
	if want := []time.Duration{0, 2100 * time.Millisecond}; !slices.Equal(asked, want) {
		t.Errorf("a request within the interval: keyframes asked at %v, want %v", asked, want)
	}

	// A browser asks at 0 and again every 200 ms until a keyframe arrives:
	// the keyframe goes out at 0.3 s and arrives after a 150 ms round trip,
	// so it asked at 0.2 and 0.4 s too. Those were answered by it, and make
	// no second keyframe. A loss at 1.5 s (asked about once) still gets one
	// at 2 s, the interval after the first (the receiver's RTCP comes every
	// 100 ms here).
	for _, loss := range []bool{false, true} {
		clock = time.Unix(1000, 0)
		asked = nil
		var sent time.Time
		handle = s.keyframeRequests(func() time.Time { return clock }, func() {
			asked = append(asked, clock.Sub(time.Unix(1000, 0)))
		}, func() time.Time { return sent })
		for ms := 0; ms <= 4000; ms += 100 {
			if ms == 300 {
				sent = clock
			}
			pkts := []rtcp.Packet{&rtcp.ReceiverReport{}}
			if ms <= 400 && ms%200 == 0 || loss && ms == 1500 {
				pkts = append(pkts, &rtcp.PictureLossIndication{MediaSSRC: 1})
			}
			handle(pkts)
			clock = clock.Add(100 * time.Millisecond)
		}
		want := []time.Duration{0}
		if loss {
			want = append(want, 2*time.Second)
		}
		if !slices.Equal(asked, want) {
			t.Errorf("requests answered by a keyframe (a loss after: %v): keyframes asked at %v, want %v", loss, asked, want)
		}
	}

	// A client that asks once per loss: its request at 0 was answered at
	// 0.3 s. At 10 s a keyframe goes out for someone else, and 100 ms later
	// this client asks again: that is a new loss, asked for at once.
	clock = time.Unix(1000, 0)
	asked = nil
	sent := clock.Add(300 * time.Millisecond)
	handle = s.keyframeRequests(func() time.Time { return clock }, func() {
		asked = append(asked, clock.Sub(time.Unix(1000, 0)))
	}, func() time.Time { return sent })
	handle([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: 1}})
	clock = clock.Add(10 * time.Second)
	sent = clock
	clock = clock.Add(100 * time.Millisecond)
	handle([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: 1}})
	if want := []time.Duration{0, 10100 * time.Millisecond}; !slices.Equal(asked, want) {
		t.Errorf("a request just after someone else's keyframe: keyframes asked at %v, want %v", asked, want)
	}

	// Asked at 0 (its keyframe out at 0.05 s), again at 0.8 s and every
	// 200 ms until a keyframe arrives: held. At 1.05 s a keyframe goes out
	// for someone else, after the first held request: that answers it,
	// also with the repeat at 1.2 s sent before it arrived, and its reports
	// from 2 s on make no keyframe. A new loss at 2.5 s is asked for.
	clock = time.Unix(1000, 0)
	asked = nil
	sent = time.Time{}
	handle = s.keyframeRequests(func() time.Time { return clock }, func() {
		asked = append(asked, clock.Sub(time.Unix(1000, 0)))
	}, func() time.Time { return sent })
	for ms := 0; ms <= 4000; ms += 50 {
		switch ms {
		case 50, 1050:
			sent = clock
		}
		pkts := []rtcp.Packet{&rtcp.ReceiverReport{}}
		if ms == 0 || ms == 800 || ms == 1000 || ms == 1200 || ms == 2500 {
			pkts = append(pkts, &rtcp.PictureLossIndication{MediaSSRC: 1})
		}
		handle(pkts)
		clock = clock.Add(50 * time.Millisecond)
	}
	if want := []time.Duration{0, 2500 * time.Millisecond}; !slices.Equal(asked, want) {
		t.Errorf("a held request a later keyframe answered: keyframes asked at %v, want %v", asked, want)
	}
}

// countingObserver counts the keyframe requests received (from one
// goroutine), the audio input events, the late ticks and the frames
// dropped (from any).
type countingObserver struct {
	nopObserver
	plis          int
	audio         [3]atomic.Int64 // by AudioEvent
	late, dropped atomic.Int64
}

func (o *countingObserver) PLIReceived()             { o.plis++ }
func (o *countingObserver) LateTicks(n int)          { o.late.Add(int64(n)) }
func (o *countingObserver) Dropped(bool)             { o.dropped.Add(1) }
func (o *countingObserver) AudioInput(ev AudioEvent) { o.audio[ev].Add(1) }

// timeoutError is a read deadline's error, as pion's.
type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// scriptedReader returns its results in turn, then io.EOF.
type scriptedReader struct {
	results []error // nil: a packet
	calls   int
}

func (r *scriptedReader) Read(b []byte) (int, interceptor.Attributes, error) {
	r.calls++
	if len(r.results) == 0 {
		return 0, nil, io.EOF
	}
	err := r.results[0]
	r.results = r.results[1:]
	if err != nil {
		return 0, nil, err
	}
	return copy(b, "packet"), nil, nil
}

// TestReadPacketSkipsRefusedPackets: packets refused on the way (a payload
// type never negotiated, a header an interceptor cannot parse) are
// skipped; the end of the track, a read deadline, and a
// track that refuses packet after packet end the read.
func TestReadPacketSkipsRefusedPackets(t *testing.T) {
	buf := make([]byte, maxPacket)
	r := &scriptedReader{results: []error{webrtc.ErrCodecNotFound, errors.New("rtp: header size insufficient"), nil}}
	if n, err := readPacket(r, buf); err != nil || string(buf[:n]) != "packet" {
		t.Errorf("after two refused packets: %q, %v; want the packet", buf[:n], err)
	}
	if _, err := readPacket(r, buf); !errors.Is(err, io.EOF) {
		t.Errorf("at the end: %v, want io.EOF", err)
	}
	if _, err := readPacket(&scriptedReader{results: []error{timeoutError{}}}, buf); err == nil {
		t.Error("a read deadline did not end the read")
	}
	bad := make([]error, 2*maxBadPackets)
	for i := range bad {
		bad[i] = errors.New("refused")
	}
	stray := make([]error, 2*maxBadPackets)
	for i := range stray {
		stray[i] = webrtc.ErrCodecNotFound
	}
	r = &scriptedReader{results: append(stray, nil)}
	if _, err := readPacket(r, buf); err != nil {
		t.Errorf("after %d packets of a stray payload type: %v, want the packet after them", len(stray), err)
	}
	r = &scriptedReader{results: bad}
	if _, err := readPacket(r, buf); err == nil || r.calls != maxBadPackets+1 {
		t.Errorf("a track refusing every packet: %v after %d reads, want an error after %d", err, r.calls, maxBadPackets+1)
	}
}

// TestKeyframeRequestsAtTheFloor: a receiver whose estimate sits at the
// floor (its link cannot take even the least the mix sends) causes a
// keyframe at most every floorKeyframeInterval: each one lowers everyone's
// picture, and it rarely gets one whole. Off the floor, every
// receiverKeyframeInterval again.
func TestKeyframeRequestsAtTheFloor(t *testing.T) {
	r := &Room{obs: &countingObserver{}, downlink: newDownlink(300_000, 1_500_000, func(int) error { return nil })}
	s := &Session{ID: "capped", room: r}
	s.downlink.Store(300_000)
	clock := time.Unix(1000, 0)
	var asked []time.Duration
	never := func() time.Time { return time.Time{} }
	handle := s.keyframeRequests(func() time.Time { return clock }, func() {
		asked = append(asked, clock.Sub(time.Unix(1000, 0)))
	}, never)
	ask := func(d time.Duration) {
		for end := clock.Add(d); clock.Before(end); clock = clock.Add(200 * time.Millisecond) {
			handle([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: 1}})
		}
	}
	ask(12 * time.Second)
	if want := []time.Duration{0, 5 * time.Second, 10 * time.Second}; !slices.Equal(asked, want) {
		t.Errorf("at the floor, keyframes asked at %v, want %v", asked, want)
	}
	asked = nil
	s.downlink.Store(900_000) // its link recovered
	ask(4 * time.Second)
	if len(asked) != 2 {
		t.Errorf("off the floor, %d keyframes asked in 4 s (%v), want one every %v", len(asked), asked, receiverKeyframeInterval)
	}
}
