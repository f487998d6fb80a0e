package room

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"

	"mcu/codec"
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
			// 2 is known missing from 10 ms (when 3 arrives). Every packet
			// here begins a frame (rawDepacketizer), so 3 is kept.
			times:  []int{0, 10, 20, 9 + patience, 10 + patience},
			frames: []string{"a", "c", "de", "f"}, lost: []int{0, 1, 0, 0}},
		{name: "late retransmission in time", pkts: []*rtp.Packet{pkt(1, true, "a"), pkt(3, true, "c"), pkt(2, false, "b")},
			times:  []int{0, 10, 9 + patience},
			frames: []string{"a", "bc"}, lost: []int{0, 0}},
		{name: "retransmission after a NACK round trip", pkts: []*rtp.Packet{pkt(1, true, "a"), pkt(3, true, "c"), pkt(4, true, "d"), pkt(5, true, "e"), pkt(2, false, "b")},
			// 2 is lost, seen missing at 10 ms, and comes back over a 200 ms
			// round trip while the next frames arrive: it is waited for.
			times:  []int{0, 10, 10 + nack/2, 10 + nack - 1, 10 + nack},
			frames: []string{"a", "bc", "d", "e"}, lost: []int{0, 0, 0, 0}},
		{name: "late packet after giving up", pkts: []*rtp.Packet{pkt(1, true, "a"), pkt(3, true, "c"), pkt(4, true, "d"), pkt(2, false, "b"), pkt(5, true, "e")},
			// Every packet here begins a frame (rawDepacketizer), so giving
			// up 2 keeps 3; 2 then comes too late.
			times:  []int{0, 10, 10 + patience, 20 + patience, 30 + patience},
			frames: []string{"a", "c", "d", "e"}, lost: []int{0, 1, 0, 0}},
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

// VP8 payload descriptors (RFC 7741 4.2): a frame begins at S with
// partition index 0.
const (
	vp8Start      = 0x10
	vp8Middle     = 0x00
	vp8Partition1 = 0x11 // S, partition index 1: mid-frame
)

func vp8pkt(seq uint16, marker bool, descriptor byte, data string) *rtp.Packet {
	return pkt(seq, marker, string([]byte{descriptor})+data)
}

// TestFrameAssemblerFrameStarts: packets up to a marker that do not begin a
// frame (the first ones seen, those after a long jump or after a packet
// given up) are a frame's tail: they are given up and counted as lost, not
// emitted as a frame.
func TestFrameAssemblerFrameStarts(t *testing.T) {
	patience := int(assemblerPatience / time.Millisecond)
	for _, tc := range []assemblerCase{
		{name: "first packet mid-frame", pkts: []*rtp.Packet{vp8pkt(1, false, vp8Middle, "b"), vp8pkt(2, true, vp8Middle, "c"), vp8pkt(3, false, vp8Start, "d"), vp8pkt(4, true, vp8Middle, "e")},
			frames: []string{"de"}, lost: []int{2}},
		{name: "first packet starts a frame", pkts: []*rtp.Packet{vp8pkt(1, false, vp8Start, "a"), vp8pkt(2, true, vp8Middle, "b"), vp8pkt(3, true, vp8Start, "c")},
			frames: []string{"ab", "c"}, lost: []int{0, 0}},
		{name: "first packets reordered", pkts: []*rtp.Packet{vp8pkt(2, false, vp8Middle, "b"), vp8pkt(1, false, vp8Start, "a"), vp8pkt(3, true, vp8Middle, "c"), vp8pkt(0, true, vp8Start, "z")},
			// The stream starts at 1, which came second; 0 comes after a
			// frame was emitted: too late.
			frames: []string{"abc"}, lost: []int{0}},
		{name: "first packet starts a later partition", pkts: []*rtp.Packet{vp8pkt(1, false, vp8Partition1, "b"), vp8pkt(2, true, vp8Middle, "c"), vp8pkt(3, true, vp8Start, "d")},
			frames: []string{"d"}, lost: []int{2}},
		{name: "padding before the first frame", pkts: []*rtp.Packet{pkt(1, false, ""), vp8pkt(2, false, vp8Start, "a"), vp8pkt(3, true, vp8Middle, "b")},
			frames: []string{"ab"}, lost: []int{0}},
		{name: "jump far ahead into a frame", pkts: []*rtp.Packet{vp8pkt(1, true, vp8Start, "a"), vp8pkt(2000, false, vp8Middle, "y"), vp8pkt(2001, true, vp8Middle, "z"), vp8pkt(2002, true, vp8Start, "x")},
			frames: []string{"a", "x"}, lost: []int{0, 1998 + 2}},
		{name: "given up with no marker held", pkts: []*rtp.Packet{vp8pkt(1, true, vp8Start, "a"), vp8pkt(2, false, vp8Start, "b"), vp8pkt(4, false, vp8Middle, "d"), vp8pkt(5, false, vp8Middle, "e"), vp8pkt(6, true, vp8Middle, "f"), vp8pkt(7, true, vp8Start, "g")},
			// 3 is given up when 5 arrives: 2 to 5 go, and 6 ends that frame.
			times:  []int{0, 0, 10, 10 + patience, 20 + patience, 30 + patience},
			frames: []string{"a", "g"}, lost: []int{0, 5}},
		{name: "a lost marker does not take the next frame", pkts: []*rtp.Packet{vp8pkt(1, true, vp8Start, "a"), vp8pkt(2, false, vp8Start, "b"), vp8pkt(4, false, vp8Start, "c"), vp8pkt(5, true, vp8Middle, "d"), vp8pkt(6, true, vp8Start, "e")},
			// 3, the marker of b's frame, is lost; c's frame is whole.
			times:  []int{0, 0, 10, 20, 10 + patience},
			frames: []string{"a", "cd", "e"}, lost: []int{0, 2, 0}},
		{name: "given up up to a marker", pkts: []*rtp.Packet{vp8pkt(1, true, vp8Start, "a"), vp8pkt(2, false, vp8Start, "b"), vp8pkt(4, true, vp8Middle, "d"), vp8pkt(5, true, vp8Start, "e")},
			times:  []int{0, 0, 10, 10 + patience},
			frames: []string{"a", "e"}, lost: []int{0, 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, func() rtp.Depacketizer { return &codecs.VP8Packet{} })
		})
	}
}

