//go:build cgo

package codec

import (
	"bytes"
	"image"
	"testing"
)

// layerClip is what encodeLayers made: the frames and their pictures.
type layerClip struct {
	frames []EncodedFrame
	pics   []*Frame
}

// Events of the clips of encodeLayers, on frames where the alternation
// would otherwise go on: a keyframe asked for where a droppable frame was
// due, a bitrate change in place, and one that reopens the encoder (its
// keyframe also where a droppable frame was due).
const (
	layerKeyAt    = 45
	layerRateAt   = 60
	layerReopenAt = 75
	layerFrames   = 96
)

// encodeLayers encodes a busy synthetic clip (moving texture with noise,
// and a moving box: most blocks are predicted from the previous frame)
// with two layers on or off, with the events above.
func encodeLayers(t *testing.T, cfg VP8Config, twoLayers bool) layerClip {
	t.Helper()
	enc, err := NewVP8Encoder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	enc.SetTwoLayers(twoLayers)
	var c layerClip
	for i := range layerFrames {
		switch i {
		case layerRateAt:
			if err := enc.SetBitrate(cfg.Bitrate / 2); err != nil {
				t.Fatal(err)
			}
		case layerReopenAt:
			enc.fixedRate = errNoRetarget // as when libvpx cannot be retargeted
			if err := enc.SetBitrate(cfg.Bitrate); err != nil {
				t.Fatal(err)
			}
		}
		pic := testPicture(cfg.Width, cfg.Height, i, true)
		f, err := enc.Encode(&pic.YCbCr, pic.PTS, i == layerKeyAt)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		c.frames = append(c.frames, f)
		c.pics = append(c.pics, pic)
	}
	return c
}

// decodeWithout decodes all frames of c with one decoder, and the frames
// skip does not drop with another, fresh one; it returns how many of the
// latter differ from the same frames' pictures in the former.
func decodeWithout(t *testing.T, c layerClip, skip func(i int) bool) (kept, differ int) {
	t.Helper()
	var all, some [][]byte
	var keptAt []int
	for i, f := range c.frames {
		all = append(all, f.Data)
		if !skip(i) {
			some = append(some, f.Data)
			keptAt = append(keptAt, i)
		}
	}
	whole, part := decodeAll(t, VP8, all), decodeAll(t, VP8, some)
	if len(whole) != len(all) || len(part) != len(some) {
		t.Fatalf("%d and %d pictures of %d and %d frames", len(whole), len(part), len(all), len(some))
	}
	for j, i := range keptAt {
		if p := psnr(t, &whole[i].YCbCr, &c.pics[i].YCbCr); p < minRoundTripPSNR {
			t.Errorf("picture %d: PSNR %.1f dB < %d", i, p, minRoundTripPSNR)
		}
		if !samePicture(&whole[i].YCbCr, &part[j].YCbCr) {
			differ++
		}
	}
	return len(keptAt), differ
}

// samePicture reports whether two 4:2:0 pictures have the same pixels.
func samePicture(a, b *image.YCbCr) bool {
	if a.Rect.Size() != b.Rect.Size() {
		return false
	}
	w, h := a.Rect.Dx(), a.Rect.Dy()
	same := func(pa, pb []byte, sa, sb, w, h int) bool {
		for y := range h {
			if !bytes.Equal(pa[y*sa:y*sa+w], pb[y*sb:y*sb+w]) {
				return false
			}
		}
		return true
	}
	return same(a.Y, b.Y, a.YStride, b.YStride, w, h) &&
		same(a.Cb, b.Cb, a.CStride, b.CStride, (w+1)/2, (h+1)/2) &&
		same(a.Cr, b.Cr, a.CStride, b.CStride, (w+1)/2, (h+1)/2)
}

// TestVP8TwoLayers: with two layers, the droppable frames alternate with
// reference frames, a keyframe (asked for, or of a reopening) restarting
// the alternation, and a decoder sent only the reference frames makes
// exactly the pictures of one sent every frame.
func TestVP8TwoLayers(t *testing.T) {
	c := encodeLayers(t, smallConfig(), true)
	droppable := 0
	for i, f := range c.frames {
		wantKey := i == 0 || i == layerKeyAt || i == layerReopenAt
		if f.Key != wantKey {
			t.Errorf("frame %d: key %v, want %v", i, f.Key, wantKey)
		}
		// The first frame and each one after a droppable frame are
		// reference frames; a keyframe is one too.
		want := i > 0 && !c.frames[i-1].Droppable && !f.Key
		if f.Droppable != want {
			t.Errorf("frame %d (key %v): droppable %v, want %v", i, f.Key, f.Droppable, want)
		}
		if f.Droppable {
			droppable++
		}
	}
	// Both keyframes fall where a droppable frame was due, so the pattern
	// restarts: the frames after them are droppable.
	for _, k := range []int{layerKeyAt, layerReopenAt} {
		if k%2 == 0 || !c.frames[k+1].Droppable || c.frames[k+2].Droppable {
			t.Errorf("after the keyframe at %d: droppable %v %v, want true false", k, c.frames[k+1].Droppable, c.frames[k+2].Droppable)
		}
	}
	if droppable < layerFrames/2-2 {
		t.Errorf("%d droppable frames of %d", droppable, layerFrames)
	}
	kept, differ := decodeWithout(t, c, func(i int) bool { return c.frames[i].Droppable })
	if differ != 0 {
		t.Errorf("%d of %d reference frames decode differently without the droppable frames", differ, kept)
	}
}

