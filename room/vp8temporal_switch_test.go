package room

import (
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"

	"mcu/codec"
)

// TestVideoInLayersForgottenAtACodecSwitch: a sender that switches from
// VP8 with temporal layers to H.264 leaves nothing of its layers behind:
// an H.264 frame whose first packet is lost, given up at the assembler's
// deadline with no frame behind it (a sender that pauses, as a screen
// share does), has a keyframe asked for then, as for any stream, not
// when the sender's next frame comes, maybe seconds later.
func TestVideoInLayersForgottenAtACodecSwitch(t *testing.T) {
	const vp8PT, h264PT = 96, 102
	frames := twoLayerFrames(t, 10, func(int) bool { return true })
	h264 := clipFrames(t, "p01.h264", 10)
	mimes := map[uint8]string{vp8PT: "video/VP8", h264PT: "video/H264"}
	var current uint8
	var pic codec.Frame
	keyframes := 0
	in := &videoIn{
		mimeType: func() string { return mimes[current] },
		keyframe: func() { keyframes++ },
		pictures: func(dec *codec.VideoDecoder, _ time.Time) {
			for ok, _ := dec.Receive(&pic); ok; ok, _ = dec.Receive(&pic) {
			}
		},
		log:    slog.New(slog.DiscardHandler),
		stream: new(atomic.Pointer[StreamInfo]),
	}
	defer in.close()
	in.start(vp8PT, mimes[vp8PT])
	start := time.Now()
	push := func(b []byte) {
		t.Helper()
		current = b[1] & 0x7f
		if _, err := in.push(b, start, 0); err != nil {
			t.Fatal(err)
		}
	}
	seq := uint16(1000)
	for i := range frames {
		for _, b := range layeredPackets(t, frames, i, &seq) {
			push(b)
		}
	}
	if !in.layers.known {
		t.Fatal("the VP8 sender's layers were not followed")
	}

	// The H.264 frames, numbered on, in packets of 100 bytes at most, the
	// last of two packets or more without its first.
	packetizer := rtp.NewPacketizer(100, h264PT, 1234, &codecs.H264Payloader{}, rtp.NewFixedSequencer(seq), 90000)
	var parts [][][]byte
	for _, f := range h264 {
		var raw [][]byte
		for _, pkt := range packetizer.Packetize(f, 3000) {
			b, err := pkt.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			raw = append(raw, b)
		}
		parts = append(parts, raw)
	}
	last := len(parts) - 1
	for len(parts[last]) < 2 {
		if last--; last == 0 {
			t.Fatal("no H.264 frame after the first of two packets or more")
		}
	}
	for i, pkts := range parts[:last+1] {
		for k, b := range pkts {
			if i == last && k == 0 {
				continue
			}
			push(b)
		}
	}
	before := keyframes
	if err := in.expire(start.Add(2 * assemblerPatience)); err != nil {
		t.Fatal(err)
	}
	if keyframes != before+1 {
		t.Errorf("an H.264 frame given up at the deadline: %d keyframes asked for then, want 1", keyframes-before)
	}
}
