package room

import (
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// simPkt is a packet as sent: frame index (-1 padding), packet index in frame.
type simPkt struct {
	raw   []byte
	seq   uint16
	frame int
	at    time.Time
}

type simOpts struct {
	frames    int
	keyEvery  int
	maxPkts   int
	padding   float64 // chance of a padding packet after a frame
	loss      float64
	dup       float64
	reorderMS int
	pid7      bool
	noPID     bool
	seq0      uint16
	ts0       uint32
	lossFrom  int // loss only for frames in [lossFrom, lossTo)
	lossTo    int
}

// paddingAfter adds, at o.padding's chance, a padding-only packet after
// frame f's packets (a sender probing its bandwidth).
func paddingAfter(r *rand.Rand, out []simPkt, o simOpts, seq *uint16, f int, at time.Time) []simPkt {
	if o.padding == 0 || r.Float64() >= o.padding {
		return out
	}
	p := rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: *seq, Timestamp: o.ts0 + uint32(f*3000), Padding: true, PaddingSize: 100}, Payload: []byte{}}
	b, _ := p.Marshal()
	*seq++
	return append(out, simPkt{raw: b, seq: p.SequenceNumber, frame: -1, at: at.Add(5 * time.Millisecond)})
}

// replay pushes pkts, in their order, into a, draining it at each of its
// deadlines that comes before a packet's arrival, as a participant's
// reader does; lossPending is told when a drain gave packets up that
// the next frame will report.
func replay(t *testing.T, a *frameAssembler, pkts []simPkt, emit func(assembled), lossPending func()) {
	t.Helper()
	for _, p := range pkts {
		for {
			dl := a.deadline()
			if dl.IsZero() || !dl.Before(p.at) {
				break
			}
			a.drain(dl, emit)
			if a.lost > 0 {
				lossPending()
			}
			if a.deadline().Equal(dl) {
				break
			}
		}
		if _, err := a.push(p.raw, p.at, emit); err != nil {
			t.Fatal(err)
		}
	}
}

// vp8Stream makes the packets of a VP8 sender: payload bytes after the
// descriptor: 'K' or 'D', then frame index (4 bytes) and packet index.
func vp8Stream(r *rand.Rand, o simOpts) []simPkt {
	var out []simPkt
	seq := o.seq0
	t0 := time.Unix(1000, 0)
	for f := 0; f < o.frames; f++ {
		n := 1 + f%o.maxPkts
		key := f%o.keyEvery == 0
		at := t0.Add(time.Duration(f) * 33 * time.Millisecond)
		for i := 0; i < n; i++ {
			var desc []byte
			s := byte(0)
			if i == 0 {
				s = 0x10
			}
			switch {
			case o.noPID:
				desc = []byte{s}
			case o.pid7:
				desc = []byte{0x80 | s, 0x80, byte(f % 128)}
			default:
				desc = []byte{0x80 | s, 0x80, 0x80 | byte((f%32768)>>8), byte(f % 32768)}
			}
			k := byte('D')
			if key {
				k = 'K'
			}
			payload := append(desc, k, byte(f>>24), byte(f>>16), byte(f>>8), byte(f), byte(i), byte(n))
			p := rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: o.ts0 + uint32(f*3000), Marker: i == n-1}, Payload: payload}
			b, _ := p.Marshal()
			out = append(out, simPkt{raw: b, seq: seq, frame: f, at: at})
			seq++
		}
		out = paddingAfter(r, out, o, &seq, f, at)
	}
	return out
}

// network drops, duplicates and delays packets.
func network(r *rand.Rand, in []simPkt, o simOpts) []simPkt {
	var out []simPkt
	for _, p := range in {
		lossy := p.frame < 0 || (p.frame >= o.lossFrom && p.frame < o.lossTo)
		if lossy && r.Float64() < o.loss {
			continue
		}
		q := p
		if o.reorderMS > 0 {
			q.at = q.at.Add(time.Duration(r.IntN(o.reorderMS)) * time.Millisecond)
		}
		out = append(out, q)
		if r.Float64() < o.dup {
			d := p
			d.at = d.at.Add(time.Duration(r.IntN(50)) * time.Millisecond)
			out = append(out, d)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].at.Before(out[j].at) })
	return out
}

