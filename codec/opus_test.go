//go:build cgo

package codec

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/hraban/opus.v2"

	"mcu/internal/mediatest"
)

// goertzel returns the amplitude (fraction of full scale) of a sine at hz in
// one channel of interleaved stereo PCM.
func goertzel(pcm []int16, channel int, hz float64) float64 {
	n := len(pcm) / 2
	k := 2 * math.Cos(2*math.Pi*hz/OpusSampleRate)
	var s1, s2 float64
	for i := range n {
		s := float64(pcm[2*i+channel])/32768 + k*s1 - s2
		s2, s1 = s1, s
	}
	power := s1*s1 + s2*s2 - k*s1*s2
	return 2 * math.Sqrt(power) / float64(n)
}

func sine(hz, amp float64, from, n int) []int16 {
	pcm := make([]int16, 2*n)
	for i := range n {
		v := int16(amp * 32767 * math.Sin(2*math.Pi*hz*float64(from+i)/OpusSampleRate))
		pcm[2*i], pcm[2*i+1] = v, v
	}
	return pcm
}

// TestOpusContinueFrom: an encoder that takes on another's state makes the
// very packets the other makes from then on, settings included (the other's
// expected loss), and a fresh encoder does not.
func TestOpusContinueFrom(t *testing.T) {
	cfg := DefaultOpusConfig()
	newEnc := func() *OpusEncoder {
		e, err := NewOpusEncoder(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	src, dst, fresh := newEnc(), newEnc(), newEnc()
	if err := src.SetPacketLoss(10); err != nil {
		t.Fatal(err)
	}
	frame := func(i int) []int16 { return sine(440, 0.2, i*960, 960) }
	for i := range 10 {
		if _, err := src.Encode(frame(i)); err != nil {
			t.Fatal(err)
		}
		if _, err := dst.Encode(sine(1230, 0.2, i*960, 960)); err != nil { // another history
			t.Fatal(err)
		}
	}
	if err := dst.ContinueFrom(src); err != nil {
		t.Fatal(err)
	}
	if dst.PacketLoss() != 10 {
		t.Errorf("expected loss %d after the copy, want the source's 10", dst.PacketLoss())
	}
	for i := 10; i < 15; i++ {
		a, err := src.Encode(frame(i))
		if err != nil {
			t.Fatal(err)
		}
		b, err := dst.Encode(frame(i))
		if err != nil {
			t.Fatal(err)
		}
		c, err := fresh.Encode(frame(i))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("frame %d: the copy's packet differs from the source's", i)
		}
		if i == 10 && bytes.Equal(a, c) {
			t.Error("a fresh encoder makes the source's packet too: the check proves nothing")
		}
	}
}

func TestOpusRoundTrip(t *testing.T) {
	enc, err := NewOpusEncoder(DefaultOpusConfig())
	if err != nil {
		t.Fatal(err)
	}
	dec, err := NewOpusDecoder()
	if err != nil {
		t.Fatal(err)
	}
	const frame = 960
	var decoded []int16
	pcm := make([]int16, MaxOpusSamples*OpusChannels)
	for i := range 50 { // 1 s
		pkt, err := enc.Encode(sine(1000, 0.25, i*frame, frame))
		if err != nil {
			t.Fatal(err)
		}
		n, err := dec.Decode(pkt, pcm)
		if err != nil {
			t.Fatal(err)
		}
		if n != frame {
			t.Fatalf("decoded %d samples, want %d", n, frame)
		}
		decoded = append(decoded, pcm[:2*n]...)
	}
	tail := decoded[len(decoded)/2:] // past the codec's start-up
	for ch := range 2 {
		// A 64 kbit/s codec keeps a pure tone within a dB; a silent or
		// garbled channel would be far off.
		if a := goertzel(tail, ch, 1000); math.Abs(20*math.Log10(a/0.25)) > 1 {
			t.Errorf("channel %d: 1 kHz amplitude %.3f, want 0.25 ±1 dB", ch, a)
		}
		if a := goertzel(tail, ch, 1500); a > 0.0025 {
			t.Errorf("channel %d: energy at 1.5 kHz %.4f, want none", ch, a)
		}
	}
	// Packet loss concealment fills the asked length with the tone going
	// on, fading but not gone in its first 20 ms.
	for i := range pcm {
		pcm[i] = math.MinInt16 // nothing Opus makes of a 0.25 tone
	}
	if err := dec.Conceal(pcm[:2*frame]); err != nil {
		t.Fatal(err)
	}
	if i := slices.Index(pcm[:2*frame], math.MinInt16); i >= 0 {
		t.Errorf("concealment left sample %d of %d unwritten", i, 2*frame)
	}
	if pcm[2*frame] != math.MinInt16 {
		t.Error("concealment wrote past the asked length")
	}
	for ch := range 2 {
		if a := goertzel(pcm[:2*frame], ch, 1000); a < 0.25/4 {
			t.Errorf("channel %d: concealed 1 kHz amplitude %.3f, want the tone carried on (at least -12 dB)", ch, a)
		}
	}
	if _, err := dec.Decode(nil, pcm); err == nil {
		t.Error("empty packet accepted")
	}
	if _, err := dec.Decode([]byte{0xff, 0xff, 0xff}, pcm); err == nil {
		t.Error("invalid packet accepted")
	}
}

func TestOpusHead(t *testing.T) {
	h := OpusHead()
	if len(h) != 19 || !bytes.HasPrefix(h, []byte("OpusHead")) || h[9] != 2 {
		t.Fatalf("OpusHead % x", h)
	}
	if got := int(h[10]) | int(h[11])<<8; got != OpusPreSkip {
		t.Errorf("pre-skip %d", got)
	}
	if got := int(h[12]) | int(h[13])<<8 | int(h[14])<<16; got != 48000 {
		t.Errorf("rate %d", got)
	}
}

func TestOpusConfigValidate(t *testing.T) {
	for _, c := range []OpusConfig{{Bitrate: 1000, Complexity: 5}, {Bitrate: 64000, Complexity: 11},
		{Bitrate: 64000, PacketLoss: -1}, {Bitrate: 64000, PacketLoss: 101}} {
		if c.Validate() == nil {
			t.Errorf("accepted %+v", c)
		}
	}
}

// TestOpusFFmpegArgs runs the ffmpeg CLI with the options meant to match an
// OpusEncoder: FFmpeg must accept every one of them, and the stream it
// writes must be Opus at 48 kHz stereo.
func TestOpusFFmpegArgs(t *testing.T) {
	cfg := DefaultOpusConfig()
	args := cfg.FFmpegArgs()
	for _, want := range [][2]string{{"-compression_level", "8"}, {"-b:a", "64000"}, {"-fec", "1"}, {"-packet_loss", "0"}} {
		if i := slices.Index(args, want[0]); i < 0 || i+1 >= len(args) || args[i+1] != want[1] {
			t.Errorf("FFmpegArgs: want %s %s in %q", want[0], want[1], args)
		}
	}
	out := filepath.Join(t.TempDir(), "a.ogg")
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmdArgs := append([]string{"-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=0.5"}, args...)
	if b, err := exec.CommandContext(ctx, "ffmpeg", append(cmdArgs, out)...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg refused the options: %v: %s", err, b)
	}
	b, err := exec.CommandContext(ctx, "ffprobe", "-v", "error", "-show_entries", "stream=codec_name,sample_rate,channels",
		"-of", "csv=p=0", out).Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(b)); got != "opus,48000,2" {
		t.Errorf("ffprobe: got %q, want opus,48000,2", got)
	}
}