// h264Picture is an access unit of SPS, PPS and an IDR picture in two
// slices (the second's first_mb_in_slice is 1: 010), or of a P picture in
// two slices, as NAL units.
func h264Picture(idr bool) [][]byte {
	slice := func(header, first byte) []byte {
		return append([]byte{header, first}, bytes.Repeat([]byte{0xaa}, 40)...)
	}
	if !idr {
		return [][]byte{slice(0x41, 0x9a), slice(0x41, 0x5a)}
	}
	return [][]byte{{0x67, 0x42, 0xc0, 0x1e, 0xd9, 0x00, 0xa0, 0x47}, {0x68, 0xce, 0x3c, 0x80}, slice(0x65, 0x88), slice(0x65, 0x5a)}
}

func annexB(nals [][]byte) []byte {
	var b []byte
	for _, nal := range nals {
		b = append(append(b, 0, 0, 0, 1), nal...)
	}
	return b
}

// h264Packets packetizes an access unit as pion does (STAP-A for SPS and
// PPS, FU-A for NAL units larger than a 20-byte payload) from sequence
// number seq, the marker on the last.
func h264Packets(seq uint16, nals [][]byte) []*rtp.Packet {
	var payloader codecs.H264Payloader
	payloads := payloader.Payload(20, annexB(nals))
	pkts := make([]*rtp.Packet, len(payloads))
	for i, p := range payloads {
		pkts[i] = pkt(seq+uint16(i), i == len(payloads)-1, string(p))
	}
	return pkts
}

