package room

import (
	"io"
	"testing"

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
