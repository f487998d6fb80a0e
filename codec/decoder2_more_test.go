//go:build cgo

package codec

import (
	"errors"
	"image"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// 4,000 decoder open/decode/close cycles (all four codecs, the swscale
// path too, errors and flushes) leave the C heap where it was.
func TestDecoderCyclesCHeap(t *testing.T) {
	if _, ok := CHeapBytes(); !ok {
		t.Skip("no C heap figures")
	}
	keys := map[VideoCodec][]byte{}
	for c, path := range map[VideoCodec]string{VP8: "../testdata/p01.ivf", H264: "../testdata/p01.h264", VP9: "../testdata/p12.vp9.ivf", AV1: "../testdata/p12.av1.ivf"} {
		keys[c] = firstPacket(t, path).Data
	}
	garbage := []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0xff, 0xff, 0xff, 0xff}
	target := func(w, h int) (image.Rectangle, image.Point) { return image.Rect(0, 0, w, h), image.Pt(250, 142) }
	f := &Frame{}
	var only VideoCodec // 0: each codec in turn
	n := 4000
	cycle := func(i int) {
		c := VideoCodec(i%4 + 1)
		if only != 0 {
			c = only
		}
		d, err := NewVideoDecoder(c)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		if err := d.Send(keys[c], time.Duration(i)); err != nil {
			t.Fatalf("%v: %v", c, err)
		}
		var tg Target
		if i%2 == 0 {
			tg = target
		}
		d.Flush()
		for {
			ok, err := d.ReceiveScaled(f, tg)
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
		}
		if c == VP8 && i%8 == 0 { // errors up to a restart
			for range maxDecodeErrors + 1 {
				d.Send(keys[c], 0)
				d.Send(garbage, 0)
				d.Receive(f)
			}
		}
		if i%16 == 0 {
			d.Close() // twice
		}
	}
	for i := range 400 {
		cycle(i)
	}
	runtime.GC()
	before, _ := CHeapBytes()
	for i := range n {
		cycle(i)
	}
	runtime.GC()
	after, _ := CHeapBytes()
	t.Logf("C heap %d -> %d bytes over %d cycles (%+d)", before, after, n, after-before)
	if after-before > 2<<20 {
		t.Errorf("C heap grew %d bytes over %d decoder cycles", after-before, n)
	}
}

// One VP9 decoder given keyframes of profiles 0, 2 (10-bit), 1 (4:4:4)
// and 0 again, each of another size, gives each picture at its size,
// as a fresh decoder does.
func TestVP9ProfileChanges(t *testing.T) {
	type clip struct {
		name string
		size image.Point
		args []string
	}
	clips := []clip{
		{"p0", image.Pt(320, 180), []string{"-pix_fmt", "yuv420p", "-c:v", "libvpx-vp9"}},
		{"p2", image.Pt(352, 288), []string{"-pix_fmt", "yuv420p10le", "-c:v", "libvpx-vp9", "-profile:v", "2"}},
		{"p1", image.Pt(240, 136), []string{"-pix_fmt", "yuv444p", "-c:v", "libvpx-vp9", "-profile:v", "1"}},
		{"p0 again", image.Pt(400, 226), []string{"-pix_fmt", "yuv420p", "-c:v", "libvpx-vp9"}},
	}
	var data [][]byte
	for _, c := range clips {
		p := lavfiPicture(t, "testsrc=size="+itoa(c.size.X)+"x"+itoa(c.size.Y)+":rate=30", c.args...)
		data = append(data, p.Data)
	}
	got := decodeAll(t, VP9, data)
	if len(got) != len(clips) {
		t.Fatalf("%d pictures, want %d", len(got), len(clips))
	}
	for i, c := range clips {
		if got[i].Rect.Size() != c.size {
			t.Errorf("%s: picture %v, want %v", c.name, got[i].Rect.Size(), c.size)
			continue
		}
		alone := decodeOne(t, VP9, data[i], nil)
		if p := psnr(t, &got[i].YCbCr, &alone.YCbCr); p < 60 {
			t.Errorf("%s: PSNR %.1f against a fresh decoder's", c.name, p)
		}
	}
}