// TestFrameAssemblerH264Tail: when the first packets of a keyframe of
// several slices are lost, the rest (IDR slices, one of them cut, whose
// header is that of an IDR slice and whose first byte is any) is not
// emitted: the decoder would take it for a keyframe. A whole keyframe that
// starts the session is emitted at once.
func TestFrameAssemblerH264Tail(t *testing.T) {
	key, delta := h264Picture(true), h264Picture(false)
	keyPkts, deltaPkts := h264Packets(0, key), h264Packets(0, delta)
	// STAP-A (SPS, PPS), three FU-A of the first slice, then of the second.
	if len(keyPkts) != 7 || keyPkts[0].Payload[0]&0x1f != 24 || keyPkts[2].Payload[0]&0x1f != 28 || keyPkts[4].Payload[1] != 0x85 {
		t.Fatalf("the keyframe is not STAP-A then FU-A: % x", keyPkts)
	}
	// What must not be emitted: the keyframe from a middle fragment of its
	// first slice on, which the decoder would take for a keyframe.
	var dep codecs.H264Packet
	var tail []byte
	for _, p := range keyPkts[2:] {
		b, err := dep.Unmarshal(p.Payload)
		if err != nil {
			t.Fatal(err)
		}
		tail = append(tail, b...)
	}
	if !codec.IsKeyframe(codec.H264, tail) {
		t.Fatalf("the keyframe's tail is not taken for a keyframe: the test shows nothing\n% x", tail)
	}
	renumber := func(seq uint16, pkts []*rtp.Packet) []*rtp.Packet {
		out := make([]*rtp.Packet, len(pkts))
		for i, p := range pkts {
			c := p.Clone()
			c.SequenceNumber = seq + uint16(i)
			out[i] = c
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		pkts   []*rtp.Packet
		frames [][]byte
		lost   []int
	}{
		{name: "keyframe first", pkts: slices.Concat(renumber(100, keyPkts), renumber(100+uint16(len(keyPkts)), deltaPkts)),
			frames: [][]byte{annexB(key), annexB(delta)}, lost: []int{0, 0}},
		{name: "keyframe's start lost at the start", // first seen: a middle fragment of the first slice
			pkts:   slices.Concat(renumber(100, keyPkts)[2:], renumber(100+uint16(len(keyPkts)), deltaPkts)),
			frames: [][]byte{annexB(delta)}, lost: []int{len(keyPkts) - 2}},
		{name: "keyframe's first slice lost at the start", // first seen: the second slice's start
			pkts:   slices.Concat(renumber(100, keyPkts)[4:], renumber(100+uint16(len(keyPkts)), deltaPkts)),
			frames: [][]byte{annexB(delta)}, lost: []int{len(keyPkts) - 4}},
		{name: "keyframe's start lost after a jump", // to the last fragment of the first slice
			pkts: slices.Concat(renumber(100, deltaPkts), renumber(2000, keyPkts)[3:],
				renumber(2000+uint16(len(keyPkts)), keyPkts)),
			frames: [][]byte{annexB(delta), annexB(key)},
			// The jump over 100+len(deltaPkts)..2002, then the tail.
			lost: []int{0, 2003 - (100 + len(deltaPkts)) + len(keyPkts) - 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newFrameAssembler(func() rtp.Depacketizer { return &codecs.H264Packet{} })
			var frames [][]byte
			var lost []int
			for i, p := range tc.pkts {
				if _, err := a.push(wire(t, p), time.Unix(0, int64(i)), func(f assembled) {
					frames = append(frames, bytes.Clone(f.data))
					lost = append(lost, f.lost)
				}); err != nil {
					t.Fatal(err)
				}
			}
			if len(frames) != len(tc.frames) {
				t.Fatalf("%d frames lost %d, want %d lost %d\n% x", len(frames), lost, len(tc.frames), tc.lost, frames)
			}
			for i := range frames {
				if !bytes.Equal(frames[i], tc.frames[i]) || lost[i] != tc.lost[i] {
					t.Errorf("frame %d lost %d: % x\nwant lost %d: % x", i, lost[i], frames[i], tc.lost[i], tc.frames[i])
				}
			}
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
					if len(fr.data) == 0 || len(fr.data)%2 != 0 {
						t.Fatalf("frame of %d bytes", len(fr.data))
					}
					for j := 2; j < len(fr.data); j += 2 {
						prev := uint16(fr.data[j-2])<<8 | uint16(fr.data[j-1])
						cur := uint16(fr.data[j])<<8 | uint16(fr.data[j+1])
						if cur != prev+1 {
							t.Fatalf("frame not consecutive: % x", fr.data)
						}
					}
					if last := uint16(fr.data[len(fr.data)-2])<<8 | uint16(fr.data[len(fr.data)-1]); last%4 != 0 {
						t.Fatalf("frame ends at packet %d, which has no marker: % x", last, fr.data)
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

var vp8Dep, vp9Dep, h264Dep, av1Dep = &codecs.VP8Packet{}, &codecs.VP9Packet{}, &codecs.H264Packet{}, &av1Depacketizer{}

// frameHeadCases: what each payload format says about a packet beginning a
// frame.
var frameHeadCases = []struct {
	name    string
	dep     rtp.Depacketizer
	payload []byte
	want    bool
}{
	{"vp8 start", vp8Dep, []byte{0x10, 0x50}, true},
	{"vp8 start, extended", vp8Dep, []byte{0x90, 0x80, 0x12, 0x50}, true},
	{"vp8 middle", vp8Dep, []byte{0x00, 0x50}, false},
	{"vp8 later partition", vp8Dep, []byte{0x11, 0x50}, false},
	{"vp9 begins a frame", vp9Dep, []byte{0x08, 0x82}, true},
	{"vp9 middle", vp9Dep, []byte{0x00, 0x82}, false},
	{"h264 sps", h264Dep, []byte{0x67, 0x42}, true},
	{"h264 first p slice", h264Dep, []byte{0x41, 0x9a}, true},
	{"h264 later p slice", h264Dep, []byte{0x41, 0x5a}, false},
	{"h264 stap-a sps pps", h264Dep, []byte{0x78, 0, 2, 0x67, 0x42, 0, 2, 0x68, 0xce}, true},
	{"h264 stap-a later slices", h264Dep, []byte{0x78, 0, 2, 0x65, 0x5a, 0, 2, 0x65, 0x2a}, false},
	{"h264 stap-a cut", h264Dep, []byte{0x78, 0, 9, 0x65}, false},
	{"h264 fu-a start of a first idr slice", h264Dep, []byte{0x7c, 0x85, 0x88}, true},
	{"h264 fu-a start of a later idr slice", h264Dep, []byte{0x7c, 0x85, 0x5a}, false},
	{"h264 fu-a middle", h264Dep, []byte{0x7c, 0x05, 0x88}, false},
	{"h264 fu-a end", h264Dep, []byte{0x7c, 0x45, 0x88}, false},
	{"av1 new coded video sequence", av1Dep, []byte{0x18, 0x0a, 0x00}, true},
	{"av1 obu start", av1Dep, []byte{0x10, 0x32, 0x00}, false},
	{"av1 continued fragment", av1Dep, []byte{0x90, 0x00}, false},
	{"empty", vp8Dep, nil, false},
}

func TestFrameHead(t *testing.T) {
	for _, tc := range frameHeadCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := frameHead(tc.dep, tc.payload); got != tc.want {
				t.Errorf("frameHead(% x) = %v, want %v", tc.payload, got, tc.want)
			}
		})
	}
}

// FuzzFrameHead: any payload, for any codec, is read without a panic.
func FuzzFrameHead(f *testing.F) {
	for _, tc := range frameHeadCases {
		f.Add(tc.payload)
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		for _, dep := range []rtp.Depacketizer{vp8Dep, vp9Dep, h264Dep, av1Dep} {
			frameHead(dep, payload)
		}
	})
}

// TestFrameAssemblerLargeFrame rebuilds a frame of 900 packets, about a
// megabyte: a 4K keyframe can be that large.
func TestFrameAssemblerLargeFrame(t *testing.T) {
	const n = 900
	var want strings.Builder
	pkts := make([]*rtp.Packet, n)
	for i := range pkts {
		payload := string(rune('a' + i%26))
		want.WriteString(payload)
		pkts[i] = pkt(uint16(60000+i), i == n-1, payload) // across the wrap, too
	}
	assemblerCase{pkts: pkts, frames: []string{want.String()}, lost: []int{0}}.run(t, func() rtp.Depacketizer { return rawDepacketizer{} })
}

// vp8pic is a VP8 packet that begins a frame and carries a 15-bit picture
// ID, as browsers send.
func vp8pic(seq uint16, marker bool, id int, data string) *rtp.Packet {
	return pkt(seq, marker, string([]byte{0x80 | vp8Start, 0x80, 0x80 | byte(id>>8), byte(id)})+data)
}

// TestFrameAssemblerPaddingGap: a gap between a frame emitted whole and
// the start of the frame whose picture ID follows held no media (padding a
// browser does not resend): it is passed at once, with no loss. A gap
// where a picture ID is missing, or inside a frame, is waited for and
// counted.
func TestFrameAssemblerPaddingGap(t *testing.T) {
	patience := int(assemblerPatience / time.Millisecond)
	for _, tc := range []assemblerCase{
		{name: "lost padding", pkts: []*rtp.Packet{vp8pic(1, true, 10, "a"), vp8pic(3, true, 11, "c"), vp8pic(4, true, 12, "d")},
			frames: []string{"a", "c", "d"}, lost: []int{0, 0, 0}},
		{name: "lost padding among padding", pkts: []*rtp.Packet{vp8pic(1, true, 32767, "a"), pkt(2, false, ""), pkt(4, false, ""), vp8pic(5, false, 0, "c"), vp8pkt(6, true, vp8Middle, "d")},
			frames: []string{"a", "cd"}, lost: []int{0, 0}},
		{name: "a picture missing", pkts: []*rtp.Packet{vp8pic(1, true, 10, "a"), vp8pic(3, true, 12, "c"), vp8pic(4, true, 13, "d")},
			times:  []int{0, 10, 10 + patience},
			frames: []string{"a", "c", "d"}, lost: []int{0, 1, 0}},
		{name: "lost padding, the next picture late", pkts: []*rtp.Packet{vp8pic(1, true, 10, "a"), pkt(3, false, ""), vp8pic(4, true, 11, "d")},
			// Only padding after the gap until long past the patience (a
			// camera turned off sends a picture a second): still no loss.
			times:  []int{0, 10, 10 + 3*patience},
			frames: []string{"a", "d"}, lost: []int{0, 0}},
		{name: "lost padding and a picture, the next one late", pkts: []*rtp.Packet{vp8pic(1, true, 10, "a"), pkt(3, false, ""), vp8pic(5, true, 12, "e"), vp8pic(6, true, 13, "f")},
			// Picture 11 was lost: e waits its patience for it, counted
			// from e (a retransmission may come), then goes with 3 lost.
			times:  []int{0, 10, 10 + 3*patience, 10 + 4*patience},
			frames: []string{"a", "e", "f"}, lost: []int{0, 3, 0}},
		{name: "lost padding, then the next picture reordered late", pkts: []*rtp.Packet{vp8pic(1, true, 10, "a"), pkt(3, false, ""), vp8pkt(5, false, vp8Middle, "e"), vp8pic(4, false, 11, "d"), vp8pkt(6, true, vp8Middle, "f")},
			// 4, the next picture's start, comes after 5 and long after
			// the padding: it still has its patience, counted from 5.
			times:  []int{0, 10, 1000, 1020, 1020},
			frames: []string{"a", "def"}, lost: []int{0, 0}},
		{name: "a gap inside a frame, then padding lost", pkts: []*rtp.Packet{vp8pic(1, true, 10, "a"), vp8pic(2, false, 11, "b"), vp8pic(4, true, 12, "d"), vp8pic(6, true, 13, "f"), vp8pic(7, true, 14, "g")},
			// 3 (b's marker) is lost: b's frame is waited for and given up.
			// d is then emitted whole, so 5, between d and f, held no media.
			times:  []int{0, 0, 10, 20, 20 + patience},
			frames: []string{"a", "d", "f", "g"}, lost: []int{0, 2, 0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, func() rtp.Depacketizer { return &codecs.VP8Packet{} })
		})
	}
}

// TestFrameAssemblerFollowsARestart: a sender whose numbering goes back
// (it restarted) is followed after maxLate packets, not dropped until its
// numbers catch up with the old ones.
func TestFrameAssemblerFollowsARestart(t *testing.T) {
	var pkts []*rtp.Packet
	var frames []string
	var lost []int
	for i := range 5 {
		pkts = append(pkts, pkt(uint16(40000+i), true, "o"))
		frames, lost = append(frames, "o"), append(lost, 0)
	}
	for i := range maxLate + 5 {
		pkts = append(pkts, pkt(uint16(30000+i), true, "n")) // 10,000 behind
		if i >= maxLate-1 {
			frames = append(frames, "n")
			lost = append(lost, map[bool]int{true: maxLate - 1}[i == maxLate-1])
		}
	}
	assemblerCase{pkts: pkts, frames: frames, lost: lost}.run(t, func() rtp.Depacketizer { return rawDepacketizer{} })
}

// TestFrameAssemblerLateBurst: after a long outage on a slow link the
// lost packets' retransmissions come back, more than maxLate of them, once
// their frames were given up: they are dropped as late, not taken for a
// restart of the numbering, and the frames after them go on at once.
func TestFrameAssemblerLateBurst(t *testing.T) {
	patience := int(assemblerPatience / time.Millisecond)
	var tc assemblerCase
	add := func(seq, ms int, frame bool) {
		tc.pkts = append(tc.pkts, pkt(uint16(seq), true, strconv.Itoa(seq)))
		tc.times = append(tc.times, ms)
		if frame {
			tc.frames = append(tc.frames, strconv.Itoa(seq))
			tc.lost = append(tc.lost, map[bool]int{true: 100}[seq == 201])
		}
	}
	for seq := 1; seq <= 100; seq++ {
		add(seq, 0, true)
	}
	for seq := 201; seq <= 260; seq++ { // 101..200 lost
		add(seq, 10, true)
	}
	add(261, 10+patience, true) // the loss is given up
	for seq := 101; seq <= 200; seq++ {
		add(seq, 20+patience, false) // their retransmissions, too late
	}
	add(262, 20+patience, true)
	tc.run(t, func() rtp.Depacketizer { return rawDepacketizer{} })
}

// pushAt pushes p into a as arriving ms milliseconds after time 0 (the
// tests' origin), collecting the frames it completes into c.
func pushAt(t *testing.T, a *frameAssembler, c *collector, p *rtp.Packet, ms int) {
	t.Helper()
	if _, err := a.push(wire(t, p), time.Unix(0, 0).Add(time.Duration(ms)*time.Millisecond), c.emit); err != nil {
		t.Fatal(err)
	}
}

// TestFrameAssemblerDeadline: a frame whose marker packet was lost, then a
// whole frame, then nothing (a sender that paused). The whole frame is not
// held until the next packet: at deadline, drain gives up the broken one
// and emits it.
func TestFrameAssemblerDeadline(t *testing.T) {
	a := newFrameAssembler(func() rtp.Depacketizer { return &codecs.VP8Packet{} })
	var c collector
	t0 := time.Unix(0, 0)
	pushAt(t, a, &c, vp8pkt(1, true, vp8Start, "a"), 0)
	pushAt(t, a, &c, vp8pkt(2, false, vp8Start, "b"), 30) // 3, its frame's marker, is lost
	pushAt(t, a, &c, vp8pkt(4, false, vp8Start, "c"), 60)
	pushAt(t, a, &c, vp8pkt(5, true, vp8Middle, "d"), 60)
	at := a.deadline()
	ok := !at.IsZero()
	if want := t0.Add(60*time.Millisecond + assemblerPatience); !ok || !at.Equal(want) {
		t.Fatalf("deadline %v %v, want %v (patience after 4 showed 3 missing)", at, ok, want)
	}
	a.drain(at.Add(-time.Millisecond), c.emit)
	if len(c.frames) != 1 {
		t.Fatalf("frames %q before the deadline, want only the first", c.frames)
	}
	a.drain(at, c.emit)
	if want := []string{"a", "cd"}; !slices.Equal(c.frames, want) || c.lost[1] != 2 {
		t.Errorf("frames %q lost %v at the deadline, want %q with 2 lost", c.frames, c.lost, want)
	}
	if !a.deadline().IsZero() {
		t.Error("a deadline with nothing missing")
	}
}

// FuzzFrameAssemblerVP8 pushes VP8 packets with picture IDs, padding,
// frame starts and markers in any order: the assembler neither panics nor
// stalls (a push returns), whatever the gaps.
func FuzzFrameAssemblerVP8(f *testing.F) {
	f.Add([]byte{1, 0x13, 10, 3, 0x13, 11, 4, 0x03, 12, 6, 0x11, 13})
	f.Add([]byte{1, 0x13, 10, 2, 0x01, 11, 4, 0x13, 12, 5, 0x00, 0, 7, 0x13, 13})
	f.Fuzz(func(t *testing.T, in []byte) {
		a := newFrameAssembler(func() rtp.Depacketizer { return &codecs.VP8Packet{} })
		now := time.Unix(0, 0)
		for i := 0; i+2 < len(in); i += 3 {
			seq, flags, id := uint16(in[i]), in[i+1], int(in[i+2])
			var payload []byte
			switch {
			case flags&0x04 != 0: // padding
			case flags&0x08 != 0: // no picture ID
				payload = []byte{flags & 0x10, 0xaa}
			default:
				payload = []byte{0x80 | flags&0x10, 0x80, 0x80 | byte(id>>8), byte(id), 0xaa}
			}
			p := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Marker: flags&0x02 != 0}, Payload: payload}
			a.push(wire(t, p), now.Add(time.Duration(i)*20*time.Millisecond), func(assembled) {})
		}
	})
}

