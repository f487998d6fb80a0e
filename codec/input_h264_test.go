package codec

import (
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"mcu/internal/mediatest"
)

// TestInputH264InContainers: H.264 from MP4 and Matroska (lengths before
// its NAL units, SPS and PPS in the stream's header) reads as the Annex B
// stream the decoder takes: the first packet is a keyframe, and every
// picture of the clip decodes.
func TestInputH264InContainers(t *testing.T) {
	src := mediatest.TestdataPath(t, "p01.h264")
	for _, ext := range []string{"mp4", "mkv"} {
		t.Run(ext, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "p01."+ext)
			if out, err := exec.Command("ffmpeg", "-v", "error", "-f", "h264", "-r", "30", "-i", src, "-c", "copy", path).CombinedOutput(); err != nil {
				t.Fatalf("remux: %v %s", err, out)
			}
			in, err := OpenInput(path)
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			if v := in.Video(); v == nil || v.VideoCodec != H264 {
				t.Fatalf("video stream %+v, want H.264", v)
			}
			dec, err := NewVideoDecoder(H264)
			if err != nil {
				t.Fatal(err)
			}
			defer dec.Close()
			var f Frame
			packets, pictures := 0, 0
			for {
				p, err := in.Read()
				if err != nil {
					break
				}
				if p.Kind != Video {
					continue
				}
				if packets == 0 && !IsKeyframe(H264, p.Data) {
					t.Error("the first packet is not a keyframe in Annex B")
				}
				packets++
				if err := dec.Send(p.Data, time.Duration(packets)); err != nil {
					t.Fatalf("packet %d: %v", packets, err)
				}
				for {
					ok, err := dec.Receive(&f)
					if err != nil {
						t.Fatalf("packet %d: %v", packets, err)
					}
					if !ok {
						break
					}
					pictures++
				}
			}
			if packets < 60 || pictures < packets-2 {
				t.Errorf("%d pictures from %d packets", pictures, packets)
			}
		})
	}
}
