package room

import (
	"math"
	"slices"
	"testing"
	"time"

	"gopkg.in/hraban/opus.v2"

	"mcu/codec"
	"mcu/internal/mediatest"
)

const opusFrame = 960 // 20 ms per channel

// voicedOpus encodes count 20 ms packets of mono speech-like sound (eight
// harmonics of a gliding 120..220 Hz pitch under a ~4 Hz syllable
// envelope) as a browser does for a call: VOIP mode, 24 kbit/s, in-band
// FEC on, 20 % loss expected. (codec's Opus encoder is the server's 64
// kbit/s music setting, whose CELT packets carry no FEC.)
func voicedOpus(t *testing.T, count int) [][]byte {
	t.Helper()
	return voicedOpusAt(t, count, 24_000)
}

// voicedOpusAt is voicedOpus at another bitrate: from about 32 kbit/s,
// libopus codes such sound in hybrid packets (SILK and CELT; TOC
// configurations 12-15), below in SILK ones (0-11), both with FEC.
func voicedOpusAt(t *testing.T, count, bitrate int) [][]byte {
	t.Helper()
	return voicedOpusPackets(t, count, bitrate, opusFrame)
}

// voicedOpusPackets is voicedOpus at bitrate, in packets of frame samples
// (mono, 48 kHz): 480 for 10 ms, 1920 for 40, 2880 for 60.
func voicedOpusPackets(t *testing.T, count, bitrate, frame int) [][]byte {
	t.Helper()
	enc := browserOpusEncoder(t, bitrate)
	pcm := make([]int16, frame)
	buf := make([]byte, 1500)
	pkts := make([][]byte, count)
	for i := range pkts {
		for j := range pcm {
			v, env := mediatest.Speech(float64(i*frame+j)/codec.OpusSampleRate, 8)
			pcm[j] = int16(0.3 * 32767 * env * v / 2)
		}
		n, err := enc.Encode(pcm, buf)
		if err != nil {
			t.Fatal(err)
		}
		pkts[i] = append([]byte(nil), buf[:n]...)
	}
	return pkts
}

// frames collects what an opusIn hands out, one slice per call.
type frames [][]int16

func (f *frames) out(pcm []int16) { *f = append(*f, slices.Clone(pcm)) }

// feed pushes pkts, numbered from first, to a new opusIn, leaving out
// those in lost.
func feed(t *testing.T, pkts [][]byte, first uint16, lost ...int) frames {
	t.Helper()
	in, err := newOpusIn()
	if err != nil {
		t.Fatal(err)
	}
	var got frames
	for i, p := range pkts {
		if !slices.Contains(lost, i) {
			in.push(first+uint16(i), p, got.out)
		}
	}
	return got
}

// reference decodes pkts as opusIn should: each lost run of up to five is
// made up for with fill (which gets the packet after the run, and the index
// of the frame in it), the rest decoded.
func reference(t *testing.T, pkts [][]byte, fill func(d *codec.OpusDecoder, next []byte, i, run int, pcm []int16) error, lost ...int) frames {
	t.Helper()
	d, err := codec.NewOpusDecoder()
	if err != nil {
		t.Fatal(err)
	}
	var want frames
	pcm := make([]int16, codec.MaxOpusSamples*codec.OpusChannels)
	run := 0
	for i, p := range pkts {
		if slices.Contains(lost, i) {
			run++
			continue
		}
		for j := range min(run, maxConcealed) {
			if err := fill(d, p, j, run, pcm[:2*opusFrame]); err != nil {
				t.Fatal(err)
			}
			want.out(pcm[:2*opusFrame])
		}
		run = 0
		n, err := d.Decode(p, pcm)
		if err != nil {
			t.Fatal(err)
		}
		want.out(pcm[:2*n])
	}
	return want
}

// withFEC makes up for a run as opusIn does: conceal, then the last frame
// from FEC.
func withFEC(d *codec.OpusDecoder, next []byte, i, run int, pcm []int16) error {
	if i == run-1 {
		return d.DecodeFEC(next, pcm)
	}
	return d.Conceal(pcm)
}

// concealOnly makes up for a run as readAudio did before FEC.
func concealOnly(d *codec.OpusDecoder, _ []byte, _, _ int, pcm []int16) error {
	return d.Conceal(pcm)
}

// sqErr returns the energy of got − want and that of want.
func sqErr(got, want []int16) (e, w float64) {
	for i := range want {
		d := float64(got[i]) - float64(want[i])
		e += d * d
		w += float64(want[i]) * float64(want[i])
	}
	return e, w
}

