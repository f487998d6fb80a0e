package room

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// rawDepacketizer returns payloads as they are.
type rawDepacketizer struct{}

func (rawDepacketizer) Unmarshal(b []byte) ([]byte, error) { return b, nil }
func (rawDepacketizer) IsPartitionHead([]byte) bool        { return true }
func (rawDepacketizer) IsPartitionTail(m bool, _ []byte) bool {
	return m
}

func pkt(seq uint16, marker bool, payload string) *rtp.Packet {
	return &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Marker: marker}, Payload: []byte(payload)}
}

// wire is p as it arrives from the network.
func wire(t testing.TB, p *rtp.Packet) []byte {
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type collector struct {
	frames []string
	lost   []int
}

func (c *collector) emit(a assembled) {
	c.frames = append(c.frames, string(a.data))
	c.lost = append(c.lost, a.lost)
}

// assemblerCase is packets pushed into a frameAssembler and the frames it
// must emit.
type assemblerCase struct {
	name   string
	pkts   []*rtp.Packet
	times  []int // arrival ms per packet (default: all 0)
	frames []string
	lost   []int
}

func (tc assemblerCase) run(t *testing.T, newDep func() rtp.Depacketizer) {
	t.Helper()
	a := newFrameAssembler(newDep)
	var c collector
	for i, p := range tc.pkts {
		ms := 0
		if tc.times != nil {
			ms = tc.times[i]
		}
		if _, err := a.push(wire(t, p), time.Unix(0, 0).Add(time.Duration(ms)*time.Millisecond), c.emit); err != nil {
			t.Fatal(err)
		}
	}
	if len(c.frames) != len(tc.frames) {
		t.Fatalf("frames %q lost %d, want %q lost %d", c.frames, c.lost, tc.frames, tc.lost)
	}
	for i := range c.frames {
		if c.frames[i] != tc.frames[i] || c.lost[i] != tc.lost[i] {
			t.Errorf("frame %d: %q lost %d, want %q lost %d", i, c.frames[i], c.lost[i], tc.frames[i], tc.lost[i])
		}
	}
}

// nackRoundTrip is when a retransmission of a packet lost on a 200 ms round
// trip link comes back at the latest: pion's NACK generator asks within
// one 50 ms interval of seeing the loss.
const nackRoundTrip = 50*time.Millisecond + 200*time.Millisecond

func TestFrameAssembler(t *testing.T) {
	// Patience in ms, and a retransmission's latest arrival after a loss.
	patience, nack := int(assemblerPatience/time.Millisecond), int(nackRoundTrip/time.Millisecond)
	for _, tc := range []assemblerCase{
		{name: "in order", pkts: []*rtp.Packet{pkt(10, false, "a"), pkt(11, true, "b"), pkt(12, true, "c")},
			frames: []string{"ab", "c"}, lost: []int{0, 0}},
		{name: "reordered", pkts: []*rtp.Packet{pkt(11, true, "b"), pkt(10, false, "a")},
			// The first packet seen starts the stream: 10 arrives late.
			frames: []string{"b"}, lost: []int{0}},
		{name: "reordered inside a frame", pkts: []*rtp.Packet{pkt(1, false, "a"), pkt(3, true, "c"), pkt(2, false, "b"), pkt(4, true, "d")},
			frames: []string{"abc", "d"}, lost: []int{0, 0}},
		{name: "duplicates", pkts: []*rtp.Packet{pkt(1, false, "a"), pkt(1, false, "a"), pkt(2, true, "b"), pkt(2, true, "b"), pkt(3, true, "c")},
			frames: []string{"ab", "c"}, lost: []int{0, 0}},
		{name: "wrap around", pkts: []*rtp.Packet{pkt(65534, false, "a"), pkt(65535, false, "b"), pkt(0, true, "c"), pkt(1, true, "d")},
			frames: []string{"abc", "d"}, lost: []int{0, 0}},
		{name: "loss is waited for, then given up", pkts: []*rtp.Packet{pkt(1, true, "a"), pkt(3, true, "c"), pkt(4, false, "d"), pkt(5, true, "e"), pkt(6, true, "f")},
			// 2 is known missing from 10 ms (when 3 arrives).
			times:  []int{0, 10, 20, 9 + patience, 10 + patience},
			frames: []string{"a", "de", "f"}, lost: []int{0, 2, 0}},
		{name: "late retransmission in time", pkts: []*rtp.Packet{pkt(1, true, "a"), pkt(3, true, "c"), pkt(2, false, "b")},
			times:  []int{0, 10, 9 + patience},
			frames: []string{"a", "bc"}, lost: []int{0, 0}},
		{name: "retransmission after a NACK round trip", pkts: []*rtp.Packet{pkt(1, true, "a"), pkt(3, true, "c"), pkt(4, true, "d"), pkt(5, true, "e"), pkt(2, false, "b")},
			// 2 is lost, seen missing at 10 ms, and comes back over a 200 ms
			// round trip while the next frames arrive: it is waited for.
			times:  []int{0, 10, 10 + nack/2, 10 + nack - 1, 10 + nack},
			frames: []string{"a", "bc", "d", "e"}, lost: []int{0, 0, 0, 0}},
		{name: "late packet after giving up", pkts: []*rtp.Packet{pkt(1, true, "a"), pkt(3, true, "c"), pkt(4, true, "d"), pkt(2, false, "b"), pkt(5, true, "e")},
			times:  []int{0, 10, 10 + patience, 20 + patience, 30 + patience},
			frames: []string{"a", "d", "e"}, lost: []int{0, 2, 0}},
		{name: "slow frame with nothing missing", pkts: []*rtp.Packet{pkt(1, false, "a"), pkt(2, false, "b"), pkt(3, false, "c"), pkt(4, true, "d")},
			// A large keyframe spread over a slow link is not given up.
			times:  []int{0, patience, 2 * patience, 3 * patience},
			frames: []string{"abcd"}, lost: []int{0}},
		{name: "patience counts from the gap", pkts: []*rtp.Packet{pkt(1, false, "a"), pkt(2, false, "b"), pkt(4, false, "d"), pkt(5, false, "e"), pkt(3, false, "c"), pkt(6, true, "f")},
			// 3 is known missing from when 4 arrives; 5 comes more than
			// patience after the frame began, but not after the gap.
			times:  []int{0, patience / 2, patience, patience * 3 / 2, 2*patience - 10, 2*patience - 5},
			frames: []string{"abcdef"}, lost: []int{0}},
		{name: "jump far ahead", pkts: []*rtp.Packet{pkt(1, true, "a"), pkt(2, false, "b"), pkt(2000, true, "z"), pkt(2001, true, "y")},
			frames: []string{"a", "z", "y"}, lost: []int{0, 1998, 0}},
		{name: "padding only", pkts: []*rtp.Packet{pkt(1, true, ""), pkt(2, true, "x")},
			frames: []string{"x"}, lost: []int{0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, func() rtp.Depacketizer { return rawDepacketizer{} })
		})
	}
}