// TestFrameAssemblerPaddingNoDeadline: with only padding held after a gap
// that follows a whole frame, there is no deadline: the reader's timer
// giving up the gap would count the padding as lost and ask for a
// keyframe. The next picture decides.
func TestFrameAssemblerPaddingNoDeadline(t *testing.T) {
	a := newFrameAssembler(func() rtp.Depacketizer { return &codecs.VP8Packet{} })
	var c collector
	t0 := time.Unix(0, 0)
	pushAt(t, a, &c, vp8pic(1, true, 10, "a"), 0)
	pushAt(t, a, &c, pkt(3, false, ""), 10) // 2, padding too, is lost
	if at := a.deadline(); !at.IsZero() {
		t.Errorf("a deadline at %v with only padding after the gap", at.Sub(t0))
	}
	a.drain(t0.Add(time.Second), c.emit) // as if a timer had fired anyway
	pushAt(t, a, &c, vp8pic(4, true, 11, "d"), 1000)
	if want := []string{"a", "d"}; !slices.Equal(c.frames, want) || c.lost[1] != 0 {
		t.Errorf("frames %q lost %v, want %q with none lost", c.frames, c.lost, want)
	}
}

// TestFrameAssemblerGapInsideFrameThenPadding: a frame that lost its last
// packet, followed by padding only (a still screen share), is given up at
// its deadline as any other: the gap is inside the frame, so it held media.
func TestFrameAssemblerGapInsideFrameThenPadding(t *testing.T) {
	a := newFrameAssembler(func() rtp.Depacketizer { return &codecs.VP8Packet{} })
	var c collector
	t0 := time.Unix(0, 0)
	pushAt(t, a, &c, vp8pic(1, true, 10, "a"), 0)
	pushAt(t, a, &c, vp8pic(2, false, 11, "b"), 30) // 3, its marker, is lost
	pushAt(t, a, &c, pkt(4, false, ""), 40)
	pushAt(t, a, &c, pkt(5, false, ""), 50)
	at := a.deadline()
	ok := !at.IsZero()
	if want := t0.Add(40*time.Millisecond + assemblerPatience); !ok || !at.Equal(want) {
		t.Fatalf("deadline %v %v, want %v (patience after the padding showed 3 missing)", at.Sub(t0), ok, want.Sub(t0))
	}
	a.drain(at, c.emit)
	pushAt(t, a, &c, vp8pic(6, true, 12, "f"), int(at.Sub(t0)/time.Millisecond))
	if want := []string{"a", "f"}; !slices.Equal(c.frames, want) || c.lost[1] == 0 {
		t.Errorf("frames %q lost %v, want %q with b's packets lost", c.frames, c.lost, want)
	}
}