// TestOpusInRecoversFromFEC loses one, then three packets in a row, at
// several places of a VOIP stream whose numbers wrap around. opusIn must
// hand out a frame per packet, lost or not, in order: concealment, then
// the frame before the gap's end from FEC. That frame, and the next (which
// the decoder continues from it), must come much closer to the lossless
// decode than concealment alone, as readAudio did.
//
// Both in SILK packets (24 kbit/s) and in hybrid ones (40 kbit/s: a
// browser's sound once its bitrate is raised for FEC), whose FEC libopus
// reads too.
func TestOpusInRecoversFromFEC(t *testing.T) {
	for _, stream := range []struct {
		name           string
		bitrate        int
		minTOC, maxTOC byte // the packets' configurations
	}{{"SILK", 24_000, 0, 11}, {"hybrid", 40_000, 12, 15}} {
		t.Run(stream.name, func(t *testing.T) {
			pkts := voicedOpusAt(t, 60, stream.bitrate)
			for i, p := range pkts[10:] {
				if c := p[0] >> 3; c < stream.minTOC || c > stream.maxTOC {
					t.Fatalf("packet %d of configuration %d, want %d-%d", 10+i, c, stream.minTOC, stream.maxTOC)
				}
			}
			recoversFromFEC(t, pkts)
		})
	}
}

// recoversFromFEC is TestOpusInRecoversFromFEC for one stream.
func recoversFromFEC(t *testing.T, pkts [][]byte) {
	const first = 65530 // the sequence numbers wrap at the 6th packet
	lossless := feed(t, pkts, first)
	if want := reference(t, pkts, withFEC); !slices.EqualFunc(lossless, want, slices.Equal) {
		t.Fatal("without loss, opusIn's output differs from plain decoding")
	}
	for _, tc := range []struct {
		name string
		run  int
		// most error energy of the FEC frame and the next, as a fraction
		// of concealment's: measured here (libopus 1.3.1) 0.03 for one
		// lost and 0.29 for three; after concealed frames, FEC starts
		// from a guessed history and gains less.
		ratio float64
	}{{"one lost", 1, 0.25}, {"three lost", 3, 0.6}} {
		t.Run(tc.name, func(t *testing.T) {
			var fecErr, plcErr, energy float64
			gaps, fecCloser := 0, 0
			for at := 20; at+tc.run < len(pkts)-4; at += 2 {
				var lost []int
				for i := range tc.run {
					lost = append(lost, at+i)
				}
				got := feed(t, pkts, first, lost...)
				if len(got) != len(pkts) {
					t.Fatalf("lost %v: %d frames out, want %d", lost, len(got), len(pkts))
				}
				for i, f := range got {
					if len(f) != 2*opusFrame {
						t.Fatalf("lost %v: frame %d has %d samples, want %d", lost, i, len(f), 2*opusFrame)
					}
				}
				if want := reference(t, pkts, withFEC, lost...); !slices.EqualFunc(got, want, slices.Equal) {
					t.Fatalf("lost %v: not the frames before, concealment, FEC, then the rest, in order", lost)
				}
				plc := reference(t, pkts, concealOnly, lost...)
				last := at + tc.run - 1 // the frame recovered from FEC
				ef, w := sqErr(got[last], lossless[last])
				ep, _ := sqErr(plc[last], lossless[last])
				gaps++
				if ef < ep {
					fecCloser++
				}
				t.Logf("lost %v: error energy of frame %d (of its lossless energy): FEC %.3f, concealed %.3f", lost, last, ef/w, ep/w)
				for _, f := range []int{last, last + 1} {
					ef, w := sqErr(got[f], lossless[f])
					ep, _ := sqErr(plc[f], lossless[f])
					fecErr, plcErr, energy = fecErr+ef, plcErr+ep, energy+w
				}
			}
			t.Logf("FEC frame closer in %d gaps of %d; error energy of it and the next (of their lossless energy): FEC %.3f, concealed %.3f (ratio %.2f)",
				fecCloser, gaps, fecErr/energy, plcErr/energy, fecErr/plcErr)
			if fecErr >= tc.ratio*plcErr {
				t.Errorf("error energy with FEC %.3f, concealed %.3f: want below %.0f %% of it", fecErr/energy, plcErr/energy, 100*tc.ratio)
			}
			if 2*fecCloser <= gaps {
				t.Errorf("FEC frame closer in %d gaps of %d: want most", fecCloser, gaps)
			}
		})
	}
}

