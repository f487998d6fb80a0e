package room

import (
	"image"
	"path/filepath"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// TestVideoInResizedKeyframeWithoutItsParameterSets: a sender changes its
// resolution (a browser adapting to its bandwidth: new SPS and PPS, same
// ids, with an IDR picture). The keyframe's first packet, the STAP-A of
// its SPS and PPS, is lost: the rest of it is given up to after the gap and
// emitted with the loss. Decoded with the SPS and PPS of the old size, kept
// from before, its slices are read for the wrong picture.
func TestVideoInResizedKeyframeWithoutItsParameterSets(t *testing.T) {
	dir := t.TempDir()
	large := encodedFrames(t, filepath.Join(dir, "large.h264"), "testsrc=s=320x180:r=30:d=0.3", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-g", "300", "-bf", "0")
	small := encodedFrames(t, filepath.Join(dir, "small.h264"), "testsrc2=s=160x90:r=30:d=1", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-g", "300", "-bf", "0")
	p := newVideoInProbe(t, map[uint8]string{102: "video/H264"})
	p.in.start(102, "video/H264")
	seq := rtp.NewRandomSequencer()
	p.push(packetize(t, seq, 102, &codecs.H264Payloader{}, large, nil)...)
	before := p.take()
	pk := packetize(t, seq, 102, &codecs.H264Payloader{}, small[:1], nil)
	var first rtp.Packet
	if err := first.Unmarshal(pk[0]); err != nil || first.Payload[0]&0x1f != 24 {
		t.Fatalf("the keyframe's first packet is not a STAP-A of its parameter sets")
	}
	p.push(pk[1:]...) // its first packet lost
	p.later(time.Second)
	asked := p.keyframes
	p.push(packetize(t, seq, 102, &codecs.H264Payloader{}, small[1:], nil)...)
	got := p.take()
	t.Logf("before %v; after the loss: %v, keyframes asked %d (before the rest: %d)", before, got, p.keyframes, asked)
	// The keyframe asked for comes whole, with its parameter sets.
	p.later(time.Second)
	p.push(packetize(t, seq, 102, &codecs.H264Payloader{}, small, nil)...)
	if n := p.take()[image.Pt(160, 90)]; n < len(small)-1 {
		t.Errorf("%d pictures at 160x90 from the next keyframe on, want %d", n, len(small))
	}
	if got[image.Pt(320, 180)] > 0 {
		t.Errorf("%d pictures of the new stream decoded at the old size (320x180) with no keyframe asked for: damaged pictures shown", got[image.Pt(320, 180)])
	}
}
