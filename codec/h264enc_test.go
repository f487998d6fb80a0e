//go:build cgo

package codec

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mcu/internal/mediatest"
)

func smallH264Config() H264Config {
	c := smallConfig().H264()
	return c
}

// h264Encode encodes testPicture(w, h, i, busy) for each i in [from, to)
// with enc, forcing an IDR at the indexes in keys.
func h264Encode(t *testing.T, enc *H264Encoder, from, to int, busy bool, keys ...int) ([]EncodedFrame, []*Frame) {
	t.Helper()
	c := enc.Config()
	pic, err := NewPicture(c.Width, c.Height)
	if err != nil {
		t.Fatal(err)
	}
	defer pic.Free()
	var frames []EncodedFrame
	var pics []*Frame
	for i := from; i < to; i++ {
		p := testPicture(c.Width, c.Height, i, busy)
		if err := pic.Load(&p.YCbCr); err != nil {
			t.Fatal(err)
		}
		force := false
		for _, k := range keys {
			force = force || k == i
		}
		f, err := enc.EncodePicture(pic, p.PTS, force)
		if err != nil {
			t.Fatalf("picture %d: %v", i, err)
		}
		frames = append(frames, f)
		pics = append(pics, p)
	}
	return frames, pics
}

// nalTypes lists the NAL unit types of an Annex B access unit, and the
// first SPS's profile_idc, constraint flags and level_idc.
func nalTypes(au []byte) (types []int, sps [3]byte) {
	for i := 0; i+3 < len(au); i++ {
		if au[i] != 0 || au[i+1] != 0 || au[i+2] != 1 {
			continue
		}
		t := int(au[i+3] & 0x1f)
		types = append(types, t)
		if t == 7 && sps == [3]byte{} && i+6 < len(au) {
			copy(sps[:], au[i+4:i+7])
		}
		i += 3
	}
	return types, sps
}

// TestH264RoundTrip: what the H.264 encoder makes is Annex B constrained
// baseline that FFmpeg's decoder (the one browsers' hardware stands in
// for here) gives back close to the pictures; every IDR carries its SPS
// and PPS; the key flags agree with the bitstream.
func TestH264RoundTrip(t *testing.T) {
	enc, err := NewH264Encoder(smallH264Config())
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	frames, pics := h264Encode(t, enc, 0, 45, false, 20)
	var data [][]byte
	for i, f := range frames {
		if len(f.Data) == 0 {
			t.Fatalf("frame %d: no data", i)
		}
		if f.Codec != H264 {
			t.Errorf("frame %d: codec %v", i, f.Codec)
		}
		if want := i == 0 || i == 20; f.Key != want || IsKeyframe(H264, f.Data) != want {
			t.Errorf("frame %d: key %v, bitstream %v, want %v", i, f.Key, IsKeyframe(H264, f.Data), want)
		}
		types, sps := nalTypes(f.Data)
		hasParams := strings.Contains(string(fmtTypes(types)), "7,8,")
		if f.Key != hasParams {
			t.Errorf("frame %d (key %v): NAL units %v", i, f.Key, types)
		}
		if f.Key && (sps[0] != 66 || sps[1]&0x40 == 0) {
			t.Errorf("frame %d: profile_idc %d, constraints %#x: want 66 with constraint_set1 (constrained baseline)", i, sps[0], sps[1])
		}
		if f.PTS != pics[i].PTS || f.Duration != time.Second/30 {
			t.Errorf("frame %d: pts %v duration %v, want %v and 1/30 s", i, f.PTS, f.Duration, pics[i].PTS)
		}
		data = append(data, f.Data)
	}
	got := decodeAll(t, H264, data)
	if len(got) != len(pics) {
		t.Fatalf("decoded %d pictures, want %d", len(got), len(pics))
	}
	for i := range got {
		if p := psnr(t, &got[i].YCbCr, &pics[i].YCbCr); p < minRoundTripPSNR {
			t.Errorf("picture %d: PSNR %.1f dB < %d", i, p, minRoundTripPSNR)
		}
	}
}

func fmtTypes(types []int) []byte {
	var b []byte
	for _, t := range types {
		b = append(b, byte('0'+t%10), ',')
	}
	return b
}