// h264Slice is the first slice of a picture as an encoder codes it with
// h264Picture's SPS (frame_num of 4 bits): first_mb_in_slice 0, slice type
// I (IDR) or P, PPS 0, then frame_num. A picture that is no reference has
// nal_ref_idc 0.
func h264Slice(idr, ref bool, frameNum int) []byte {
	header, bits := byte(0x41), "1"+"00110"+"1" // P
	switch {
	case idr:
		header, bits = 0x65, "1"+"0001000"+"1"
	case !ref:
		header = 0x01
	}
	bits += fmt.Sprintf("%04b", frameNum) + "1"
	for len(bits)%8 != 0 {
		bits += "0"
	}
	nal := []byte{header}
	for i := 0; i < len(bits); i += 8 {
		b, _ := strconv.ParseUint(bits[i:i+8], 2, 8)
		nal = append(nal, byte(b))
	}
	return append(nal, bytes.Repeat([]byte{0xaa}, 40)...) // over two packets
}

// TestFrameAssemblerH264PaddingGap: as for VP8 (TestFrameAssemblerPaddingGap),
// a gap after a whole H.264 picture is passed at once when the next
// picture's frame_num shows that no reference picture is missing (the gap
// held padding, or a picture no other needs), or when the next picture is
// an IDR picture that came with its parameter sets. A gap where a
// reference picture, or an IDR picture's parameter sets, may be missing is
// waited for and counted.
func TestFrameAssemblerH264PaddingGap(t *testing.T) {
	key := h264Picture(true)
	key = append(key[:2], h264Slice(true, true, 0))
	type picture struct {
		nals      [][]byte
		lose      bool // all its packets
		loseFirst bool // its first packet (an IDR picture's: its SPS and PPS)
		pad       int  // padding packets after it, the first lost
	}
	ref := func(fn int) picture { return picture{nals: [][]byte{h264Slice(false, true, fn)}} }
	nonRef := func(fn int) picture { return picture{nals: [][]byte{h264Slice(false, false, fn)}} }
	lost := func(p picture) picture { p.lose = true; return p }
	padded := func(p picture, n int) picture { p.pad = n; return p }
	// withSEI: n SEI NAL units, a packet each, before the picture's slice.
	withSEI := func(p picture, n int) picture {
		sei := []byte{0x06, 0x05, 0x01, 0x00, 0x80}
		p.nals = append(slices.Repeat([][]byte{sei}, n), p.nals...)
		return p
	}
	idr := picture{nals: key}
	// wrapped: as many reference pictures lost as frame_num counts (4 bits),
	// so that the next one's frame_num is the one after the last emitted.
	wrapped := []picture{idr, ref(1)}
	for fn := 2; fn < 2+16; fn++ {
		wrapped = append(wrapped, lost(ref(fn%16)))
	}
	wrapped = append(wrapped, ref(2))
	for _, tc := range []struct {
		name     string
		pictures []picture
		emitted  int // pictures emitted at once, with no loss
	}{
		{"lost padding", []picture{idr, padded(ref(1), 2), ref(2), ref(3)}, 4},
		{"a picture that is no reference lost", []picture{idr, ref(1), ref(2), ref(3), lost(nonRef(4)), ref(4)}, 5},
		// Its 3 packets may have held an IDR picture and the reference
		// picture 1 after it, to which 2 refers.
		{"a picture that is no reference lost, the next numbered 2", []picture{idr, ref(1), lost(nonRef(2)), ref(2)}, 2},
		{"lost padding after a picture that is no reference", []picture{idr, ref(1), padded(nonRef(2), 1), ref(2)}, 4},
		{"frame_num wraps", []picture{idr, padded(ref(15), 1), ref(0)}, 3},
		{"an IDR picture with its parameter sets after a loss", []picture{idr, ref(1), lost(ref(2)), idr}, 3},
		{"a reference picture lost", []picture{idr, ref(1), lost(ref(2)), ref(3)}, 2},
		{"lost padding, a reference picture lost", []picture{idr, padded(ref(1), 1), lost(ref(2)), ref(3)}, 2},
		{"a reference picture lost after one that is no reference", []picture{idr, ref(1), nonRef(2), lost(ref(2)), ref(3)}, 3},
		{"an IDR picture's parameter sets lost", []picture{idr, ref(1), {nals: key, loseFirst: true}}, 2},
		{"frame_num gone round", wrapped, 2},
		{"lost padding, the slice after 3 SEI packets", []picture{idr, padded(ref(1), 2), withSEI(ref(2), 3), ref(3)}, 4},
		// Its frame_num is not searched for so far (maxSliceSearch): the
		// gap waits, as after a loss.
		{"lost padding, the slice after 9 SEI packets", []picture{idr, padded(ref(1), 2), withSEI(ref(2), 9), ref(3)}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newFrameAssembler(func() rtp.Depacketizer { return &codecs.H264Packet{} })
			var c collector
			seq, want := uint16(100), 0
			for i, p := range tc.pictures {
				pkts := h264Packets(seq, p.nals)
				seq += uint16(len(pkts))
				if p.lose {
					continue
				}
				want++
				for j, q := range pkts {
					q.Timestamp = uint32(i * 3000) // 30 fps
					if j > 0 || !p.loseFirst {
						pushAt(t, a, &c, q, 0)
					}
				}
				for j := range p.pad {
					if j > 0 {
						pushAt(t, a, &c, pkt(seq, false, ""), 0)
					}
					seq++
				}
			}
			if len(c.frames) != tc.emitted || slices.ContainsFunc(c.lost, func(n int) bool { return n != 0 }) {
				t.Errorf("%d pictures emitted at once, lost %v; want %d with none lost", len(c.frames), c.lost, tc.emitted)
			}
			if tc.emitted < want { // the rest follow once the gap is given up, counted lost
				a.drain(time.Unix(0, 0).Add(assemblerPatience), c.emit)
				if len(c.frames) <= tc.emitted || c.lost[tc.emitted] == 0 {
					t.Errorf("after the patience: %d pictures, lost %v; want more than %d, the loss counted", len(c.frames), c.lost, tc.emitted)
				}
			}
		})
	}
}