// TestOpusInGaps checks what opusIn hands out around odd packets: late and
// duplicate ones are dropped, a long gap is made up for with at most
// maxConcealed frames, an empty or broken packet after a gap still gets
// the gap concealed.
func TestOpusInGaps(t *testing.T) {
	pkts := voicedOpus(t, 20)
	for _, tc := range []struct {
		name string
		seqs []uint16 // pkts[i] is sent as packet seqs[i]
		want int      // frames out
	}{
		{"in order", []uint16{0, 1, 2, 3}, 4},
		{"duplicate", []uint16{0, 1, 1, 2}, 3},
		{"reordered", []uint16{0, 2, 1, 3}, 4}, // 1 is made up for, then dropped
		{"late", []uint16{5, 6, 4, 7}, 3},
		{"gap of five", []uint16{0, 6, 7}, 3 + 5},
		{"gap of seven", []uint16{0, 8, 9}, 3 + maxConcealed},
		{"wrap", []uint16{65534, 65535, 0, 2}, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := newOpusIn()
			if err != nil {
				t.Fatal(err)
			}
			var got frames
			for i, seq := range tc.seqs {
				in.push(seq, pkts[i], got.out)
			}
			if len(got) != tc.want {
				t.Errorf("%d frames out, want %d", len(got), tc.want)
			}
		})
	}
	for _, tc := range []struct {
		name string
		next []byte
	}{{"empty", nil}, {"broken", []byte{0xff, 0xff, 0xff}}} {
		t.Run(tc.name+" packet after a gap", func(t *testing.T) {
			in, err := newOpusIn()
			if err != nil {
				t.Fatal(err)
			}
			var got frames
			in.push(0, pkts[0], got.out)
			in.push(3, tc.next, got.out) // 1 and 2 concealed, 3 undecodable
			in.push(4, pkts[1], got.out)
			if len(got) != 1+2+1 {
				t.Errorf("%d frames out, want 4", len(got))
			}
		})
	}
}

// TestOpusInAllocs: a packet in order, and one after a loss, allocate
// nothing.
func TestOpusInAllocs(t *testing.T) {
	pkts := voicedOpus(t, 2)
	in, err := newOpusIn()
	if err != nil {
		t.Fatal(err)
	}
	out := func([]int16) {}
	var seq uint16
	if a := testing.AllocsPerRun(100, func() {
		seq++
		in.push(seq, pkts[seq%2], out)
	}); a != 0 {
		t.Errorf("%.1f allocations per packet in order", a)
	}
	if a := testing.AllocsPerRun(100, func() {
		seq += 2
		in.push(seq, pkts[seq%2], out)
	}); a != 0 {
		t.Errorf("%.1f allocations per packet after a loss", a)
	}
}

// TestOpusInFollowsARestart: a sender whose numbering goes back (it
// restarted) is heard again after maxLateAudio packets, not silent until
// its numbers catch up with the old ones.
func TestOpusInFollowsARestart(t *testing.T) {
	pkts := voicedOpus(t, 4+maxLateAudio+5)
	in, err := newOpusIn()
	if err != nil {
		t.Fatal(err)
	}
	var got frames
	for i := range 4 {
		in.push(uint16(40000+i), pkts[i], got.out)
	}
	for i := range maxLateAudio + 5 {
		in.push(uint16(30000+i), pkts[4+i], got.out) // 10,000 behind
	}
	// The first maxLateAudio-1 are dropped as late, the next taken.
	if want := 4 + 6; len(got) != want {
		t.Errorf("%d frames out, want %d", len(got), want)
	}
}

// TestOpusInKeepsToTheClock: a sender of far more audio than time passes
// (packets as fast as it can) gets decodeLead of it decoded at once, then
// as much as the clock moves on, also after a long silence (which buys no
// more than decodeLead); a sender in real time loses nothing over a long
// call, nor a sender whose network stalls for 5 s and then delivers the
// 5 s at once, nor concealment of the packets it lost.
func TestOpusInKeepsToTheClock(t *testing.T) {
	pkt := voicedOpus(t, 1)[0] // 20 ms
	const frame = 20 * time.Millisecond
	for _, tc := range []struct {
		name    string
		n       int
		advance func(i int) time.Duration // the clock, before packet i
		lost    func(i int) bool
		want    time.Duration // audio handed out
		step    uint16        // between sequence numbers (1 if 0)
	}{
		{"flood", 1000, func(int) time.Duration { return 0 }, nil, decodeLead + frame, 0},
		// Five numbers skipped each time: each packet would be made up for
		// five times over.
		{"flood with gaps", 1000, func(int) time.Duration { return 0 }, nil, decodeLead + frame, 6},
		{"real time", 3 * 60 * 50, func(int) time.Duration { return frame }, nil, 3 * time.Minute, 0},
		{"flood after a minute of silence", 4000, func(i int) time.Duration {
			if i == 1 {
				return time.Minute
			}
			return 0
		}, nil, 2*decodeLead + 2*frame, 0}, // the first packet, the silence kept up to decodeLead, decodeLead ahead
		{"stall, then the stalled audio at once", 750, func(i int) time.Duration {
			if i >= 250 && i < 500 {
				if i == 250 {
					return 5 * time.Second
				}
				return 0
			}
			return frame
		}, nil, 15 * time.Second, 0},
		{"losses, made up for", 500, func(int) time.Duration { return frame }, func(i int) bool { return i%10 == 3 }, 10 * time.Second, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := newOpusIn()
			if err != nil {
				t.Fatal(err)
			}
			clock := time.Unix(0, 0)
			in.now = func() time.Time { return clock }
			samples := 0
			for i := range tc.n {
				clock = clock.Add(tc.advance(i))
				if tc.lost == nil || !tc.lost(i) {
					in.push(uint16(i)*max(tc.step, 1), pkt, func(pcm []int16) { samples += len(pcm) / codec.OpusChannels })
				}
			}
			// (A sender's clock may run paceSlack fast for as long as it sent.)
			if got := time.Duration(samples) * time.Second / codec.OpusSampleRate; got < tc.want || got > tc.want+tc.want/paceSlack {
				t.Errorf("%v of audio handed out, want %v (up to %v)", got, tc.want, tc.want+tc.want/paceSlack)
			}
		})
	}
}

