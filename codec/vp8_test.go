//go:build cgo

package codec

import (
	"bytes"
	"errors"
	"image"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/asticode/go-astiav"

	"mcu/internal/mediatest"
)

// minRoundTripPSNR: a 320x180 picture at 400 kbit/s is coded well above
// 30 dB; a broken encoder, decoder or plane layout gives noise well below.
const minRoundTripPSNR = 30

func TestVP8RoundTrip(t *testing.T) {
	cfg := smallConfig()
	frames, pics := encodeClip(t, cfg, 45, false)
	var data [][]byte
	for i, f := range frames {
		if len(f.Data) == 0 {
			t.Fatalf("frame %d: no data", i)
		}
		if f.Key != IsKeyframe(VP8, f.Data) {
			t.Errorf("frame %d: encoder says key=%v, bitstream says %v", i, f.Key, !f.Key)
		}
		if f.PTS != pics[i].PTS || f.Duration != time.Second/30 {
			t.Errorf("frame %d: pts %v duration %v, want %v and 1/30 s", i, f.PTS, f.Duration, pics[i].PTS)
		}
		data = append(data, f.Data)
	}
	if !frames[0].Key || frames[1].Key {
		t.Errorf("first frames key flags %v %v, want true false", frames[0].Key, frames[1].Key)
	}
	got := decodeAll(t, VP8, data)
	if len(got) != len(pics) {
		t.Fatalf("decoded %d pictures, want %d", len(got), len(pics))
	}
	for i := range got {
		if p := psnr(t, &got[i].YCbCr, &pics[i].YCbCr); p < minRoundTripPSNR {
			t.Errorf("picture %d: PSNR %.1f dB < %d", i, p, minRoundTripPSNR)
		}
		if got[i].PTS != pics[i].PTS {
			t.Errorf("picture %d: pts %v want %v", i, got[i].PTS, pics[i].PTS)
		}
	}
}

// Drop takes a picture as Receive would, without copying it out, and the
// decoder goes on: the pictures received between dropped ones, decoded
// from the references those left, match what was encoded.
func TestDecoderDrop(t *testing.T) {
	frames, pics := encodeClip(t, smallConfig(), 10, false)
	dec := newTestDecoder(t, VP8)
	for i, f := range frames {
		if err := dec.Send(f.Data, NoPTS); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if i%2 == 0 {
			if ok, err := dec.Drop(); !ok || err != nil {
				t.Fatalf("frame %d: Drop %v, %v; want a picture", i, ok, err)
			}
		} else {
			got := &Frame{}
			if ok, err := dec.Receive(got); !ok || err != nil {
				t.Fatalf("frame %d: Receive %v, %v; want a picture", i, ok, err)
			}
			if p := psnr(t, &got.YCbCr, &pics[i].YCbCr); p < minRoundTripPSNR {
				t.Errorf("picture %d after a dropped one: PSNR %.1f dB < %d", i, p, minRoundTripPSNR)
			}
		}
		if ok, err := dec.Drop(); ok || err != nil {
			t.Fatalf("frame %d: a second picture (%v, %v)", i, ok, err)
		}
	}
}

// TestDecoderPreroll: a frame sent as pre-roll gives no picture, but the
// frames that refer to it decode as well as if it had been shown.
func TestDecoderPreroll(t *testing.T) {
	frames, pics := encodeClip(t, smallConfig(), 6, false)
	dec := newTestDecoder(t, VP8)
	for i, f := range frames {
		send := dec.Send
		if i < 3 {
			send = dec.SendPreroll
		}
		if err := send(f.Data, time.Duration(i)*time.Second/30); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		got := &Frame{}
		ok, err := dec.Receive(got)
		switch {
		case err != nil:
			t.Fatalf("frame %d: %v", i, err)
		case i < 3 && ok:
			t.Errorf("pre-roll frame %d gave a picture", i)
		case i >= 3 && !ok:
			t.Errorf("frame %d after the pre-roll gave no picture", i)
		case i >= 3:
			if p := psnr(t, &got.YCbCr, &pics[i].YCbCr); p < minRoundTripPSNR {
				t.Errorf("picture %d after the pre-roll: PSNR %.1f dB < %d", i, p, minRoundTripPSNR)
			}
		}
	}
}