// FuzzFrameAssemblerH264 pushes H.264 packets of any payload (SPS, slices,
// STAP-A and FU-A cut anywhere) in any order: reading their frame_num
// neither panics nor stalls a push.
func FuzzFrameAssemblerH264(f *testing.F) {
	for _, p := range append(h264Packets(0, h264Picture(true)), h264Packets(7, [][]byte{h264Slice(false, true, 1)})...) {
		f.Add(p.SequenceNumber, p.Marker, p.Payload)
	}
	f.Fuzz(func(t *testing.T, seq uint16, marker bool, payload []byte) {
		a := newFrameAssembler(func() rtp.Depacketizer { return &codecs.H264Packet{} })
		now := time.Unix(0, 0)
		for _, p := range h264Packets(seq-7, h264Picture(true)) { // a keyframe first, then the packet, twice
			a.push(wire(t, p), now, func(assembled) {})
		}
		for i := range 2 {
			p := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq + uint16(2*i), Marker: marker}, Payload: payload}
			a.push(wire(t, p), now.Add(time.Duration(i)*time.Second), func(assembled) {})
		}
	})
}

// TestPictureIDFollowedBy: the next number follows whether its time is
// ahead or, as a B-frame's is, behind; a number that only looks next, its
// time a whole round of numbers or more away, does not.
func TestPictureIDFollowedBy(t *testing.T) {
	round := uint32(16 * fastestFrame) // the least time a round of 16 numbers takes
	p := pictureID{id: 5, mod: 16, ts: 1 << 31, h264: true}
	for _, c := range []struct {
		name    string
		id      int
		ts      uint32
		follows bool
	}{
		{"next, a frame later", 6, p.ts + 3000, true},
		{"next, a B-frame shown before", 6, p.ts - 3000, true},
		{"next, the clock wrapped", 6, p.ts + 1<<31 + 3000, false},
		{"next number a round later", 6, p.ts + round, false},
		{"next number a round earlier", 6, p.ts - round, false},
		{"a number skipped", 7, p.ts + 3000, false},
	} {
		q := pictureID{id: c.id, mod: 16, ts: c.ts, h264: true}
		if got := p.followedBy(q); got != c.follows {
			t.Errorf("%s: follows %v, want %v", c.name, got, c.follows)
		}
	}
	// Across the clock's wrap.
	w := pictureID{id: 15, mod: 16, ts: 1<<32 - 1000, h264: true}
	if !w.followedBy(pictureID{id: 0, mod: 16, ts: 2000, h264: true}) {
		t.Error("the next number across the clock's wrap does not follow")
	}
}

