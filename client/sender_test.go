package client

import (
	"context"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/pion/webrtc/v4/pkg/media"

	"mcu/codec"
	"mcu/internal/mediatest"
)

// TestSendOnceStepsByWhatOpusCodes: every Opus packet of a clip goes out
// with the 20 ms it codes, the last one too, which the Ogg demuxer gives
// less (the stream's end trimmed), and the clip's length is a whole number
// of packets: the next loop then starts right after the last packet, its
// RTP time not overlapping it.
func TestSendOnceStepsByWhatOpusCodes(t *testing.T) {
	var samples []media.Sample
	write := func(s media.Sample) error { samples = append(samples, s); return nil }
	// A start long past: nothing waits.
	length, err := sendOnce(context.Background(), mediatest.TestdataPath(t, "p01.ogg"), codec.Audio, write, time.Now().Add(-time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(samples) < 100 {
		t.Fatalf("%d packets sent", len(samples))
	}
	for i, s := range samples {
		if s.Duration != 20*time.Millisecond {
			t.Errorf("packet %d of %d sent as lasting %v, want the 20 ms it codes", i, len(samples), s.Duration)
		}
	}
	if want := time.Duration(len(samples)) * 20 * time.Millisecond; length != want {
		t.Errorf("the clip's length %v, want %v: %d packets of 20 ms", length, want, len(samples))
	}
}

// TestSendOnceStepsOverTheLead: a stream that starts after the file's 0
// (p12.webm's video, 7 ms in) steps its RTP clock by the whole loop, lead
// included, so that the next loop's packets are stamped as they are sent.
func TestSendOnceStepsOverTheLead(t *testing.T) {
	var sum time.Duration
	n := 0
	write := func(s media.Sample) error { sum += s.Duration; n++; return nil }
	length, err := sendOnce(context.Background(), mediatest.TestdataPath(t, "p12.webm"), codec.Video, write, time.Now().Add(-time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	if n < 30 || sum != length {
		t.Errorf("%d pictures stepping the RTP clock by %v in all; a loop lasts %v", n, sum, length)
	}
}

// TestSendOnceWithBFrames: pictures sent in decoding order (B-frames, shown
// before one sent earlier) step the RTP clock forward, and a loop's steps
// still add up to its length: the clock does not run ahead of the sending.
func TestSendOnceWithBFrames(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.mp4")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=s=160x90:r=30:d=2",
		"-c:v", "libx264", "-bf", "3", "-g", "30", path).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	var sum time.Duration
	var steps []time.Duration
	write := func(s media.Sample) error { sum += s.Duration; steps = append(steps, s.Duration); return nil }
	length, err := sendOnce(context.Background(), path, codec.Video, write, time.Now().Add(-time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 60 || sum != length || slices.Min(steps) <= 0 {
		t.Errorf("%d pictures stepping the RTP clock by %v in all (least step %v); a loop lasts %v", len(steps), sum, slices.Min(steps), length)
	}
}