// TestDecoderPrerollOfEachCodec: the first frames of a clip sent as
// pre-roll give no picture with any decoder, libdav1d's (AV1) included,
// which takes no notice of FFmpeg's flag, and every frame after them does.
func TestDecoderPrerollOfEachCodec(t *testing.T) {
	const preroll = 3
	for _, name := range []string{"p01.ivf", "p12.vp9.ivf", "p12.av1.ivf"} {
		t.Run(name, func(t *testing.T) {
			in, err := OpenInput(mediatest.TestdataPath(t, name))
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			dec := newTestDecoder(t, in.Video().VideoCodec)
			var last time.Duration // of the pre-roll
			sent, shown := 0, 0
			take := func() {
				for {
					f := &Frame{}
					ok, err := dec.Receive(f)
					if err != nil {
						t.Fatal(err)
					}
					if !ok {
						return
					}
					shown++
					if f.PTS <= last {
						t.Errorf("a picture at %v, of the pre-roll (to %v)", f.PTS, last)
					}
				}
			}
			for {
				p, err := in.Read()
				if err != nil {
					break
				}
				if p.Kind != Video {
					continue
				}
				send := dec.Send
				if sent < preroll {
					send, last = dec.SendPreroll, p.PTS
				}
				if err := send(p.Data, p.PTS); err != nil {
					t.Fatalf("frame %d: %v", sent, err)
				}
				sent++
				take()
			}
			if err := dec.Flush(); err != nil {
				t.Fatal(err)
			}
			take()
			if shown != sent-preroll {
				t.Errorf("%d pictures of %d frames, %d of them pre-roll", shown, sent, preroll)
			}
		})
	}
}

func TestVP8ForcedKeyframe(t *testing.T) {
	enc, err := NewVP8Encoder(smallConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	for i := range 20 {
		pic := testPicture(320, 180, i, false)
		f, err := enc.Encode(&pic.YCbCr, pic.PTS, i == 12)
		if err != nil {
			t.Fatal(err)
		}
		if want := i == 0 || i == 12; f.Key != want {
			t.Errorf("frame %d: key %v, want %v", i, f.Key, want)
		}
	}
}

// TestVP8ConstantBitrate checks the rate control holds the target on busy
// content and follows changes of target while running, up and down,
// without a keyframe (the libvpx encoder is retargeted, not reopened).
func TestVP8ConstantBitrate(t *testing.T) {
	cfg := smallConfig()
	cfg.Bitrate = 300_000
	enc, err := NewVP8Encoder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	rate := func(from, to int) float64 {
		bytes := 0
		for i := from; i < to; i++ {
			pic := testPicture(320, 180, i, true)
			f, err := enc.Encode(&pic.YCbCr, pic.PTS, false)
			if err != nil {
				t.Fatal(err)
			}
			if f.Key && i > 0 {
				t.Errorf("frame %d is a keyframe", i)
			}
			bytes += len(f.Data)
		}
		return float64(bytes*8) / (float64(to-from) / 30)
	}
	// Skip the first second (rate control settles), then measure 3 s; after
	// each change, skip half a second (the buffer drains or fills).
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
	// CBR allows short-term deviation; over 3 s within ±30 % is expected.
	for _, c := range []struct{ got, want float64 }{{low, 300_000}, {high, 900_000}, {lowAgain, 300_000}} {
		if c.got < 0.7*c.want || c.got > 1.3*c.want {
			t.Errorf("rate %.0f bit/s, want %.0f ±30%%", c.got, c.want)
		}
	}
	if enc.Config().Bitrate != 300_000 {
		t.Errorf("config bitrate %d after changes", enc.Config().Bitrate)
	}
}

// TestVP8BitrateChangeReopens: an encoder whose bitrate cannot change in
// place (here marked so; in use, a wrapper retarget does not recognise)
// takes a new bitrate by reopening: the next frame is a keyframe, the one
// after is not, and the configuration shows the new bitrate.
func TestVP8BitrateChangeReopens(t *testing.T) {
	enc, err := NewVP8Encoder(smallConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	enc.fixedRate = errNoRetarget
	encode := func(i int) EncodedFrame {
		pic := testPicture(320, 180, i, true)
		f, err := enc.Encode(&pic.YCbCr, pic.PTS, false)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	for i := range 5 {
		encode(i)
	}
	if err := enc.SetBitrate(250_000); err != nil {
		t.Fatal(err)
	}
	if f := encode(5); !f.Key {
		t.Error("the first frame after the change is not a keyframe")
	}
	if f := encode(6); f.Key {
		t.Error("the second frame after the change is a keyframe")
	}
	if got := enc.Config().Bitrate; got != 250_000 {
		t.Errorf("config bitrate %d after the change", got)
	}
}

func TestVP8ConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*VP8Config)
	}{
		{"odd width", func(c *VP8Config) { c.Width = 321 }},
		{"positive speed adapts to idle CPU", func(c *VP8Config) { c.Speed = 4 }},
		{"zero speed", func(c *VP8Config) { c.Speed = 0 }},
		{"no fps", func(c *VP8Config) { c.FPS = 0 }},
		{"tiny bitrate", func(c *VP8Config) { c.Bitrate = 1000 }},
		{"no threads", func(c *VP8Config) { c.Threads = 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultVP8Config()
			tc.mutate(&c)
			if c.Validate() == nil {
				t.Errorf("Validate accepted %+v", c)
			}
			if _, err := NewVP8Encoder(c); err == nil {
				t.Errorf("NewVP8Encoder accepted %+v", c)
			}
		})
	}
	if err := DefaultVP8Config().Validate(); err != nil {
		t.Errorf("default config: %v", err)
	}
}

