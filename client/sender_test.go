package client

import (
	"context"
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