// TestVP8TwoLayersPeriodicKeyframe: a keyframe libvpx makes on its own
// (every 7 frames here, so most fall where a droppable frame was due,
// and come out as keyframes although asked to be droppable) restarts the
// alternation like one asked for.
func TestVP8TwoLayersPeriodicKeyframe(t *testing.T) {
	cfg := smallConfig()
	cfg.KeyframeInterval = 7
	enc, err := NewVP8Encoder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	enc.SetTwoLayers(true)
	var c layerClip
	for i := range 40 {
		pic := testPicture(cfg.Width, cfg.Height, i, true)
		f, err := enc.Encode(&pic.YCbCr, pic.PTS, false)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if f.Key != (i%7 == 0) {
			t.Errorf("frame %d: key %v, want one every 7 frames", i, f.Key)
		}
		if want := i > 0 && !c.frames[i-1].Droppable && !f.Key; f.Droppable != want {
			t.Errorf("frame %d (key %v): droppable %v, want %v", i, f.Key, f.Droppable, want)
		}
		c.frames = append(c.frames, f)
		c.pics = append(c.pics, pic)
	}
	kept, differ := decodeWithout(t, c, func(i int) bool { return c.frames[i].Droppable })
	if differ != 0 {
		t.Errorf("%d of %d reference frames decode differently without the droppable frames", differ, kept)
	}
}

// TestVP8OneLayerNotDroppable: without two layers, every frame refers to
// the one before it, so skipping every second frame changes the pictures
// of the others; TestVP8TwoLayers's comparison can fail.
func TestVP8OneLayerNotDroppable(t *testing.T) {
	c := encodeLayers(t, smallConfig(), false)
	for i, f := range c.frames {
		if f.Droppable {
			t.Errorf("frame %d: droppable with one layer", i)
		}
	}
	skip := func(i int) bool { return i%2 == 1 && !c.frames[i].Key }
	if kept, differ := decodeWithout(t, c, skip); differ < kept/2 {
		t.Errorf("only %d of %d pictures differ with every second frame skipped", differ, kept)
	}
}

// TestVP8TwoLayersOffByDefault: a new encoder makes no droppable frames;
// turned on and off again it makes ordinary ones; and a picture encoded
// as a droppable frame carries nothing of it into the next encoder that
// takes it (the H.264 one, in the mixer): that encoder's frames are byte
// for byte those of an encoder given a picture never used with layers.
func TestVP8TwoLayersOffByDefault(t *testing.T) {
	cfg := smallConfig()
	open := func() *VP8Encoder {
		enc, err := NewVP8Encoder(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(enc.Close)
		return enc
	}
	layered, shared, alone := open(), open(), open()
	if layered.TwoLayers() {
		t.Fatal("a new encoder has two layers")
	}
	pic, err := layered.NewPicture()
	if err != nil {
		t.Fatal(err)
	}
	defer pic.Free()
	own, err := alone.NewPicture()
	if err != nil {
		t.Fatal(err)
	}
	defer own.Free()
	const on, off = 4, 10 // two layers for frames 4..9
	for i := range 16 {
		switch i {
		case on:
			layered.SetTwoLayers(true)
		case off:
			layered.SetTwoLayers(false)
		}
		src := testPicture(cfg.Width, cfg.Height, i, true)
		if err := pic.Load(&src.YCbCr); err != nil {
			t.Fatal(err)
		}
		if err := own.Load(&src.YCbCr); err != nil {
			t.Fatal(err)
		}
		f, err := layered.EncodePicture(pic, src.PTS, false)
		if err != nil {
			t.Fatal(err)
		}
		if want := i >= on && i < off && (i-on)%2 == 1; f.Droppable != want {
			t.Errorf("frame %d: droppable %v, want %v", i, f.Droppable, want)
		}
		a, err := shared.EncodePicture(pic, src.PTS, false)
		if err != nil {
			t.Fatal(err)
		}
		b, err := alone.EncodePicture(own, src.PTS, false)
		if err != nil {
			t.Fatal(err)
		}
		if a.Droppable || b.Droppable || !bytes.Equal(a.Data, b.Data) {
			t.Errorf("frame %d: a picture shared with a two-layer encoder coded differently (droppable %v %v)", i, a.Droppable, b.Droppable)
		}
	}
	if layered.TwoLayers() {
		t.Error("two layers still on")
	}
}

// TestVP8TwoLayersCost logs, at 1280x720 on busy content, the share of
// the bytes in reference frames with two layers, and what two layers cost
// in all at the same bitrate.
func TestVP8TwoLayersCost(t *testing.T) {
	if testing.Short() {
		t.Skip("encodes 1280x720")
	}
	cfg := DefaultVP8Config()
	const n = 90
	pics := busyClip(cfg.Width, cfg.Height, n)
	size := func(twoLayers bool) (ref, all int) {
		enc, err := NewVP8Encoder(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer enc.Close()
		enc.SetTwoLayers(twoLayers)
		for _, p := range pics {
			f, err := enc.Encode(&p.YCbCr, p.PTS, false)
			if err != nil {
				t.Fatal(err)
			}
			all += len(f.Data)
			if !f.Droppable {
				ref += len(f.Data)
			}
		}
		return ref, all
	}
	ref, two := size(true)
	_, one := size(false)
	t.Logf("%dx%d at %d kbit/s, %d frames: two layers %d bytes, %d (%.1f %%) in reference frames; one layer %d bytes (two layers: %+.1f %%)",
		cfg.Width, cfg.Height, cfg.Bitrate/1000, n, two, ref, 100*float64(ref)/float64(two), one, 100*(float64(two)/float64(one)-1))
}