// TestValidateStream: the bounds every video encoder's settings share, at
// each edge; the message names the codec.
func TestValidateStream(t *testing.T) {
	type stream struct{ w, h, fps, bitrate, keyint int }
	ok := stream{1280, 720, 30, 1_500_000, 150}
	for _, c := range []struct {
		name   string
		s      stream
		wantOK bool
	}{
		{"default", ok, true},
		{"smallest", stream{16, 16, 1, 50_000, 1}, true},
		{"largest", stream{4096, 4096, 120, 50_000_000, 1}, true},
		{"narrow", stream{14, 720, 30, 1_500_000, 150}, false},
		{"low", stream{1280, 14, 30, 1_500_000, 150}, false},
		{"wide", stream{4098, 720, 30, 1_500_000, 150}, false},
		{"tall", stream{1280, 4098, 30, 1_500_000, 150}, false},
		{"odd width", stream{1281, 720, 30, 1_500_000, 150}, false},
		{"odd height", stream{1280, 721, 30, 1_500_000, 150}, false},
		{"no fps", stream{1280, 720, 0, 1_500_000, 150}, false},
		{"fps over 120", stream{1280, 720, 121, 1_500_000, 150}, false},
		{"bitrate under 50k", stream{1280, 720, 30, 49_999, 150}, false},
		{"bitrate over 50M", stream{1280, 720, 30, 50_000_001, 150}, false},
		{"no keyframe interval", stream{1280, 720, 30, 1_500_000, 0}, false},
	} {
		err := validateStream("vp9", c.s.w, c.s.h, c.s.fps, c.s.bitrate, c.s.keyint)
		switch {
		case c.wantOK && err != nil:
			t.Errorf("%s %+v: %v", c.name, c.s, err)
		case !c.wantOK && err == nil:
			t.Errorf("%s %+v accepted", c.name, c.s)
		case err != nil && !strings.Contains(err.Error(), "vp9"):
			t.Errorf("%s: %q does not name the codec", c.name, err)
		}
	}
}

