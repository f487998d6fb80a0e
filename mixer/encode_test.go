package mixer

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"mcu/codec"
)

// A bitrate the encoder refuses stops the pipe with that error: the
// picture is not encoded nor handed on, and neither is any queued after
// it; every canvas comes back.
func TestEncodePipeStopsAtABitrateRefused(t *testing.T) {
	cfg := testConfig().Video
	enc, err := codec.NewVP8Encoder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	out := &capture{}
	var cause error
	p, err := newEncodePipe(enc, out, &stats{}, slog.Default(), true, func(err error) { cause = err }, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c, err := p.buffer(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	p.submit(encodeJob{c: c, key: true, bitrate: -1})
	if c, err = p.buffer(ctx, true); err != nil { // the other canvas
		t.Fatal(err)
	}
	p.submit(encodeJob{c: c, key: true, bitrate: cfg.Bitrate})
	if _, err := p.buffer(ctx, true); err != nil {
		t.Fatal(err)
	}
	if _, err := p.buffer(ctx, true); err != nil {
		t.Fatal(err)
	}
	err = p.close()
	if err == nil || !strings.Contains(err.Error(), "bitrate -1") || !errors.Is(cause, err) {
		t.Fatalf("close: %v, cancelled with %v; want the bitrate's error for both", err, cause)
	}
	if len(out.video) != 0 {
		t.Fatalf("%d frames handed on after the encoder was refused a bitrate", len(out.video))
	}
}