// TestH264Bitrate: on busy pictures the encoder keeps near its target and
// follows changes while running, down and up, with no IDR.
func TestH264Bitrate(t *testing.T) {
	cfg := smallH264Config()
	cfg.Bitrate = 300_000
	enc, err := NewH264Encoder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	rate := func(from, to int) float64 {
		frames, _ := h264Encode(t, enc, from, to, true)
		bytes := 0
		for i, f := range frames {
			if f.Key && from+i > 0 {
				t.Errorf("frame %d is a keyframe", from+i)
			}
			bytes += len(f.Data)
		}
		return float64(bytes*8) / (float64(to-from) / 30)
	}
	rate(0, 30)
	low := rate(30, 120)
	if err := enc.SetBitrate(900_000); err != nil {
		t.Fatal(err)
	}
	rate(120, 135)
	high := rate(135, 225)
	if err := enc.SetBitrate(300_000); err != nil {
		t.Fatal(err)
	}
	rate(225, 240)
	lowAgain := rate(240, 330)
	t.Logf("measured %.0f bit/s at 300k, %.0f at 900k, %.0f at 300k again", low, high, lowAgain)
	// x264's ABR under a half-second cap: within ±35 % over 3 s.
	for _, c := range []struct{ got, want float64 }{{low, 300_000}, {high, 900_000}, {lowAgain, 300_000}} {
		if c.got < 0.65*c.want || c.got > 1.35*c.want {
			t.Errorf("rate %.0f bit/s, want %.0f ±35%%", c.got, c.want)
		}
	}
	if enc.Config().Bitrate != 300_000 {
		t.Errorf("config bitrate %d after changes", enc.Config().Bitrate)
	}
	if err := enc.SetBitrate(10); err == nil {
		t.Error("a 10 bit/s target was taken")
	}
}

func TestH264ConfigValidate(t *testing.T) {
	good := DefaultVP8Config().H264()
	if err := good.Validate(); err != nil {
		t.Fatalf("default: %v", err)
	}
	if good.Preset != DefaultH264Preset || good.Width != 1280 || good.Bitrate != DefaultVP8Config().Bitrate {
		t.Errorf("the VP8 settings' H.264 twin: %+v", good)
	}
	for _, bad := range []func(*H264Config){
		func(c *H264Config) { c.Preset = "placebo" },
		func(c *H264Config) { c.Preset = "" },
		func(c *H264Config) { c.Width = 1281 },
		func(c *H264Config) { c.FPS = 0 },
		func(c *H264Config) { c.KeyframeInterval = 0 },
		func(c *H264Config) { c.Bitrate = 10_000 },
	} {
		c := good
		bad(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%+v accepted", c)
		} else if msg := err.Error(); !strings.Contains(msg, "h264") || strings.Contains(msg, "vp8") {
			t.Errorf("%+v: %q does not speak of h264 alone", c, msg)
		}
		if _, err := NewH264Encoder(c); err == nil {
			t.Errorf("an encoder opened with %+v", c)
		}
	}
}

// A picture of another size (the VP8 encoder's of another room) or a
// freed one is refused, not read past.
func TestH264EncodeRefusesAForeignPicture(t *testing.T) {
	enc, err := NewH264Encoder(smallH264Config())
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	big, err := NewPicture(640, 360)
	if err != nil {
		t.Fatal(err)
	}
	defer big.Free()
	if _, err := enc.EncodePicture(big, 0, false); err == nil {
		t.Error("a 640x360 picture went into a 320x180 encoder")
	}
	freed, err := NewPicture(320, 180)
	if err != nil {
		t.Fatal(err)
	}
	freed.Free()
	if _, err := enc.EncodePicture(freed, 0, false); err == nil {
		t.Error("a freed picture was encoded")
	}
	enc.Close()
	ok, err := NewPicture(320, 180)
	if err != nil {
		t.Fatal(err)
	}
	defer ok.Free()
	if _, err := enc.EncodePicture(ok, 0, false); err == nil {
		t.Error("a closed encoder encoded")
	}
}

// CopyFrom copies a picture whole (the H.264 output's copy of the
// canvas), and refuses one of another size or a freed one.
func TestPictureCopyFrom(t *testing.T) {
	src, err := NewPicture(320, 180)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Free()
	p := testPicture(320, 180, 3, true)
	if err := src.Load(&p.YCbCr); err != nil {
		t.Fatal(err)
	}
	dst, err := NewPicture(320, 180)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Free()
	if err := dst.CopyFrom(src); err != nil {
		t.Fatal(err)
	}
	img, err := dst.Image()
	if err != nil {
		t.Fatal(err)
	}
	if got := psnr(t, img, &p.YCbCr); got < 99 {
		t.Errorf("the copy differs from the picture: PSNR %.1f dB", got)
	}
	other, err := NewPicture(322, 180)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Free()
	if err := other.CopyFrom(src); err == nil {
		t.Error("a 320x180 picture copied into a 322x180 one")
	}
	gone, _ := NewPicture(320, 180)
	gone.Free()
	if err := dst.CopyFrom(gone); err == nil {
		t.Error("a freed picture copied")
	}
}