// TestVP8FFmpegArgs: the encoder's settings, which the ffmpeg CLI gets too
// for the benchmark, are WebRTC's: real time at a fixed speed, no
// look-ahead, error resilient (a receiver that decodes past a lost frame
// is not misled by probabilities from it), constant bitrate, keyframes
// capped, the quantizer kept from its coarsest, static blocks skipped,
// and the threads asked for.
func TestVP8FFmpegArgs(t *testing.T) {
	joined := func(c VP8Config) string { return " " + strings.Join(c.FFmpegArgs(), " ") + " " }
	def := joined(DefaultVP8Config())
	for _, want := range []string{" -c:v libvpx ", " -deadline realtime ", " -cpu-used -6 ", " -lag-in-frames 0 ",
		" -auto-alt-ref 0 ", " -error-resilient default ", " -b:v 1500000 ", " -minrate 1500000 ", " -maxrate 1500000 ",
		" -max-intra-rate 300 ", " -qmax 56 ", " -static-thresh 1 ", " -threads 1 "} {
		if !strings.Contains(def, want) {
			t.Errorf("FFmpegArgs lacks %q: %s", want, def)
		}
	}
	four := DefaultVP8Config()
	four.Threads = 4
	if args := joined(four); !strings.Contains(args, " -threads 4 ") {
		t.Errorf("FFmpegArgs with 4 threads: %s", args)
	}
}

func TestDecoderWaitsForKeyframe(t *testing.T) {
	frames, _ := encodeClip(t, smallConfig(), 10, false)
	dec := newTestDecoder(t, VP8)
	// A stream joined in the middle: delta frames are refused.
	if err := dec.Send(frames[3].Data, 0); !errors.Is(err, ErrNeedKeyframe) {
		t.Fatalf("delta frame first: %v, want ErrNeedKeyframe", err)
	}
	if err := dec.Send(frames[0].Data, 0); err != nil {
		t.Fatal(err)
	}
	f := &Frame{}
	if ok, err := dec.Receive(f); !ok || err != nil {
		t.Fatalf("keyframe not decoded: %v %v", ok, err)
	}
	// After a loss, the decoder waits for the next keyframe again.
	dec.WaitKeyframe()
	if err := dec.Send(frames[4].Data, 0); !errors.Is(err, ErrNeedKeyframe) {
		t.Errorf("after WaitKeyframe: %v, want ErrNeedKeyframe", err)
	}
	if !dec.NeedsKeyframe() {
		t.Error("NeedsKeyframe false while waiting")
	}
}

// TestDecoderNewStreamAfterFlush: after Flush has drained a stream, the
// decoder takes the next stream from its keyframe.
func TestDecoderNewStreamAfterFlush(t *testing.T) {
	frames, _ := encodeClip(t, smallConfig(), 3, false)
	dec := newTestDecoder(t, VP8)
	f := &Frame{}
	for stream := range 2 {
		var got int
		for _, fr := range frames {
			if err := dec.Send(fr.Data, 0); err != nil {
				t.Fatalf("stream %d: %v", stream, err)
			}
			for {
				ok, err := dec.Receive(f)
				if err != nil {
					t.Fatalf("stream %d: %v", stream, err)
				}
				if !ok {
					break
				}
				got++
			}
		}
		if err := dec.Flush(); err != nil {
			t.Fatal(err)
		}
		for {
			ok, err := dec.Receive(f)
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			got++
		}
		if got != len(frames) {
			t.Errorf("stream %d: %d pictures, want %d", stream, got, len(frames))
		}
		if err := dec.Send(frames[1].Data, 0); !errors.Is(err, ErrNeedKeyframe) {
			t.Errorf("a delta frame after the flush: %v, want ErrNeedKeyframe", err)
		}
	}
}