// FuzzFrameAssembler: arbitrary packet orders never panic, and every frame
// emitted is the in-order concatenation of consecutive packets ending at a
// marker.
func FuzzFrameAssembler(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 5, 4, 7, 6, 200, 201})
	f.Add([]byte{255, 254, 0, 1, 2})
	f.Fuzz(func(t *testing.T, order []byte) {
		a := newFrameAssembler(func() rtp.Depacketizer { return rawDepacketizer{} })
		now := time.Unix(0, 0)
		for i, b := range order {
			seq := uint16(b)
			// Payload: the sequence number, so frames can be checked.
			payload := []byte{byte(seq >> 8), byte(seq)}
			a.push(wire(t, &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Marker: b%4 == 0}, Payload: payload}),
				now.Add(time.Duration(i)*40*time.Millisecond), func(fr assembled) {
					if len(fr.data)%2 != 0 {
						t.Fatalf("frame of %d bytes", len(fr.data))
					}
					for j := 2; j < len(fr.data); j += 2 {
						prev := uint16(fr.data[j-2])<<8 | uint16(fr.data[j-1])
						cur := uint16(fr.data[j])<<8 | uint16(fr.data[j+1])
						if cur != prev+1 || bytes.Count(fr.data, fr.data[j:j+2]) < 1 {
							t.Fatalf("frame not consecutive: % x", fr.data)
						}
					}
				})
		}
	})
}