// TestH264SaysItsColours: an independent parser (ffprobe) reads the H.264
// stream as constrained baseline whose pictures are BT.601 in video range,
// as the VP8 mix's are: without the colour description, browsers took the
// 1280x720 pictures for BT.709 and shifted every colour (a distance of 12
// in Y'CbCr in TestConference's H.264 browser, against 1 after).
func TestH264SaysItsColours(t *testing.T) {
	enc, err := NewH264Encoder(smallH264Config())
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	frames, _ := h264Encode(t, enc, 0, 10, false)
	var stream []byte
	for _, f := range frames {
		stream = append(stream, f.Data...)
	}
	path := filepath.Join(t.TempDir(), "mix.h264")
	if err := os.WriteFile(path, stream, 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := mediatest.ProbeFile(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	v, ok := p.Video()
	if !ok {
		t.Fatalf("no video stream: %+v", p)
	}
	if v.CodecName != "h264" || v.Profile != "Constrained Baseline" || v.Width != 320 ||
		v.ColorSpace != "smpte170m" || v.ColorPrimaries != "smpte170m" || v.ColorTransfer != "smpte170m" || v.ColorRange != "tv" {
		t.Errorf("ffprobe reads %+v: want 320 wide constrained baseline H.264, BT.601 (smpte170m) in video range (tv)", v)
	}
}

// TestH264SaysItsLevel: an encoder given a level writes it in its SPS
// (level 1b as level_idc 11 with constraint_set3), one given none the
// lowest x264 finds for the stream.
func TestH264SaysItsLevel(t *testing.T) {
	for _, c := range []struct {
		level     H264Level
		idc       byte
		set3      bool
		w, h, bps int
	}{
		{0, 13, false, 320, 180, 300_000}, // x264's own: 7,200 macroblocks a second
		{30, 30, false, 320, 180, 300_000},
		{13, 13, false, 320, 180, 300_000},
		{H264Level1b, 11, true, 128, 96, 100_000},
	} {
		cfg := smallH264Config()
		cfg.Level, cfg.Width, cfg.Height, cfg.Bitrate = c.level, c.w, c.h, c.bps
		enc, err := NewH264Encoder(cfg)
		if err != nil {
			t.Fatalf("level %v: %v", c.level, err)
		}
		frames, _ := h264Encode(t, enc, 0, 1, false)
		enc.Close()
		_, sps := nalTypes(frames[0].Data)
		if sps[2] != c.idc || (sps[1]&0x10 != 0) != c.set3 {
			t.Errorf("level %v: SPS level_idc %d, constraint flags %#x; want %d, constraint_set3 %v", c.level, sps[2], sps[1], c.idc, c.set3)
		}
	}
}

// TestH264ConfigForLevel: a level takes the canvas down to the largest
// size of its shape it decodes and the bitrate down to its own; the zero
// level (no limit said) changes neither.
func TestH264ConfigForLevel(t *testing.T) {
	c := H264Config{Width: 1920, Height: 1080, FPS: 30, Bitrate: 20_000_000}
	if got := c.ForLevel(0); got.Width != 1920 || got.Height != 1080 || got.Bitrate != 20_000_000 || got.Level != 0 {
		t.Errorf("the zero level: %dx%d at %d bit/s, want the config unchanged", got.Width, got.Height, got.Bitrate)
	}
	if got := c.ForLevel(31); got.Width != 1280 || got.Height != 720 || got.Bitrate != 14_000_000 || got.Level != 31 {
		t.Errorf("level 3.1: %dx%d at %d bit/s, level %v; want 1280x720 at 14 Mbit/s", got.Width, got.Height, got.Bitrate, got.Level)
	}
	c.Bitrate = 1_500_000
	if got := c.ForLevel(31); got.Bitrate != 1_500_000 {
		t.Errorf("level 3.1 with 1.5 Mbit/s asked: %d bit/s, want 1.5 Mbit/s", got.Bitrate)
	}
}