// TestDecoderRefusesHugePictures: a keyframe whose header claims 4000x4000
// (above MaxDecodePixels) is a corrupt frame, not a 24 MB picture.
func TestDecoderRefusesHugePictures(t *testing.T) {
	frames, _ := encodeClip(t, smallConfig(), 1, false)
	key := bytes.Clone(frames[0].Data)
	// VP8 keyframe: 3-byte tag, start code 9d 01 2a, then 14-bit width and
	// height (little endian, 2 bits of scaling above).
	if len(key) < 10 || key[3] != 0x9d || key[4] != 0x01 || key[5] != 0x2a {
		t.Fatalf("not a VP8 keyframe: % x", key[:10])
	}
	key[6], key[7], key[8], key[9] = 0xa0, 0x0f, 0xa0, 0x0f // 4000x4000
	dec := newTestDecoder(t, VP8)
	err := dec.Send(key, 0)
	f := &Frame{}
	ok, rerr := dec.Receive(f)
	if err == nil && rerr == nil && ok {
		t.Fatalf("decoded a %dx%d picture, want an error", f.SourceWidth, f.SourceHeight)
	}
	if err != nil && !errors.Is(err, ErrCorrupt) {
		t.Errorf("send: %v, want ErrCorrupt", err)
	}
	// The real keyframe still decodes.
	if err := dec.Send(frames[0].Data, 0); err != nil {
		t.Fatal(err)
	}
	if ok, err := dec.Receive(f); !ok || err != nil || f.Width() != 320 {
		t.Errorf("good keyframe after the huge one: %v %v %dx%d", ok, err, f.Width(), f.Height())
	}
}

// TestDecoderTakesPortrait4K: a phone's 4K picture held upright, 2160x3840,
// is within MaxDecodePixels and decodes (FFmpeg counts its width rounded
// up to its row alignment, 2176, and refused it); one a row of 16 pixels
// wider is beyond it and is a corrupt frame.
func TestDecoderTakesPortrait4K(t *testing.T) {
	for _, c := range []struct {
		w, h int
		ok   bool
	}{{2160, 3840, true}, {2176, 3840, false}} {
		cfg := DefaultVP8Config()
		cfg.Width, cfg.Height, cfg.Speed = c.w, c.h, -16
		frames, _ := encodeClip(t, cfg, 1, false)
		dec := newTestDecoder(t, VP8)
		err := dec.Send(frames[0].Data, 0)
		f := &Frame{}
		ok, rerr := dec.Receive(f)
		switch {
		case c.ok && (err != nil || rerr != nil || !ok || f.SourceWidth != c.w || f.SourceHeight != c.h):
			t.Errorf("%dx%d: send %v, receive %v %v, picture %dx%d; want it decoded", c.w, c.h, err, ok, rerr, f.SourceWidth, f.SourceHeight)
		case !c.ok && (ok || !errors.Is(errors.Join(err, rerr), ErrCorrupt)):
			t.Errorf("%dx%d: send %v, receive %v %v; want ErrCorrupt", c.w, c.h, err, ok, rerr)
		}
	}
}

