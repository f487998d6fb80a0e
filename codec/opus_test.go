//go:build cgo

package codec

import (
	"bytes"
	"context"
	"math"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
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
	// Packet loss concealment produces audio of the asked length.
	if err := dec.Conceal(pcm[:2*frame]); err != nil {
		t.Fatal(err)
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
	for _, c := range []OpusConfig{{Bitrate: 1000, Complexity: 5}, {Bitrate: 64000, Complexity: 11}} {
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
	for _, want := range [][2]string{{"-compression_level", "8"}, {"-b:a", "64000"}, {"-fec", "1"}, {"-packet_loss", "5"}} {
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
