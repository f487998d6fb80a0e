package room

import (
	"io"
	"slices"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
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
// once; every request is counted; other RTCP asks for nothing.
func TestKeyframeRequestsPerReceiver(t *testing.T) {
	obs := &countingObserver{}
	s := &Session{ID: "viewer", room: &Room{obs: obs}}
	clock := time.Unix(1000, 0)
	var asked []time.Duration
	handle := s.keyframeRequests(func() time.Time { return clock }, func() {
		asked = append(asked, clock.Sub(time.Unix(1000, 0)))
	})
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
}

// countingObserver counts the keyframe requests received.
type countingObserver struct {
	nopObserver
	plis int
}

func (o *countingObserver) PLIReceived() { o.plis++ }