// TestDecoderSurvivesGarbage feeds damaged frames between good ones: no
// crash, errors are ErrCorrupt or ErrNeedKeyframe, and a keyframe brings
// back a clean picture.
func TestDecoderSurvivesGarbage(t *testing.T) {
	cfg := smallConfig()
	frames, pics := encodeClip(t, cfg, 4, false)
	enc, err := NewVP8Encoder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	key, err := enc.Encode(&pics[0].YCbCr, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []VideoCodec{VP8, VP9, H264, AV1} {
		t.Run(c.String(), func(t *testing.T) {
			dec := newTestDecoder(t, c)
			garbage := [][]byte{
				{0x00}, {0x9d, 0x01, 0x2a}, bytes.Repeat([]byte{0xff}, 3000),
				append([]byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xb4, 0x00}, bytes.Repeat([]byte{0x55}, 500)...),
				append(append([]byte{}, frames[0].Data[:len(frames[0].Data)/3]...), bytes.Repeat([]byte{0xa5}, 200)...),
				{0, 0, 0, 1, 0x65, 0xff, 0xff}, {0, 0, 1, 0x67, 0x42}, {0x82, 0x49, 0x83, 0x42, 0x00},
			}
			f := &Frame{}
			for i := range 4 {
				for _, g := range garbage {
					err := dec.Send(g, 0)
					if err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNeedKeyframe) {
						t.Fatalf("round %d: unexpected error kind: %v", i, err)
					}
					for {
						ok, err := dec.Receive(f)
						if err != nil && !errors.Is(err, ErrCorrupt) {
							t.Fatalf("receive: %v", err)
						}
						if !ok {
							break
						}
					}
				}
			}
			if c != VP8 {
				return
			}
			if err := dec.Send(key.Data, 0); err != nil {
				t.Fatalf("keyframe after garbage: %v", err)
			}
			if ok, err := dec.Receive(f); !ok || err != nil {
				t.Fatalf("no picture from keyframe after garbage: %v %v", ok, err)
			}
			if p := psnr(t, &f.YCbCr, &pics[0].YCbCr); p < minRoundTripPSNR {
				t.Errorf("picture after recovery: PSNR %.1f", p)
			}
		})
	}
}

func TestDecoderResolutionChange(t *testing.T) {
	a := smallConfig()
	b := a
	b.Width, b.Height = 480, 270
	fa, _ := encodeClip(t, a, 5, false)
	fb, _ := encodeClip(t, b, 5, false)
	var data [][]byte
	for _, f := range append(fa, fb...) {
		data = append(data, f.Data)
	}
	got := decodeAll(t, VP8, data)
	if len(got) != 10 {
		t.Fatalf("decoded %d pictures, want 10", len(got))
	}
	if got[4].Width() != 320 || got[5].Width() != 480 || got[9].Height() != 270 {
		t.Errorf("sizes %dx%d then %dx%d", got[4].Width(), got[4].Height(), got[5].Width(), got[5].Height())
	}
}