// The same for H.264: baseline 4:2:0, then High 4:4:4, then monochrome,
// then 4:2:0 again, each a new SPS/PPS with an IDR at another size.
func TestH264SPSChanges(t *testing.T) {
	type clip struct {
		name string
		size image.Point
		args []string
	}
	clips := []clip{
		{"baseline", image.Pt(320, 180), []string{"-pix_fmt", "yuv420p", "-c:v", "libx264", "-profile:v", "baseline", "-f", "h264"}},
		{"444", image.Pt(352, 288), []string{"-pix_fmt", "yuv444p", "-c:v", "libx264", "-f", "h264"}},
		{"gray", image.Pt(240, 136), []string{"-pix_fmt", "gray", "-c:v", "libx264", "-f", "h264"}},
		{"high 10", image.Pt(256, 144), []string{"-pix_fmt", "yuv420p10le", "-c:v", "libx264", "-f", "h264"}},
		{"baseline again", image.Pt(400, 226), []string{"-pix_fmt", "yuv420p", "-c:v", "libx264", "-profile:v", "baseline", "-f", "h264"}},
	}
	var data [][]byte
	for _, c := range clips {
		p := lavfiPictureAs(t, "testsrc=size="+itoa(c.size.X)+"x"+itoa(c.size.Y)+":rate=30", "clip.h264", c.args...)
		data = append(data, p.Data)
	}
	d := newTestDecoder(t, H264)
	var got []*Frame
	drain := func(when string) {
		for {
			f := &Frame{}
			ok, err := d.Receive(f)
			if err != nil {
				t.Errorf("%s: %v", when, err)
			}
			if !ok {
				return
			}
			t.Logf("%s: picture %v", when, f.Rect.Size())
			got = append(got, f)
		}
	}
	for i, b := range data {
		if err := d.Send(b, time.Duration(i)); err != nil {
			t.Errorf("%s: Send: %v", clips[i].name, err)
		}
		drain(clips[i].name)
	}
	d.Flush()
	drain("flush")
	if len(got) != len(clips) {
		t.Fatalf("%d pictures, want %d", len(got), len(clips))
	}
	for i, c := range clips {
		if got[i].Rect.Size() != c.size {
			t.Errorf("%s: picture %v, want %v", c.name, got[i].Rect.Size(), c.size)
			continue
		}
		alone := decodeOne(t, H264, data[i], nil)
		if p := psnr(t, &got[i].YCbCr, &alone.YCbCr); p < 60 {
			a, b := got[i], alone
			t.Errorf("%s: PSNR %.1f against a fresh decoder's; Y %d/%d Cb %d/%d Cr %d/%d at the middle", c.name, p,
				a.Y[a.YStride*(c.size.Y/2)+c.size.X/2], b.Y[b.YStride*(c.size.Y/2)+c.size.X/2],
				a.Cb[a.CStride*(c.size.Y/4)+c.size.X/4], b.Cb[b.CStride*(c.size.Y/4)+c.size.X/4],
				a.Cr[a.CStride*(c.size.Y/4)+c.size.X/4], b.Cr[b.CStride*(c.size.Y/4)+c.size.X/4])
		}
	}
}

// AV1: sequence headers of other sizes, 8 then 10 bits, then monochrome.
func TestAV1SequenceChanges(t *testing.T) {
	type clip struct {
		name string
		size image.Point
		args []string
	}
	clips := []clip{
		{"8-bit", image.Pt(320, 180), []string{"-pix_fmt", "yuv420p", "-c:v", "libaom-av1", "-cpu-used", "8"}},
		{"10-bit", image.Pt(352, 288), []string{"-pix_fmt", "yuv420p10le", "-c:v", "libaom-av1", "-cpu-used", "8"}},
		{"gray", image.Pt(240, 136), []string{"-pix_fmt", "gray", "-c:v", "libaom-av1", "-cpu-used", "8"}},
		{"8-bit again", image.Pt(400, 226), []string{"-pix_fmt", "yuv420p", "-c:v", "libaom-av1", "-cpu-used", "8"}},
	}
	var data [][]byte
	for _, c := range clips {
		p := lavfiPicture(t, "testsrc=size="+itoa(c.size.X)+"x"+itoa(c.size.Y)+":rate=30", c.args...)
		data = append(data, p.Data)
	}
	got := decodeAll(t, AV1, data)
	if len(got) != len(clips) {
		t.Fatalf("%d pictures, want %d", len(got), len(clips))
	}
	for i, c := range clips {
		if got[i].Rect.Size() != c.size {
			t.Errorf("%s: picture %v, want %v", c.name, got[i].Rect.Size(), c.size)
		}
	}
}

// Times that go backwards, jump, are unknown or near the ends of int64
// come out as they went in.
func TestDecoderPassesTimesThrough(t *testing.T) {
	frames, _ := encodeClip(t, smallConfig(), 8, false)
	pts := []time.Duration{5 * time.Second, time.Second, NoPTS, -time.Hour, 1<<63 - 1, 0, 3, 2}
	d := newTestDecoder(t, VP8)
	f := &Frame{}
	for i, ef := range frames {
		if err := d.Send(ef.Data, pts[i]); err != nil {
			t.Fatal(err)
		}
		ok, err := d.Receive(f)
		if !ok || err != nil {
			t.Fatalf("frame %d: %v %v", i, ok, err)
		}
		if f.PTS != pts[i] {
			t.Errorf("frame %d: PTS %d, want %d", i, f.PTS, pts[i])
		}
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}

var _ = errors.Is

// lavfiPictureAs is lavfiPicture into a file named name (its extension
// choosing the container when args do not).
func lavfiPictureAs(t testing.TB, source, name string, args ...string) Packet {
	t.Helper()
	clip := filepath.Join(t.TempDir(), name)
	cmd := append([]string{"-v", "error", "-f", "lavfi", "-i", source, "-frames:v", "1"}, args...)
	if out, err := exec.Command("ffmpeg", append(cmd, clip)...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	return firstPacket(t, clip)
}
