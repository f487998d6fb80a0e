package room

import (
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
)

// TestSimulcastUnfitStaysOutForItsSize: a stream whose keyframes do not
// decode is left out for unfitFor, though it goes on sending keyframes of
// that same size; a keyframe of another size is worth a try at once.
func TestSimulcastUnfitStaysOutForItsSize(t *testing.T) {
	now := time.Now()
	h, f := &webrtc.TrackRemote{}, &webrtc.TrackRemote{}
	var z simulcastSizes
	z.seen(h, now, 640*360)
	z.seen(f, now, 1280*720)
	z.markUnfit(h, now)
	soon := now.Add(time.Second)
	z.seen(h, soon, 640*360) // its next keyframe, the same size
	z.seen(f, soon, 0)
	if !z.gone(h, soon) || z.best(426*240, soon, nil) != f {
		t.Errorf("a second after h was left out, a keyframe of the same size: gone %v, best %p; want h still out (gone), f (%p) best",
			z.gone(h, soon), z.best(426*240, soon, nil), f)
	}
	z.seen(h, soon, 320*180) // another size
	if z.gone(h, soon) {
		t.Error("h still left out after a keyframe of another size")
	}
}

// TestSimulcastMayTakeWithNoSizeKnown: when the stream decoded has gone and
// no stream's size is known yet (no keyframe seen), any stream that sends
// may take the place: the tile is not left frozen.
func TestSimulcastMayTakeWithNoSizeKnown(t *testing.T) {
	now := time.Now()
	a, b := &webrtc.TrackRemote{}, &webrtc.TrackRemote{}
	var z simulcastSizes
	z.seen(a, now, 0)
	z.seen(b, now, 0)
	for _, tr := range []*webrtc.TrackRemote{a, b} {
		if !z.mayTake(tr, 640*360, true, now) {
			t.Errorf("stream %p may not take the place with no size known, want it may", tr)
		}
	}
}

// TestKeyframeSizeVP8Scaling: a VP8 keyframe's width and height are 14
// bits; the two above them are the upscaling a decoder may apply (RFC 6386
// 9.1), not part of the size.
func TestKeyframeSizeVP8Scaling(t *testing.T) {
	frames := clipFrames(t, "p01.ivf", 1)
	scaled := append([]byte(nil), frames[0]...)
	scaled[7] |= 0x40 // horizontal scale 1 (5/4)
	scaled[9] |= 0xc0 // vertical scale 3 (2)
	p := rtp.NewPacketizer(1200, 96, 0, &codecs.VP8Payloader{EnablePictureID: true}, rtp.NewRandomSequencer(), 90000)
	b, err := p.Packetize(scaled, 3000)[0].Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if px, ok := keyframeSize(webrtc.MimeTypeVP8, b); !ok || px != 640*360 {
		t.Errorf("a VP8 keyframe with scaling bits: %d pixels, %v; want 640x360 (%d)", px, ok, 640*360)
	}
}

// TestKeyframeSizeH264LaterSlice: a packet of an IDR picture's second
// slice (first_mb_in_slice 1) does not begin a keyframe; its first
// slice's (first_mb_in_slice 0) does.
func TestKeyframeSizeH264LaterSlice(t *testing.T) {
	for _, tt := range []struct {
		name  string
		slice []byte
		key   bool
	}{
		{"first slice", []byte{0x65, 0x88, 0x84, 0x00}, true},   // ue(v) 0: bit 1
		{"second slice", []byte{0x65, 0x40, 0x84, 0x00}, false}, // ue(v) 1: bits 010
	} {
		b, err := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 102}, Payload: tt.slice}).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, key := keyframeSize(webrtc.MimeTypeH264, b); key != tt.key {
			t.Errorf("an IDR packet of the %s: key %v, want %v", tt.name, key, tt.key)
		}
	}
}

// TestKeyframeSizeVP9TwoLayers: a VP9 keyframe whose scalability
// structure lists two spatial layers (320x180, then 640x360) is of the
// largest layer's size.
func TestKeyframeSizeVP9TwoLayers(t *testing.T) {
	vp9 := clipFrames(t, "p12.vp9.ivf", 1)
	vp := rtp.NewPacketizer(1200, 98, 0, &codecs.VP9Payloader{}, rtp.NewRandomSequencer(), 90000)
	key := vp.Packetize(vp9[0], 3000)[0]
	p := key.Payload
	if p[0]&0x02 == 0 || p[3]>>5 != 0 {
		t.Fatalf("no one-layer scalability structure in the keyframe's first packet: % x", p[:8])
	}
	two := append([]byte(nil), p[:3]...)
	two = append(two, p[3]&0x1f|1<<5) // N_S = 1: two spatial layers
	two = append(two, 320>>8, 320&0xff, 0, 180, 640>>8, 640&0xff, 360>>8, 360&0xff)
	key.Payload = append(two, p[8:]...)
	b, err := key.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if px, ok := keyframeSize(webrtc.MimeTypeVP9, b); !ok || px != 640*360 {
		t.Errorf("a VP9 keyframe with layers of 320x180 and 640x360: %d pixels, %v; want 640x360 (%d)", px, ok, 640*360)
	}
}
