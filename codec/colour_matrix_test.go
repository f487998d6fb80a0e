//go:build cgo

package codec

import (
	"image"
	"os/exec"
	"path/filepath"
	"testing"
)

// h264Bars encodes one 640x360 picture of SMPTE colour bars in H.264 with
// the colour matrix and range given (as FFmpeg names them), the stream's
// VUI saying so, and returns its packet.
func h264Bars(t *testing.T, matrix, rng string) Packet {
	t.Helper()
	clip := filepath.Join(t.TempDir(), "bars.h264")
	pix := map[string]string{"tv": "yuv420p", "pc": "yuvj420p"}[rng]
	cs := map[string]string{"bt709": "bt709", "bt601": "smpte170m", "bt2020": "bt2020nc"}[matrix]
	out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "smptebars=size=640x360:rate=30", "-frames:v", "1",
		"-vf", "scale=out_color_matrix="+matrix+":out_range="+rng+",format="+pix,
		"-colorspace", cs, "-color_range", rng, "-c:v", "libx264", "-crf", "4", "-f", "h264", clip).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	return firstPacket(t, clip)
}

// TestBT709PictureIsShownAsBT601: the mix is BT.601 (VP8 knows no other;
// the H.264 mix says so), so a picture whose stream says BT.709 (a 720p
// H.264 camera, a phone) is converted, through every scaling path: its
// colour bars come out as the same bars sent in BT.601 do. Unconverted,
// the green bar is 33 levels too green in RGB and the red one 19 too dark.
func TestBT709PictureIsShownAsBT601(t *testing.T) {
	ref := h264Bars(t, "bt601", "tv")
	for _, c := range []struct{ matrix, rng string }{{"bt709", "tv"}, {"bt709", "pc"}, {"bt2020", "tv"}} {
		p := h264Bars(t, c.matrix, c.rng)
		for _, size := range pathSizes {
			target := func(w, h int) (image.Rectangle, image.Point) { return image.Rect(0, 0, w, h), size }
			want := decodeOne(t, H264, ref.Data, target)
			got := decodeOne(t, H264, p.Data, target)
			// The seven top bars, at their centres.
			for i := range 7 {
				x, y := (2*i+1)*size.X/14, size.Y/4
				yw, yg := int(want.Y[y*want.YStride+x]), int(got.Y[y*got.YStride+x])
				co := y/2*want.CStride + x/2
				cg := y/2*got.CStride + x/2
				d := max(abs(yw-yg), abs(int(want.Cb[co])-int(got.Cb[cg])), abs(int(want.Cr[co])-int(got.Cr[cg])))
				if d > 3 {
					t.Errorf("%s %s to %v, bar %d: Y'CbCr %d/%d/%d, want %d/%d/%d (as sent in BT.601)", c.matrix, c.rng, size, i,
						yg, got.Cb[cg], got.Cr[cg], yw, want.Cb[co], want.Cr[co])
				}
			}
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