// TestOpusInLongPacketsAfterADryTick: a sender of 60 ms packets loses
// some, and the mixer's ticks found nothing to play meanwhile, concealed
// (up to 100 ms) or silent. What is made up for before the next packet
// counts what the ticks concealed, and stops at 100 ms in all, as for
// 20 ms packets: one lost packet after one dry tick gets the 40 ms the
// tick did not cover, not all 60 (which would add 20 ms of delay); three
// lost after nine dry ticks (five concealed) get nothing more, where
// 80 ms more would have been queued behind the silent ticks.
func TestOpusInLongPacketsAfterADryTick(t *testing.T) {
	enc, err := opus.NewEncoder(codec.OpusSampleRate, 1, opus.AppVoIP)
	if err != nil {
		t.Fatal(err)
	}
	if err := enc.SetInBandFEC(true); err != nil {
		t.Fatal(err)
	}
	pcm := make([]int16, 3*opusFrame) // 60 ms, mono
	for j := range pcm {
		pcm[j] = int16(8000 * math.Sin(2*math.Pi*300*float64(j)/codec.OpusSampleRate))
	}
	var pkts [][]byte
	buf := make([]byte, 1500)
	for range 5 {
		n, err := enc.Encode(pcm, buf)
		if err != nil {
			t.Fatal(err)
		}
		pkts = append(pkts, append([]byte(nil), buf[:n]...))
	}
	for _, tc := range []struct {
		lost, dry, concealed int
		madeUp               int // samples per channel
	}{
		{lost: 1, dry: 1, concealed: 1, madeUp: 2 * opusFrame},
		{lost: 3, dry: 2, concealed: 2, madeUp: 3 * opusFrame}, // 100 ms less the 40 concealed
		{lost: 3, dry: 9, concealed: 5, madeUp: 0},
		{lost: 2, dry: 0, concealed: 0, madeUp: 5 * opusFrame}, // 120 ms lost, 100 made up
	} {
		in, err := newOpusIn()
		if err != nil {
			t.Fatal(err)
		}
		var got frames
		in.push(10, pkts[0], got.out)
		concealed := 0
		tick := make([]int16, 2*opusFrame) // 20 ms, stereo
		for range tc.dry {
			if in.concealNow(tick) {
				concealed++
			}
		}
		in.push(uint16(11+tc.lost), pkts[1+tc.lost], got.out)
		samples := 0
		for _, f := range got {
			samples += len(f) / codec.OpusChannels
		}
		if want := 3*opusFrame + tc.madeUp + 3*opusFrame; samples != want || concealed != tc.concealed {
			t.Errorf("%d lost, %d dry ticks: %d concealed, %d samples handed out; want %d and %d: the first packet, %d made up, the last",
				tc.lost, tc.dry, concealed, samples, tc.concealed, want, tc.madeUp)
		}
	}
}

// browserOpusEncoder is an Opus encoder set as a browser's is for a call:
// mono, VOIP mode, 24 kbit/s, in-band FEC on, 20 % loss expected.
func browserOpusEncoder(t *testing.T, bitrate int) *opus.Encoder {
	t.Helper()
	enc, err := opus.NewEncoder(codec.OpusSampleRate, 1, opus.AppVoIP)
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{enc.SetBitrate(bitrate), enc.SetInBandFEC(true), enc.SetPacketLossPerc(20)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return enc
}
