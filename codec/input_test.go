//go:build cgo

package codec

import (
	"os"
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

// TestInputNameWithColon: a file whose name looks like a URL (letters, then
// a colon) is read as a file, not refused for an unknown protocol.
func TestInputNameWithColon(t *testing.T) {
	data, err := os.ReadFile(mediatest.TestdataPath(t, "p01.ivf"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rec-10:30.ivf"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	in, err := OpenInput("rec-10:30.ivf")
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if v := in.Video(); v == nil || v.VideoCodec != VP8 {
		t.Errorf("video stream %+v, want VP8", v)
	}
}