// TestReceiveScaled decodes a picture whose left and right halves differ and
// asks for the right half only, scaled down: the result is the right colour
// everywhere, at the asked size, with the decoded size kept.
func TestReceiveScaled(t *testing.T) {
	cfg := smallConfig()
	pic := NewFrame(320, 180)
	FillRect(&pic.YCbCr, image.Rect(0, 0, 160, 180), 60, 90, 200)
	FillRect(&pic.YCbCr, image.Rect(160, 0, 320, 180), 180, 200, 60)
	enc, err := NewVP8Encoder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	ef, err := enc.Encode(&pic.YCbCr, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	dec := newTestDecoder(t, VP8)
	if err := dec.Send(ef.Data, 0); err != nil {
		t.Fatal(err)
	}
	var gotW, gotH int
	f := &Frame{}
	ok, err := dec.ReceiveScaled(f, func(w, h int) (image.Rectangle, image.Point) {
		gotW, gotH = w, h
		return image.Rect(170, 10, 310, 170), image.Pt(70, 80)
	})
	if !ok || err != nil {
		t.Fatalf("ReceiveScaled: %v %v", ok, err)
	}
	if gotW != 320 || gotH != 180 || f.Width() != 70 || f.Height() != 80 || f.SourceWidth != 320 || f.SourceHeight != 180 {
		t.Fatalf("target saw %dx%d; frame %dx%d from %dx%d", gotW, gotH, f.Width(), f.Height(), f.SourceWidth, f.SourceHeight)
	}
	for y := range 80 {
		for x := range 70 {
			// Coding noise of a flat area stays within a few levels.
			if v := int(f.Y[y*f.YStride+x]); v < 174 || v > 186 {
				t.Fatalf("luma %d at (%d,%d): the crop took pixels from the left half", v, x, y)
			}
		}
	}
}

// TestLoadPacketPads reads back what FFmpeg is given: the data, then
// inputPadding zero bytes inside the packet's own buffer, which says it
// holds exactly that much. The caller's slice is left as it was, spare
// capacity included.
func TestLoadPacketPads(t *testing.T) {
	pkt := astiav.AllocPacket()
	defer pkt.Free()
	check := func(name string, data []byte) {
		t.Helper()
		spare := slices.Clone(data[len(data):cap(data)])
		if err := LoadPacket(pkt, data); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		defer pkt.Unref()
		if pkt.Size() != len(data) {
			t.Fatalf("%s: packet size %d, want %d", name, pkt.Size(), len(data))
		}
		got, size := packetBuffer(pkt)
		if size != len(data)+inputPadding || len(got) != size {
			t.Fatalf("%s: the buffer says it has %d bytes (%d from the data on), want %d", name, size, len(got), len(data)+inputPadding)
		}
		if !bytes.Equal(got[:len(data)], data) {
			t.Errorf("%s: packet data differs from the data loaded", name)
		}
		if pad := got[len(data):]; !bytes.Equal(pad, make([]byte, inputPadding)) {
			t.Errorf("%s: padding % x, want zeros", name, pad)
		}
		if !bytes.Equal(data[len(data):cap(data)], spare) {
			t.Errorf("%s: the caller's spare capacity was written", name)
		}
	}
	check("a frame", bytes.Repeat([]byte{0xab}, 1000))
	check("spare capacity with stale bytes", bytes.Repeat([]byte{0xcd}, 100+inputPadding)[:100])
	check("empty", nil)
}

// TestPictureImagePaintsInPlace draws pictures through Picture.Image (as the
// mixer does) and the same pictures through Load into a second encoder: the
// two encoders, fed the same pixels, must produce the same bytes. An odd
// width checks the chroma planes' size and strides.
func TestPictureImagePaintsInPlace(t *testing.T) {
	cfg := smallConfig()
	cfg.Width, cfg.Height = 322, 180
	painted, err := NewVP8Encoder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer painted.Close()
	loaded, err := NewVP8Encoder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer loaded.Close()
	pic, err := painted.NewPicture()
	if err != nil {
		t.Fatal(err)
	}
	defer pic.Free()
	for i := range 5 {
		src := testPicture(cfg.Width, cfg.Height, i, true)
		img, err := pic.Image()
		if err != nil {
			t.Fatal(err)
		}
		if img.Rect != src.Rect {
			t.Fatalf("picture image %v, want %v", img.Rect, src.Rect)
		}
		CopyImage(img, &src.YCbCr)
		pts := time.Duration(i) * time.Second / 30
		a, err := painted.EncodePicture(pic, pts, false)
		if err != nil {
			t.Fatal(err)
		}
		b, err := loaded.Encode(&src.YCbCr, pts, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Data) == 0 || !bytes.Equal(a.Data, b.Data) {
			t.Fatalf("frame %d: painted in place %d bytes, loaded %d bytes, different", i, len(a.Data), len(b.Data))
		}
	}
}

// TestVP8EncodeRefusesAForeignPicture: a picture of another encoder's
// size, or one freed, is refused with an error, not read past.
func TestVP8EncodeRefusesAForeignPicture(t *testing.T) {
	small, big := smallConfig(), smallConfig()
	big.Width, big.Height = small.Width*2, small.Height*2
	var encs []*VP8Encoder
	for _, c := range []VP8Config{small, big} {
		e, err := NewVP8Encoder(c)
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		encs = append(encs, e)
	}
	foreign, err := encs[0].NewPicture() // small, for the big encoder
	if err != nil {
		t.Fatal(err)
	}
	defer foreign.Free()
	if _, err := encs[1].EncodePicture(foreign, 0, false); err == nil || !strings.Contains(err.Error(), "picture into a") {
		t.Errorf("a %dx%d picture into a %dx%d encoder: %v, want an error", small.Width, small.Height, big.Width, big.Height, err)
	}
	own, err := encs[1].NewPicture()
	if err != nil {
		t.Fatal(err)
	}
	own.Free()
	if _, err := encs[1].EncodePicture(own, 0, false); err == nil {
		t.Error("a freed picture: no error")
	}
}
