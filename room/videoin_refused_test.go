package room

import (
	"path/filepath"
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// TestVideoInRefusedPacketAsksForAKeyframe: a P picture of four slices,
// one of whose packets the depacketizer refuses (a STAP-A cut short): the
// picture is decoded without that slice, FFmpeg conceals it with no error,
// and every picture after is predicted from the damage. A keyframe must
// be asked for.
func TestVideoInRefusedPacketAsksForAKeyframe(t *testing.T) {
	frames := encodedFrames(t, filepath.Join(t.TempDir(), "s.h264"), "testsrc=s=320x180:r=30:d=0.5",
		"-pix_fmt", "yuv420p", "-c:v", "libx264", "-g", "300", "-bf", "0", "-x264-params", "slices=4")
	p := newVideoInProbe(t, map[uint8]string{102: "video/H264"})
	p.in.start(102, "video/H264")
	raw := packetize(t, rtp.NewFixedSequencer(1), 102, &codecs.H264Payloader{}, frames, nil)
	// A packet of a P slice that is not the picture's first, well past
	// the keyframe: a STAP-A that says more than it has.
	n := 0
	for i := len(raw) / 2; i < len(raw); i++ {
		var pk rtp.Packet
		if err := pk.Unmarshal(raw[i]); err != nil {
			t.Fatal(err)
		}
		if pk.Payload[0]&0x1f == 1 && pk.Payload[1]&0x80 == 0 {
			pk.Payload = append([]byte{24, 0xff, 0xff}, pk.Payload...)
			raw[i], _ = pk.Marshal()
			n = i
			break
		}
	}
	if n == 0 {
		t.Fatal("no single-NAL packet of a later slice")
	}
	p.push(raw...)
	if p.keyframes == 0 {
		shown := 0
		for _, c := range p.take() {
			shown += c
		}
		t.Errorf("a slice dropped by the depacketizer: %d pictures of %d shown, damaged from the one at packet %d on, and no keyframe asked for", shown, len(frames), n)
	}
}