// decoderModel stands for the decoder behind the assembler: after a frame
// told lost it waits for a keyframe; a frame it decodes must follow the
// last one decoded (or be a keyframe), else a picture was predicted from
// one it never had with no loss told: an error.
type decoderModel struct {
	t       *testing.T
	waitKey bool
	last    int // last frame decoded, -1 none
	shown   int
	asked   int
}

func (d *decoderModel) frame(a assembled) {
	// Parse the frame: a sequence of our payloads (after pion strips the descriptor).
	data := a.data
	if len(data) < 7 {
		d.t.Fatalf("short frame % x", data)
	}
	f := int(data[1])<<24 | int(data[2])<<16 | int(data[3])<<8 | int(data[4])
	n := int(data[6])
	if len(data) != 7*n {
		d.t.Fatalf("frame %d: %d bytes, want %d packets of 7: % x", f, len(data), n, data)
	}
	for i := 0; i < n; i++ {
		c := data[7*i:]
		g := int(c[1])<<24 | int(c[2])<<16 | int(c[3])<<8 | int(c[4])
		if g != f || int(c[5]) != i {
			d.t.Fatalf("frame %d mixes packets: % x", f, data)
		}
	}
	key := data[0] == 'K'
	if a.lost > 0 {
		d.waitKey = true
	}
	if d.waitKey && !key {
		d.asked++
		return
	}
	if !key && d.last >= 0 && f != d.last+1 {
		d.t.Errorf("frame %d decoded after %d with nothing lost reported: a corrupt picture, no keyframe asked", f, d.last)
	}
	if !key && d.last < 0 {
		d.asked++
		return
	}
	d.waitKey = false
	d.last = f
	d.shown++
}

// runSim sends a VP8 stream through a network with seed's loss,
// duplicates and reordering into an assembler and the decoder model.
func runSim(t *testing.T, seed uint64, o simOpts) *decoderModel {
	r := rand.New(rand.NewPCG(seed, seed^0x9e37))
	a := newFrameAssembler(func() rtp.Depacketizer { return &codecs.VP8Packet{} })
	d := &decoderModel{t: t, last: -1}
	replay(t, a, network(r, vp8Stream(r, o), o), d.frame, func() { d.waitKey = true })
	return d
}

// TestModelVP8: over 300 random networks (loss, duplicates, reordering,
// padding, numbering and time wraps, each form of picture ID), no frame
// reaches the decoder predicted from one it lacks without a loss told.
func TestModelVP8(t *testing.T) {
	for seed := uint64(0); seed < 300; seed++ {
		for _, o := range []simOpts{
			{frames: 300, keyEvery: 60, maxPkts: 4, padding: 0.3, loss: 0.05, dup: 0.05, reorderMS: 40, lossTo: 1 << 30},
			{frames: 300, keyEvery: 60, maxPkts: 4, padding: 0.3, loss: 0.05, dup: 0.05, reorderMS: 40, pid7: true, lossTo: 1 << 30, seq0: 65500},
			{frames: 300, keyEvery: 60, maxPkts: 3, padding: 0.5, loss: 0.2, dup: 0.1, reorderMS: 100, lossTo: 1 << 30, seq0: 65000, ts0: 0xffff0000},
			{frames: 300, keyEvery: 60, maxPkts: 3, padding: 0.5, loss: 0.1, dup: 0.1, reorderMS: 10, noPID: true, lossTo: 1 << 30},
		} {
			runSim(t, seed, o)
			if t.Failed() {
				t.Fatalf("seed %d opts %+v", seed, o)
			}
		}
	}
}

// TestModelVP8Recovers: loss in a window, then a clean network: the
// keyframes after it are shown.
func TestModelVP8Recovers(t *testing.T) {
	for seed := uint64(0); seed < 300; seed++ {
		o := simOpts{frames: 400, keyEvery: 50, maxPkts: 5, padding: 0.3, loss: 0.5, dup: 0.05, reorderMS: 30, lossFrom: 20, lossTo: 120, pid7: seed%2 == 0}
		d := runSim(t, seed, o)
		if d.last < 350 {
			t.Fatalf("seed %d: last frame shown %d, want the stream shown again after the loss", seed, d.last)
		}
	}
}