// TestFrameAssemblerReusesPackets: once the assembler holds as many packets
// as it needs, a packet costs no allocation, and reusing packet memory
// never mixes one packet's bytes into another frame. A packet that is not
// RTP is refused.
func TestFrameAssemblerReusesPackets(t *testing.T) {
	a := newFrameAssembler(func() rtp.Depacketizer { return rawDepacketizer{} })
	now := time.Unix(0, 0)
	var seq uint16
	var got string
	push := func() {
		// Frames of three packets, sent with the middle one last.
		for _, d := range []uint16{0, 2, 1} {
			s := seq + d
			payload := string([]byte{'a' + byte(s%26), 'a' + byte(s%26), 'a' + byte(s%26)})
			n, err := a.push(wire(t, pkt(s, d == 2, payload)), now, func(f assembled) { got = string(f.data) })
			if err != nil || n != 3 {
				t.Fatalf("push %d: payload %d, %v", s, n, err)
			}
		}
		want := ""
		for d := range uint16(3) {
			c := 'a' + byte((seq+d)%26)
			want += string([]byte{c, c, c})
		}
		if got != want {
			t.Fatalf("frame at %d: %q, want %q", seq, got, want)
		}
		seq += 3
	}
	for range 10 {
		push()
	}
	raws := make([][]byte, 3)
	allocs := testing.AllocsPerRun(100, func() {
		for i, d := range []uint16{0, 2, 1} {
			s := seq + d
			p := pkt(s, d == 2, "xyz")
			if raws[i] == nil {
				raws[i] = make([]byte, 64)
			}
			n, err := p.MarshalTo(raws[i][:cap(raws[i])])
			if err != nil {
				t.Fatal(err)
			}
			raws[i] = raws[i][:n]
		}
		for _, r := range raws {
			if _, err := a.push(r, now, func(assembled) {}); err != nil {
				t.Fatal(err)
			}
		}
		seq += 3
	})
	if allocs > 0 {
		t.Errorf("%.1f allocations per frame of three packets, want none", allocs)
	}
	if _, err := a.push([]byte{0x80, 0x60}, now, func(assembled) {}); err == nil {
		t.Error("a 2-byte packet was taken as RTP")
	}
	push() // still assembling after the refused packet
}

// TestFrameAssemblerForgetsUnfinishedFragments: an H.264 fragment started in
// one frame (FU-A without its end) is not carried into the next: frames are
// independent, so a sender that never ends its fragments cannot make the
// depacketizer's memory grow.
func TestFrameAssemblerForgetsUnfinishedFragments(t *testing.T) {
	a := newFrameAssembler(func() rtp.Depacketizer { return &codecs.H264Packet{} })
	var c collector
	fuA := func(start, end bool, b byte) string {
		hdr := byte(5) // IDR slice
		if start {
			hdr |= 0x80
		}
		if end {
			hdr |= 0x40
		}
		return string([]byte{0x7c, hdr, b, b, b})
	}
	for i, p := range []*rtp.Packet{
		pkt(1, true, fuA(true, false, 'x')), // a fragment the sender never ends
		pkt(2, false, fuA(true, false, 'y')),
		pkt(3, true, fuA(false, true, 'z')),
	} {
		if _, err := a.push(wire(t, p), time.Unix(0, int64(i)), c.emit); err != nil {
			t.Fatal(err)
		}
	}
	if len(c.frames) != 1 || strings.Contains(c.frames[0], "x") || !strings.Contains(c.frames[0], "yyyzzz") {
		t.Errorf("frames %q: want one frame of y and z only", c.frames)
	}
}