// TestFrameAssemblerOutgrown: a frame of more packets than the ring holds,
// none missing, is counted as outgrown when it is given up; a jump far
// ahead with packets missing is not.
func TestFrameAssemblerOutgrown(t *testing.T) {
	vp8 := func() rtp.Depacketizer { return &codecs.VP8Packet{} }
	a := newFrameAssembler(vp8)
	push := func(p *rtp.Packet) {
		t.Helper()
		if _, err := a.push(wire(t, p), time.Unix(0, 0), func(assembled) {}); err != nil {
			t.Fatal(err)
		}
	}
	push(vp8pkt(1, true, vp8Start, "a"))
	push(vp8pkt(2, false, vp8Start, "b"))
	for seq := uint16(3); seq < 2+assemblerSlots+10; seq++ {
		push(vp8pkt(seq, false, vp8Middle, "c"))
	}
	if a.outgrown != 1 {
		t.Errorf("a frame of %d packets and more: outgrown %d, want 1", assemblerSlots+10, a.outgrown)
	}
	a = newFrameAssembler(vp8)
	push(vp8pkt(1, true, vp8Start, "a"))
	push(vp8pkt(2, false, vp8Start, "b"))
	push(vp8pkt(3000, false, vp8Middle, "c"))
	if a.outgrown != 0 {
		t.Errorf("a jump over missing packets: outgrown %d, want 0", a.outgrown)
	}
}