// voiced returns n samples of mono speech-like sound from sample from on:
// eight harmonics of a pitch that glides between 120 and 220 Hz, under a
// syllable envelope (about 4 per second) that swells and fades.
func voiced(from, n int) []int16 {
	pcm := make([]int16, n)
	for i := range n {
		v, env := mediatest.Speech(float64(from+i)/OpusSampleRate, 8)
		pcm[i] = int16(0.3 * 32767 * env * v / 2)
	}
	return pcm
}

// voipPackets encodes count 20 ms packets of voiced mono the way a browser
// does for a call: VOIP mode, 24 kbit/s, in-band FEC on, 20 % loss
// expected (FEC only exists in SILK and hybrid packets).
func voipPackets(t *testing.T, count int) [][]byte {
	t.Helper()
	enc, err := opus.NewEncoder(OpusSampleRate, 1, opus.AppVoIP)
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{enc.SetBitrate(24_000), enc.SetInBandFEC(true), enc.SetPacketLossPerc(20)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	const frame = 960
	buf := make([]byte, 1500)
	pkts := make([][]byte, count)
	for i := range pkts {
		n, err := enc.Encode(voiced(i*frame, frame), buf)
		if err != nil {
			t.Fatal(err)
		}
		pkts[i] = append([]byte(nil), buf[:n]...)
	}
	return pkts
}

// errEnergy is the energy of got − want relative to want's.
func errEnergy(got, want []int16) float64 {
	var e, w float64
	for i := range want {
		d := float64(got[i]) - float64(want[i])
		e += d * d
		w += float64(want[i]) * float64(want[i])
	}
	return e / w
}

// fecBeatsPLC is the most error energy the frames recovered from FEC may
// have, summed over the losses tried, as a fraction of the PLC guesses'. Measured
// here (libopus 1.3.1, Debian 12): FEC 1.24 against PLC 6.79, a ratio of
// 0.18; half leaves a wide margin for other libopus builds.
const fecBeatsPLC = 0.5

// TestOpusDecodeFEC drops one packet of a VOIP stream at several places
// and recovers the lost frame from the next packet's FEC, then from PLC:
// FEC must come much closer to what the decoder gave without the loss.
func TestOpusDecodeFEC(t *testing.T) {
	const frame = 960
	pkts := voipPackets(t, 60)
	lossless := make([][]int16, len(pkts))
	dec, err := NewOpusDecoder()
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]int16, MaxOpusSamples*OpusChannels)
	for i, p := range pkts {
		n, err := dec.Decode(p, pcm)
		if err != nil || n != frame {
			t.Fatalf("packet %d: %d samples, %v", i, n, err)
		}
		lossless[i] = slices.Clone(pcm[:2*n])
	}
	// lose decodes up to lost, then fills the lost frame with fill.
	lose := func(lost int, fill func(*OpusDecoder, []int16) error) []int16 {
		dec, err := NewOpusDecoder()
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pkts[:lost] {
			if _, err := dec.Decode(p, pcm); err != nil {
				t.Fatal(err)
			}
		}
		out := make([]int16, 2*frame)
		if err := fill(dec, out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	var fecSum, plcSum float64
	for lost := 20; lost < 56; lost += 3 {
		fec := lose(lost, func(d *OpusDecoder, out []int16) error { return d.DecodeFEC(pkts[lost+1], out) })
		plc := lose(lost, func(d *OpusDecoder, out []int16) error { return d.Conceal(out) })
		ef, ep := errEnergy(fec, lossless[lost]), errEnergy(plc, lossless[lost])
		t.Logf("packet %d lost: error energy FEC %.3f, PLC %.3f", lost, ef, ep)
		fecSum += ef
		plcSum += ep
	}
	t.Logf("all losses: error energy FEC %.3f, PLC %.3f (ratio %.2f)", fecSum, plcSum, fecSum/plcSum)
	if fecSum >= fecBeatsPLC*plcSum {
		t.Errorf("FEC error energy %.3f, PLC %.3f: want FEC below %.0f %% of PLC", fecSum, plcSum, 100*fecBeatsPLC)
	}

	// Garbage, an empty packet or a bad length is an error, never a panic.
	for _, p := range [][]byte{nil, {0xff, 0xff, 0xff}, {0x0b, 0xff}} {
		if err := dec.DecodeFEC(p, pcm[:2*frame]); err == nil {
			t.Errorf("DecodeFEC(% x) accepted", p)
		}
	}
	for _, n := range []int{0, 1, 2 * 100} {
		if err := dec.DecodeFEC(pkts[0], pcm[:n]); err == nil {
			t.Errorf("DecodeFEC into %d samples accepted", n)
		}
	}
	// A packet without FEC (CELT, from the 64 kbit/s encoder) falls back
	// to concealment: the frame is filled, no error.
	enc, err := NewOpusEncoder(DefaultOpusConfig())
	if err != nil {
		t.Fatal(err)
	}
	celt, err := enc.Encode(sine(1000, 0.25, 0, frame))
	if err != nil {
		t.Fatal(err)
	}
	if err := dec.DecodeFEC(celt, pcm[:2*frame]); err != nil {
		t.Errorf("DecodeFEC without FEC: %v, want concealment", err)
	}
}

// speech returns n samples of stereo speech-like sound from sample from
// on: voiced (as voiced, with 40 harmonics, so up to 9 kHz) and, between
// the syllables, a faint fricative hiss over the whole band. Without the
// high frequencies libopus would code it in a narrower band than
// fullband (it measures the bandwidth in use).
func speech(from, n int) []int16 {
	pcm := make([]int16, 2*n)
	noise := rand.New(rand.NewPCG(uint64(from), 1))
	for i := range n {
		v, env := mediatest.Speech(float64(from+i)/OpusSampleRate, 40)
		hiss := (2*noise.Float64() - 1) * 0.05 * (1 - env)
		s := int16(32767 * (0.15*env*v + hiss))
		pcm[2*i], pcm[2*i+1] = s, s
	}
	return pcm
}

// tocConfig is an Opus packet's configuration number (RFC 6716 3.1):
// 0..11 SILK, 12..15 hybrid, 16..31 CELT, of which 28..31 fullband.
func tocConfig(p []byte) int { return int(p[0] >> 3) }

const (
	celtConfigs     = 16
	celtFullband    = 28
	packetLossTried = 20 // percent
)

// fecRecovery loses each packet of lost in turn, decoding pkts up to it
// afresh, and fills it from the next packet's FEC and, for comparison,
// by concealment. withFEC counts the losses where the two differ: libopus
// conceals exactly as Conceal does when the next packet carries no FEC for
// it. fec and plc are the error energies (against the lossless decode)
// summed over those losses.
func fecRecovery(t *testing.T, pkts [][]byte, lost []int) (withFEC int, fec, plc float64) {
	t.Helper()
	const frame = 960
	pcm := make([]int16, MaxOpusSamples*OpusChannels)
	decodeUpTo := func(n int) *OpusDecoder {
		dec, err := NewOpusDecoder()
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pkts[:n] {
			if _, err := dec.Decode(p, pcm); err != nil {
				t.Fatal(err)
			}
		}
		return dec
	}
	for _, k := range lost {
		dec := decodeUpTo(k)
		if _, err := dec.Decode(pkts[k], pcm); err != nil {
			t.Fatal(err)
		}
		want := slices.Clone(pcm[:2*frame])
		fromFEC, concealed := make([]int16, 2*frame), make([]int16, 2*frame)
		if err := decodeUpTo(k).DecodeFEC(pkts[k+1], fromFEC); err != nil {
			t.Fatal(err)
		}
		if err := decodeUpTo(k).Conceal(concealed); err != nil {
			t.Fatal(err)
		}
		if slices.Equal(fromFEC, concealed) {
			continue
		}
		withFEC++
		fec += errEnergy(fromFEC, want)
		plc += errEnergy(concealed, want)
	}
	return withFEC, fec, plc
}

// TestOpusPacketLoss: the default encoder codes speech in fullband CELT
// without FEC; told to expect 20 % loss it switches to SILK or hybrid
// packets that carry FEC (the frames recovered from it are far closer than
// concealment), and back to fullband CELT when the loss is gone.
func TestOpusPacketLoss(t *testing.T) {
	const frame, phase = 960, 100 // 2 s per loss setting
	enc, err := NewOpusEncoder(DefaultOpusConfig())
	if err != nil {
		t.Fatal(err)
	}
	var pkts [][]byte
	for i, loss := range []int{0, packetLossTried, 0} {
		if err := enc.SetPacketLoss(loss); err != nil {
			t.Fatal(err)
		}
		for k := range phase {
			pkt, err := enc.Encode(speech((i*phase+k)*frame, frame))
			if err != nil {
				t.Fatal(err)
			}
			pkts = append(pkts, pkt)
		}
	}
	// The first packets of each phase may be of either mode: libopus needs
	// a few to settle (its start-up, a switch of mode).
	const settle = 10
	modes := func(from, to int) (celtFB, silkOrHybrid int) {
		for _, p := range pkts[from:to] {
			switch c := tocConfig(p); {
			case c >= celtFullband:
				celtFB++
			case c < celtConfigs:
				silkOrHybrid++
			}
		}
		return celtFB, silkOrHybrid
	}
	for _, ph := range []int{0, 2} {
		if fb, _ := modes(ph*phase+settle, (ph+1)*phase); fb != phase-settle {
			t.Errorf("no loss expected (packets %d..%d): %d of %d packets fullband CELT, want all", ph*phase+settle, (ph+1)*phase, fb, phase-settle)
		}
	}
	if _, sh := modes(phase+settle, 2*phase); sh != phase-settle {
		t.Errorf("%d %% loss expected: %d of %d packets SILK or hybrid, want all", packetLossTried, sh, phase-settle)
	}

	var clean, lossy []int
	for k := settle; k < phase-1; k += 4 {
		clean = append(clean, k)
		lossy = append(lossy, phase+k)
	}
	if n, _, _ := fecRecovery(t, pkts, clean); n != 0 {
		t.Errorf("no loss expected: %d of %d packets carry FEC, want none", n, len(clean))
	}
	n, fec, plc := fecRecovery(t, pkts, lossy)
	t.Logf("%d %% loss expected: %d of %d packets carry FEC; error energy FEC %.3f, PLC %.3f", packetLossTried, n, len(lossy), fec, plc)
	// Measured here (libopus 1.3.1): 16 of 23 (the hiss between syllables
	// gets none), FEC error energy 2.0 against PLC 11.8.
	if 2*n < len(lossy) {
		t.Errorf("%d %% loss expected: %d of %d packets carry FEC, want at least half", packetLossTried, n, len(lossy))
	}
	if fec >= fecBeatsPLC*plc {
		t.Errorf("frames recovered from FEC: error energy %.3f, PLC %.3f: want FEC below %.0f %% of PLC", fec, plc, 100*fecBeatsPLC)
	}

	for _, c := range []struct{ set, want int }{{-3, 0}, {150, 100}, {7, 7}} {
		if err := enc.SetPacketLoss(c.set); err != nil {
			t.Fatal(err)
		}
		got, err := enc.e.PacketLossPerc()
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want || enc.PacketLoss() != c.want {
			t.Errorf("SetPacketLoss(%d): libopus expects %d %%, PacketLoss %d, want %d", c.set, got, enc.PacketLoss(), c.want)
		}
	}
}

// TestOpusPacketDuration reads the duration of packets libopus makes at
// every frame size it takes, and of hand-made TOC bytes of the three
// modes and four frame counts.
func TestOpusPacketDuration(t *testing.T) {
	for _, ms := range []float64{2.5, 5, 10, 20, 40, 60} {
		enc, err := opus.NewEncoder(OpusSampleRate, OpusChannels, opus.AppAudio)
		if err != nil {
			t.Fatal(err)
		}
		n := int(ms * OpusSampleRate / 1000)
		buf := make([]byte, 4000)
		size, err := enc.Encode(sine(440, 0.2, 0, n), buf)
		if err != nil {
			t.Fatal(err)
		}
		want := time.Duration(ms * float64(time.Millisecond))
		if got, ok := OpusPacketDuration(buf[:size]); !ok || got != want {
			t.Errorf("a %v ms packet: %v %v", ms, got, ok)
		}
	}
	for _, c := range []struct {
		p    []byte
		want time.Duration // 0: refused
	}{
		{[]byte{0<<3 | 0}, 10 * time.Millisecond},       // SILK 10 ms, one frame
		{[]byte{3<<3 | 1}, 120 * time.Millisecond},      // SILK 60 ms, two frames
		{[]byte{13<<3 | 2}, 40 * time.Millisecond},      // hybrid 20 ms, two frames
		{[]byte{16<<3 | 3, 48}, 120 * time.Millisecond}, // CELT 2.5 ms, 48 frames
		{[]byte{31<<3 | 3, 3}, 60 * time.Millisecond},   // CELT 20 ms, three frames
		{[]byte{31<<3 | 3, 7}, 0},                       // 140 ms: more than Opus allows
		{[]byte{31<<3 | 3, 0}, 0},                       // no frame
		{[]byte{31<<3 | 3}, 0},                          // the count cut off
		{nil, 0},
	} {
		got, ok := OpusPacketDuration(c.p)
		if ok != (c.want != 0) || got != c.want {
			t.Errorf("% x: %v %v, want %v", c.p, got, ok, c.want)
		}
	}
}

// TestOpusBitrate: the encoder spends the bitrate it is given on a signal
// that needs all of it (noise), not libopus's own choice for the channels
// (about 100 kbit/s for stereo).
func TestOpusBitrate(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, bitrate := range []int{32_000, 64_000, 128_000} {
		cfg := DefaultOpusConfig()
		cfg.Bitrate = bitrate
		enc, err := NewOpusEncoder(cfg)
		if err != nil {
			t.Fatal(err)
		}
		const frames = 100 // 2 s
		size := 0
		pcm := make([]int16, 2*960)
		for range frames {
			for i := range pcm {
				pcm[i] = int16(rng.IntN(16000) - 8000)
			}
			pkt, err := enc.Encode(pcm)
			if err != nil {
				t.Fatal(err)
			}
			size += len(pkt)
		}
		// Variable bitrate: libopus 1.3.1 spends 80 % of 32 kbit/s on
		// this noise, and within 1 % of 64 and 128 kbit/s.
		if got := float64(size*8) / 2; got < 0.75*float64(bitrate) || got > 1.15*float64(bitrate) {
			t.Errorf("asked %d bit/s, the encoder made %.0f", bitrate, got)
		}
	}
}
