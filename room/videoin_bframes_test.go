package room

import (
	"image"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"

	"mcu/codec"
)

// TestVideoInBFramesDuplicateAsksNoKeyframe: an H.264 sender with
// B-frames (x264 -bf 2, as OBS or FFmpeg send over WHIP), RTP times in
// display order. Each P picture's last packet comes a second time (a
// retransmission of a packet that had only been reordered) after the
// next B picture's packets: every picture must still be shown, with no
// keyframe asked for. Counted as a loss, each duplicate freezes the tile
// until a keyframe and costs a PLI.
func TestVideoInBFramesDuplicateAsksNoKeyframe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.mkv")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=s=160x90:r=30:d=2",
		"-pix_fmt", "yuv420p", "-c:v", "libx264", "-g", "300", "-bf", "2", "-x264-params", "b-adapt=0", path).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	in, err := codec.OpenInput(path)
	if err != nil {
		t.Fatal(err)
	}
	var frames []codec.Packet
	for {
		p, err := in.Read()
		if err != nil {
			break
		}
		p.Data = append([]byte(nil), p.Data...)
		frames = append(frames, p)
	}
	in.Close()

	p := newVideoInProbe(t, map[uint8]string{102: "video/H264"})
	p.in.start(102, "video/H264")
	packetizer := rtp.NewPacketizer(1200, 102, 1234, &codecs.H264Payloader{}, rtp.NewFixedSequencer(100), 90000)
	var lastP []byte // the last packet of the last picture that is ahead in time
	var newest uint32
	dups := 0
	for i, f := range frames {
		ts := uint32(90000 + f.PTS.Milliseconds()*90)
		pkts := packetizer.Packetize(f.Data, 3000)
		for _, pk := range pkts {
			pk.Timestamp = ts
			b, err := pk.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			p.push(b)
		}
		b, _ := pkts[len(pkts)-1].Marshal()
		if i > 0 && int32(ts-newest) < 0 && lastP != nil {
			p.push(lastP) // the P picture's packet again, after a B picture's
			dups++
			lastP = nil
		}
		if int32(ts-newest) > 0 {
			newest, lastP = ts, b
		}
	}
	if dups == 0 {
		t.Fatal("no B pictures in the clip")
	}
	shown := p.take()[image.Pt(160, 90)]
	if p.keyframes != 0 || shown < len(frames)-3 {
		t.Errorf("%d duplicates: %d keyframe requests, %d pictures of %d shown; want none asked for and all shown", dups, p.keyframes, shown, len(frames))
	}
}