// TestFrameAssemblerFollowsARestartNearBehind: a sender whose numbering
// restarts a little lower, within the ring's reach of the newest packet
// (one that restarts at 0 within its first seconds, or by chance), is
// followed after maxLate packets, as one far lower is, when its packets
// are of another time than the stream's last seconds: a new random base,
// or times that went on. It used to be dropped, with nothing counted lost,
// until its numbers passed the old ones (up to 1,023 packets), and then
// a frame's tail went out as a whole frame. From the restart, a frame is
// emitted only from its start.
func TestFrameAssemblerFollowsARestartNearBehind(t *testing.T) {
	for _, tc := range []struct {
		name string
		ts   func(i int) uint32 // the new stream's RTP time of packet i
	}{
		{"a new time base", func(i int) uint32 { return 3_000_000_000 + uint32(i)*3000 }},
		{"times going on", func(i int) uint32 { return 600*3000 + 90000 + uint32(i)*3000 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newFrameAssembler(func() rtp.Depacketizer { return &codecs.VP8Packet{} })
			var c collector
			push := func(p *rtp.Packet) {
				t.Helper()
				if _, err := a.push(wire(t, p), time.Unix(0, 0), c.emit); err != nil {
					t.Fatal(err)
				}
			}
			for i := range 600 { // frames of one packet, 30 a second
				p := vp8pkt(uint16(i), true, vp8Start, "o")
				p.Timestamp = uint32(i) * 3000
				push(p)
			}
			old := len(c.frames)
			// The restart, at 51: frames of two packets, a start and an end,
			// so that the first packet taken after maxLate is an end.
			for k := range 150 {
				start, end := vp8pkt(uint16(51+2*k), false, vp8Start, "S"), vp8pkt(uint16(52+2*k), true, vp8Middle, "E")
				start.Timestamp, end.Timestamp = tc.ts(k), tc.ts(k)
				push(start)
				push(end)
			}
			got := c.frames[old:]
			if want := 150 - maxLate/2 - 1; len(got) < want {
				t.Fatalf("%d frames of the restarted stream's 150, want at least %d", len(got), want)
			}
			for i, f := range got {
				if f != "SE" {
					t.Fatalf("frame %d after the restart: %q, want whole frames only (%q)", i, f, got)
				}
			}
			if c.lost[old] < maxLate-1 {
				t.Errorf("the first frame after the restart counts %d packets lost, want the %d dropped before it was followed at least", c.lost[old], maxLate-1)
			}
		})
	}
}

// TestFrameAssemblerForgetsFragmentsNeverEnded: a sender that begins an
// H.264 FU-A (a frame's first slice) in every frame and never ends it:
// each frame starts with a depacketizer of its own, so the fragments are
// not carried from frame to frame (pion's H.264 depacketizer clears them
// only at a fragment's end), which would grow memory for the session.
func TestFrameAssemblerForgetsFragmentsNeverEnded(t *testing.T) {
	a := newFrameAssembler(func() rtp.Depacketizer { return &codecs.H264Packet{} })
	var c collector
	start := func(b byte) string { return string([]byte{0x7c, 0x85, 0x88, b, b, b}) } // FU-A start, first slice of an IDR picture
	end := func(b byte) string { return string([]byte{0x7c, 0x45, b, b, b}) }
	seq := uint16(1)
	for range 100 {
		pushAt(t, a, &c, pkt(seq, true, start('x')), 0)
		seq++
	}
	pushAt(t, a, &c, pkt(seq, false, start('y')), 0)
	pushAt(t, a, &c, pkt(seq+1, true, end('z')), 0)
	if len(c.frames) != 1 || len(c.frames[0]) > 64 || strings.Contains(c.frames[0], "x") {
		t.Errorf("%d frames, the last of %d bytes: fragments never ended were carried across frames", len(c.frames), len(c.frames[len(c.frames)-1]))
	}
}

// TestFrameAssemblerLossCarriedOverPadding: a frame given up (its middle
// packet lost), then a run of padding only that ends in a marker (a
// browser probing the bandwidth), then a delta frame. The padding run is
// no frame and is not emitted, so the loss must be reported with the delta
// frame: reported with nothing, it would be forgotten, and the decoder
// would decode the delta frame against the picture that was given up.
func TestFrameAssemblerLossCarriedOverPadding(t *testing.T) {
	patience := int(assemblerPatience / time.Millisecond)
	a := newFrameAssembler(func() rtp.Depacketizer { return &codecs.VP8Packet{} })
	var c collector
	pushAt(t, a, &c, vp8pkt(1, true, vp8Start, "a"), 0)
	pushAt(t, a, &c, vp8pkt(2, false, vp8Start, "b"), 10) // 3 is lost
	pushAt(t, a, &c, vp8pkt(4, true, vp8Middle, "d"), 20)
	// The padding comes after the patience: b's frame (2 to 4) is given up.
	pushAt(t, a, &c, pkt(5, false, ""), 30+patience)
	pushAt(t, a, &c, pkt(6, true, ""), 40+patience)
	if want := []string{"a"}; !slices.Equal(c.frames, want) {
		t.Fatalf("frames %q after the padding, want %q (b's broken, the padding none)", c.frames, want)
	}
	pushAt(t, a, &c, vp8pkt(7, true, vp8Start, "e"), 50+patience)
	if want := []string{"a", "e"}; !slices.Equal(c.frames, want) || c.lost[1] != 3 {
		t.Errorf("frames %q lost %v, want %q with b's 3 packets lost reported with e", c.frames, c.lost, want)
	}
}
