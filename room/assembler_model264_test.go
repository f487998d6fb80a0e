package room

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// h264Stream: frame f is an IDR (with SPS, PPS) every keyEvery, else a P
// picture, a reference unless f%3 == 2. frame_num as an encoder counts.
func h264Stream(r *rand.Rand, o simOpts, mtu uint16) ([]simPkt, map[int]bool) {
	var out []simPkt
	refs := map[int]bool{}
	seq := o.seq0
	t0 := time.Unix(1000, 0)
	var pay codecs.H264Payloader
	frameNum := 0
	for f := 0; f < o.frames; f++ {
		key := f%o.keyEvery == 0
		ref := key || f%3 != 2
		if key {
			frameNum = 0
		}
		refs[f] = ref
		slice := h264Slice(key, ref, frameNum%16)
		slice = slice[:len(slice)-40]
		tag := []byte{0xaa, 'F', 0x80 | byte(f>>14)&0x7f, 0x80 | byte(f>>7)&0x7f, 0x80 | byte(f)&0x7f, 0xaa}
		slice = append(slice, bytes.Repeat(tag, 1+f%5)...)
		nals := [][]byte{slice}
		if key {
			nals = append([][]byte{{0x67, 0x42, 0xc0, 0x1e, 0xd9, 0x00, 0xa0, 0x47}, {0x68, 0xce, 0x3c, 0x80}}, nals...)
		}
		if ref {
			frameNum++
		}
		payloads := pay.Payload(mtu, annexB(nals))
		at := t0.Add(time.Duration(f) * 33 * time.Millisecond)
		for i, pl := range payloads {
			p := rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: o.ts0 + uint32(f*3000), Marker: i == len(payloads)-1}, Payload: pl}
			b, _ := p.Marshal()
			out = append(out, simPkt{raw: b, seq: seq, frame: f, at: at})
			seq++
		}
		out = paddingAfter(r, out, o, &seq, f, at)
	}
	return out, refs
}

type h264Model struct {
	t       *testing.T
	refs    map[int]bool
	waitKey bool
	lastRef int
	last    int
	shown   int
}

func (d *h264Model) frame(a assembled) {
	i := bytes.Index(a.data, []byte{0xaa, 'F'})
	if i < 0 {
		d.t.Fatalf("no tag: % x", a.data)
	}
	f := int(a.data[i+2]&0x7f)<<14 | int(a.data[i+3]&0x7f)<<7 | int(a.data[i+4]&0x7f)
	if want := 1 + f%5; bytes.Count(a.data, []byte{'F', 0x80 | byte(f>>14)&0x7f, 0x80 | byte(f>>7)&0x7f, 0x80 | byte(f)&0x7f}) != want {
		d.t.Fatalf("frame %d not whole: % x", f, a.data)
	}
	key := bytes.Contains(a.data, []byte{0, 0, 0, 1, 0x65})
	if a.lost > 0 {
		d.waitKey = true
	}
	if d.waitKey && !key || !key && d.lastRef < 0 {
		return
	}
	if !key {
		need := -1
		for g := f - 1; g >= 0; g-- {
			if d.refs[g] {
				need = g
				break
			}
		}
		if need != d.lastRef {
			d.t.Errorf("frame %d decoded with reference %d missing (last reference decoded %d), nothing lost reported", f, need, d.lastRef)
		}
	}
	d.waitKey = false
	if d.refs[f] {
		d.lastRef = f
	}
	d.last = f
	d.shown++
}

func runSim264(t *testing.T, seed uint64, o simOpts, mtu uint16) *h264Model {
	r := rand.New(rand.NewPCG(seed, seed^0x9e37))
	sent, refs := h264Stream(r, o, mtu)
	a := newFrameAssembler(func() rtp.Depacketizer { return &codecs.H264Packet{} })
	d := &h264Model{t: t, refs: refs, lastRef: -1, last: -1}
	replay(t, a, network(r, sent, o), d.frame, func() { d.waitKey = true })
	return d
}

// TestModelH264: TestModelVP8's networks over H.264 in FU-A and STAP-A
// packets of three sizes, pictures that are not references among them.
func TestModelH264(t *testing.T) {
	for seed := uint64(0); seed < 300; seed++ {
		for _, o := range []simOpts{
			{frames: 300, keyEvery: 60, padding: 0.3, loss: 0.05, dup: 0.05, reorderMS: 40, lossTo: 1 << 30},
			{frames: 300, keyEvery: 60, padding: 0.5, loss: 0.2, dup: 0.1, reorderMS: 100, lossTo: 1 << 30, seq0: 65000, ts0: 0xffff0000},
		} {
			for _, mtu := range []uint16{12, 30, 1200} {
				runSim264(t, seed, o, mtu)
				if t.Failed() {
					t.Fatalf("seed %d mtu %d opts %+v", seed, mtu, o)
				}
			}
		}
	}
}
