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
