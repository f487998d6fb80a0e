package room

import (
	"hash/fnv"
	"log/slog"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"

	"mcu/codec"
)

// TestVP8TemporalLayerDescriptor: the layer, TL0PICIDX and Y bit are read
// after a picture ID of either size or none, and a descriptor that does
// not say both the layer and the TL0PICIDX, or is cut short, tells no
// layer.
func TestVP8TemporalLayerDescriptor(t *testing.T) {
	for _, c := range []struct {
		name string
		p    []byte
		want temporalLayer
	}{
		{"15-bit picture ID", []byte{0x90, 0xe0, 0x81, 0x02, 7, 0x60, 0x9d}, temporalLayer{tid: 1, tl0: 7, sync: true, ok: true}},
		{"7-bit picture ID", []byte{0x90, 0xe0, 0x05, 200, 0x80, 0x9d}, temporalLayer{tid: 2, tl0: 200, ok: true}},
		{"no picture ID", []byte{0x90, 0x60, 0, 0x00, 0x9d}, temporalLayer{tl0: 0, ok: true}},
		{"with KEYIDX", []byte{0x90, 0xf0, 0x05, 9, 0xc3, 0x9d}, temporalLayer{tid: 3, tl0: 9, ok: true}},
		{"no TL0PICIDX", []byte{0x90, 0xa0, 0x05, 0x40, 0x9d}, temporalLayer{}},
		{"no layer", []byte{0x90, 0xc0, 0x05, 9, 0x9d}, temporalLayer{}},
		{"no extension", []byte{0x10, 0x9d, 0x01}, temporalLayer{}},
		{"cut short", []byte{0x90, 0xe0, 0x81, 0x02, 7}, temporalLayer{}},
		{"picture ID cut short", []byte{0x90, 0xe0, 0x81}, temporalLayer{}},
	} {
		if got := vp8TemporalLayer(c.p); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

// layeredFrame is a VP8 frame and where it sits in two temporal layers.
type layeredFrame struct {
	data  []byte
	layer temporalLayer
}

// twoLayerFrames encodes n moving pictures with the encoder's two-layer
// pattern: reference frames in the base layer, droppable ones in layer 1,
// with TL0PICIDX counted as a sender counts it (from 250, so that it
// wraps). sync tells the Y bit of the i-th layer-1 frame.
func twoLayerFrames(t *testing.T, n int, sync func(i int) bool) []layeredFrame {
	t.Helper()
	cfg, enc := twoLayerEncoder(t)
	var frames []layeredFrame
	tl0, upper := 249, 0
	for i := range n {
		f, err := enc.Encode(movingPicture(cfg.Width, cfg.Height, i), time.Duration(i)*time.Second/30, false)
		if err != nil {
			t.Fatal(err)
		}
		l := temporalLayer{ok: true}
		if f.Droppable {
			l.tid, l.sync = 1, sync(upper)
			upper++
		} else {
			tl0 = (tl0 + 1) % 256
		}
		l.tl0 = tl0
		frames = append(frames, layeredFrame{data: slices.Clone(f.Data), layer: l})
	}
	if !codec.IsKeyframe(codec.VP8, frames[0].data) || upper < n/2-2 {
		t.Fatalf("%d of %d frames in layer 1, the first a keyframe: %v", upper, n, codec.IsKeyframe(codec.VP8, frames[0].data))
	}
	return frames
}

// layeredPackets packetizes frame i of frames as a sender with temporal
// layers does: each packet's descriptor with a 15-bit picture ID, the
// TL0PICIDX and the layer, 500 bytes of the frame at most in each.
func layeredPackets(t *testing.T, frames []layeredFrame, i int, seq *uint16) [][]byte {
	t.Helper()
	f := frames[i]
	var raw [][]byte
	for off := 0; off < len(f.data); off += 500 {
		end := min(off+500, len(f.data))
		desc := []byte{0x80, 0xe0, 0x80 | byte(i>>8), byte(i), byte(f.layer.tl0), byte(f.layer.tid << 6)}
		if off == 0 {
			desc[0] |= 0x10 // S, partition 0
		}
		if f.layer.sync {
			desc[5] |= 0x20
		}
		pkt := rtp.Packet{
			Header: rtp.Header{
				Version: 2, PayloadType: 96, SequenceNumber: *seq, Timestamp: uint32(i * 3000), SSRC: 1234,
				Marker: end == len(f.data),
			},
			Payload: append(desc, f.data[off:end]...),
		}
		*seq++
		b, err := pkt.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		raw = append(raw, b)
	}
	return raw
}

// layeredRun pushes frames to a videoIn at 30 a second, but for the
// packets drop says to lose (frame, packet), and returns a digest of each
// picture decoded, in order, and the keyframes asked for.
func layeredRun(t *testing.T, frames []layeredFrame, drop func(frame, packet int) bool) (pictures []uint64, keyframes int) {
	t.Helper()
	pictures, keyframes, _ = layeredRunWaiting(t, frames, drop, func(int) time.Duration { return 0 })
	return pictures, keyframes
}

// layeredRunWaiting is layeredRun with frame i's packets having waited
// waited(i) for the decoder, and returns too how many frames the server
// was told of as dropped for it (a strain).
func layeredRunWaiting(t *testing.T, frames []layeredFrame, drop func(frame, packet int) bool, waited func(i int) time.Duration) (pictures []uint64, keyframes, behind int) {
	t.Helper()
	return layeredReplay(t, frames, func(i, k int, raw []byte) []byte {
		if drop(i, k) {
			return nil
		}
		return raw
	}, waited)
}

// layeredReplay pushes frames to a videoIn at 30 a second, each packet k
// of frame i as packet(i, k, raw) has it (nil: lost), having waited
// waited(i) for the decoder, and returns a digest of each picture
// decoded, in order, the keyframes asked for and the frames told as
// dropped for the wait.
func layeredReplay(t *testing.T, frames []layeredFrame, packet func(i, k int, raw []byte) []byte, waited func(i int) time.Duration) (pictures []uint64, keyframes, behind int) {
	t.Helper()
	var pic codec.Frame
	in := &videoIn{
		behind:   func() { behind++ },
		mimeType: func() string { return "video/VP8" },
		keyframe: func() { keyframes++ },
		pictures: func(dec *codec.VideoDecoder, _ time.Time) {
			for {
				ok, err := dec.Receive(&pic)
				if err != nil {
					t.Fatal(err)
				}
				if !ok {
					return
				}
				h := fnv.New64a()
				h.Write(pic.Y)
				h.Write(pic.Cb)
				h.Write(pic.Cr)
				pictures = append(pictures, h.Sum64())
			}
		},
		log:    slog.New(slog.DiscardHandler),
		stream: new(atomic.Pointer[StreamInfo]),
	}
	defer in.close()
	in.start(96, "video/VP8")
	start := time.Now()
	seq := uint16(65000)
	for i := range frames {
		at := start.Add(time.Duration(i) * time.Second / 30)
		for k, b := range layeredPackets(t, frames, i, &seq) {
			if b = packet(i, k, b); b == nil {
				continue
			}
			if _, err := in.push(b, at, waited(i)); err != nil {
				t.Fatal(err)
			}
		}
		if err := in.expire(at); err != nil {
			t.Fatal(err)
		}
	}
	if err := in.expire(start.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	return pictures, keyframes, behind
}

// picked is the digests of whole at the indices of frames decoded.
func picked(whole []uint64, decoded func(i int) bool) []uint64 {
	var out []uint64
	for i, d := range whole {
		if decoded(i) {
			out = append(out, d)
		}
	}
	return out
}

// TestVideoInTemporalLayerLoss: a VP8 sender with two temporal layers
// loses a frame of layer 1 (one packet of it, the frame given up): no
// keyframe is asked for and every other frame decodes, each picture the
// same as without the loss. Where the layer-1 frames after the lost one
// say they may refer to it (no Y bit), they are skipped up to the next
// that refers to the base layer alone, and the base layer's go on; a lost
// base-layer frame still asks for a keyframe.
func TestVideoInTemporalLayerLoss(t *testing.T) {
	const n = 60
	everySync := func(int) bool { return true }
	frames := twoLayerFrames(t, n, everySync)
	whole, asked := layeredRun(t, frames, func(int, int) bool { return false })
	if len(whole) != n || asked != 0 {
		t.Fatalf("without loss: %d pictures of %d frames, %d keyframes asked for", len(whole), n, asked)
	}
	upper := 20
	for frames[upper].layer.tid != 1 || len(layeredPackets(t, frames, upper, new(uint16))) < 2 {
		if upper++; upper == n-10 {
			t.Fatal("no layer-1 frame of two packets or more")
		}
	}
	got, asked := layeredRun(t, frames, func(i, k int) bool { return i == upper && k == 1 })
	if want := picked(whole, func(i int) bool { return i != upper }); asked != 0 || !slices.Equal(got, want) {
		t.Errorf("a layer-1 frame lost: %d keyframes asked for, %d pictures (want 0 and %d, each as without the loss)", asked, len(got), len(want))
	}

	// The Y bit on every third layer-1 frame only.
	frames = twoLayerFrames(t, n, func(i int) bool { return i%3 == 0 })
	whole, _ = layeredRun(t, frames, func(int, int) bool { return false })
	upper = 20
	for frames[upper].layer.tid != 1 || frames[upper].layer.sync {
		upper++
	}
	resync := upper + 1
	for frames[resync].layer.tid != 1 || !frames[resync].layer.sync {
		resync++
	}
	got, asked = layeredRun(t, frames, func(i, _ int) bool { return i == upper })
	want := picked(whole, func(i int) bool { return i < upper || i >= resync || frames[i].layer.tid == 0 })
	if asked != 0 || !slices.Equal(got, want) {
		t.Errorf("a layer-1 frame lost, the Y bit on every third: %d keyframes asked for, %d pictures (want 0 and %d: layer 1 from frame %d on)",
			asked, len(got), len(want), resync)
	}

	base := 21
	for frames[base].layer.tid != 0 {
		base++
	}
	got, asked = layeredRun(t, frames, func(i, _ int) bool { return i == base })
	if asked == 0 || !slices.Equal(got, whole[:base]) {
		t.Errorf("a base-layer frame lost: %d keyframes asked for, %d pictures (want some, and the %d before it)", asked, len(got), base)
	}
}

// TestVideoInTemporalLayerLossBeforeAPause: a frame whose first packet is
// lost and whose last one came is given up at the assembler's deadline
// with no frame behind it (a sender that pauses, as a screen share does).
// Of a sender with temporal layers, the next frame tells whether the loss
// broke the base layer: a keyframe is asked for only then, and only if it
// did.
func TestVideoInTemporalLayerLossBeforeAPause(t *testing.T) {
	frames := twoLayerFrames(t, 40, func(int) bool { return true })
	for _, lose := range []int{0, 1} {
		i := 20
		for frames[i].layer.tid != lose || len(layeredPackets(t, frames, i, new(uint16))) < 2 {
			i++
		}
		var pic codec.Frame
		pictures, keyframes := 0, 0
		in := &videoIn{
			mimeType: func() string { return "video/VP8" },
			keyframe: func() { keyframes++ },
			pictures: func(dec *codec.VideoDecoder, _ time.Time) {
				for ok, _ := dec.Receive(&pic); ok; ok, _ = dec.Receive(&pic) {
					pictures++
				}
			},
			log:    slog.New(slog.DiscardHandler),
			stream: new(atomic.Pointer[StreamInfo]),
		}
		in.start(96, "video/VP8")
		start, seq := time.Now(), uint16(0)
		for k := 0; k <= i; k++ {
			for j, b := range layeredPackets(t, frames, k, &seq) {
				if k == i && j == 0 {
					continue
				}
				if _, err := in.push(b, start, 0); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := in.expire(start.Add(2 * assemblerPatience)); err != nil {
			t.Fatal(err)
		}
		if keyframes != 0 || pictures != i {
			t.Errorf("layer %d: at the deadline, %d keyframes asked for and %d pictures, want none and %d", lose, keyframes, pictures, i)
		}
		for _, b := range layeredPackets(t, frames, i+1, &seq) {
			if _, err := in.push(b, start.Add(time.Second), 0); err != nil {
				t.Fatal(err)
			}
		}
		if broke := lose == 0; broke != (keyframes == 1) || broke == (pictures == i+1) {
			t.Errorf("layer %d: after the next frame, %d keyframes asked for and %d pictures", lose, keyframes, pictures)
		}
		in.close()
	}
}

// TestVideoInTemporalLayerWithoutSyncFrames: a sender whose frames above
// the base layer never say Y is shown at its base layer's rate after a
// loss above it for maxLayerSkips of those frames, not until its next
// keyframe: then a keyframe is asked for.
func TestVideoInTemporalLayerWithoutSyncFrames(t *testing.T) {
	const n = 90
	frames := twoLayerFrames(t, n, func(int) bool { return false })
	whole, _ := layeredRun(t, frames, func(int, int) bool { return false })
	upper := 20
	for frames[upper].layer.tid != 1 {
		upper++
	}
	end, skipped := upper+1, 0
	for ; end < n; end++ {
		if frames[end].layer.tid == 1 {
			if skipped++; skipped > maxLayerSkips {
				break
			}
		}
	}
	if end == n {
		t.Fatalf("%d frames are too few", n)
	}
	got, asked := layeredRun(t, frames, func(i, _ int) bool { return i == upper })
	want := picked(whole, func(i int) bool { return i < upper || i < end && frames[i].layer.tid == 0 })
	if asked == 0 || !slices.Equal(got, want) {
		t.Errorf("%d keyframes asked for, %d pictures; want some, and %d: the base layer's up to frame %d", asked, len(got), len(want), end)
	}
}

// TestVideoInTemporalLayerRepeatedLossWithoutSyncFrames: a sender whose
// frames above the base layer never say Y, and that loses one of them
// every eight, is not shown at its base layer's rate for good: the frames
// skipped count on across the losses, and a keyframe is asked for.
func TestVideoInTemporalLayerRepeatedLossWithoutSyncFrames(t *testing.T) {
	const n = 240
	frames := twoLayerFrames(t, n, func(int) bool { return false })
	lost, upper := map[int]bool{}, 0
	for i, f := range frames {
		if f.layer.tid == 1 {
			if i > 20 && upper%8 == 0 {
				lost[i] = true
			}
			upper++
		}
	}
	got, asked := layeredRun(t, frames, func(i, _ int) bool { return lost[i] })
	if asked == 0 {
		t.Errorf("%d layer-1 frames lost, one in eight: no keyframe asked for, %d pictures of %d (layer 1 never decodes again)", len(lost), len(got), n)
	}
}

// TestVideoInTemporalLayerLossAtTheWrap: a layer-1 frame lost just before
// the base-layer frame whose TL0PICIDX goes round from 255 to 0 broke no
// base-layer frame: no keyframe is asked for.
func TestVideoInTemporalLayerLossAtTheWrap(t *testing.T) {
	frames := twoLayerFrames(t, 30, func(int) bool { return true })
	whole, _ := layeredRun(t, frames, func(int, int) bool { return false })
	i := 1
	for frames[i].layer.tid != 1 || frames[i].layer.tl0 != 255 || frames[i+1].layer.tid != 0 {
		if i++; i == len(frames)-1 {
			t.Fatal("no layer-1 frame just before the wrap")
		}
	}
	got, asked := layeredRun(t, frames, func(j, _ int) bool { return j == i })
	if want := picked(whole, func(j int) bool { return j != i }); asked != 0 || !slices.Equal(got, want) {
		t.Errorf("frame %d lost: %d keyframes asked for, %d pictures (want 0 and %d)", i, asked, len(got), len(want))
	}
}

// TestTemporalLayersAdmit: after a loss above the base layer, each layer
// is whole again from its own sync frame, and a frame that is none
// decodes once its layer and every layer below it are whole (a layer-2
// sync frame before layer 1's, as Chromium sends them in L1T3, decodes;
// the layer-2 frame after it, which may refer to layer 1's last, not
// while layer 1 waits, and its layer is broken again); a layer not seen
// since the loss may have lost a frame too; a sync frame that does not
// follow the base-layer frame decoded last is skipped; TL0PICIDX counts
// round from 255 to 0; a base-layer frame lost asks for a keyframe.
func TestTemporalLayersAdmit(t *testing.T) {
	var s temporalLayers
	for i, c := range []struct {
		tid, tl0   int
		sync, lost bool
		key        bool
		want       layerVerdict
	}{
		{tid: 0, tl0: 255, key: true, want: layerDecode},
		{tid: 2, tl0: 255, want: layerDecode},
		{tid: 1, tl0: 255, want: layerDecode},
		{tid: 0, tl0: 0, lost: true, want: layerDecode}, // a layer-1 or -2 frame lost before it
		{tid: 2, tl0: 0, sync: true, want: layerDecode},
		{tid: 2, tl0: 0, want: layerSkip}, // layer 1 waits
		{tid: 1, tl0: 0, sync: true, want: layerDecode},
		{tid: 2, tl0: 0, want: layerSkip}, // its layer broken by the frame skipped
		{tid: 0, tl0: 1, want: layerDecode},
		{tid: 2, tl0: 1, sync: true, want: layerDecode},
		{tid: 2, tl0: 1, want: layerDecode},
		{tid: 1, tl0: 1, want: layerDecode},
		{tid: 3, tl0: 1, want: layerSkip},             // layer 3, not seen since the loss
		{tid: 3, tl0: 0, sync: true, want: layerSkip}, // not after base-layer frame 1
		{tid: 3, tl0: 1, sync: true, want: layerDecode},
		{tid: 3, tl0: 1, want: layerDecode},
		{tid: 2, tl0: 2, lost: true, want: layerAfterLoss}, // base-layer frame 2 lost
	} {
		l := temporalLayer{tid: c.tid, tl0: c.tl0, sync: c.sync, ok: true}
		if got := s.admit(l, c.lost, c.key, false); got != c.want {
			t.Errorf("frame %d (%+v): %d, want %d", i, c, got, c.want)
		}
	}
}

// TestVideoInShedsUpperLayersWhenBehind: a decoder that falls behind
// (packets waiting over maxDecodeLag for it) drops a layered sender's
// frames above the base layer, told as a strain, and decodes its base
// layer's, late: no keyframe is asked for, every picture is one of the
// stream's as decoded in time, and layer 1 comes back at its next sync
// frame once the wait is over. Past maxLayeredLag, frames are dropped up
// to a keyframe, as for any sender.
func TestVideoInShedsUpperLayersWhenBehind(t *testing.T) {
	const n = 60
	late := func(i int) bool { return i >= 20 && i < 40 }
	for _, every := range []int{1, 3} {
		frames := twoLayerFrames(t, n, func(i int) bool { return i%every == 0 })
		whole, _ := layeredRun(t, frames, func(int, int) bool { return false })
		back := 40 // the first layer-1 frame decoded after the wait
		for frames[back].layer.tid != 1 || !frames[back].layer.sync {
			back++
		}
		// Told as behind: the layer-1 frames the wait kept from the
		// decoder, its first and each sync frame after it (the others
		// wait for one anyway).
		shed := 0
		for i := 20; i < 40; i++ {
			if l := frames[i].layer; l.tid == 1 && (shed == 0 || l.sync) {
				shed++
			}
		}
		got, asked, behind := layeredRunWaiting(t, frames, func(int, int) bool { return false }, func(i int) time.Duration {
			if late(i) {
				return maxDecodeLag + 200*time.Millisecond
			}
			return 0
		})
		want := picked(whole, func(i int) bool { return i < 20 || i >= back || frames[i].layer.tid == 0 })
		if asked != 0 || behind != shed || !slices.Equal(got, want) {
			t.Errorf("Y on every %d: %d keyframes asked for, %d frames told as behind, %d pictures; want 0, %d and %d (layer 1 back at frame %d)",
				every, asked, behind, len(got), shed, len(want), back)
		}
	}
	frames := twoLayerFrames(t, n, func(int) bool { return true })
	whole, _ := layeredRun(t, frames, func(int, int) bool { return false })
	got, asked, _ := layeredRunWaiting(t, frames, func(int, int) bool { return false }, func(i int) time.Duration {
		if late(i) {
			return maxLayeredLag + 100*time.Millisecond
		}
		return 0
	})
	if asked == 0 || !slices.Equal(got, whole[:20]) {
		t.Errorf("past maxLayeredLag: %d keyframes asked for, %d pictures; want some, and the 20 before the wait", asked, len(got))
	}
}

// TestTemporalLayersShedForLong: a sender that codes three temporal layers
// as Chromium does for L1T3 (0 2 1 2 0 2 1 2, the second layer-1 and
// layer-2 frames of every two base-layer frames saying Y), its upper
// layers shed for 10 s by a decoder behind (each frame admitted above the
// base dropped for want of time): no frame is taken for a loss that asks
// for a keyframe, however long it lasts, and both layers are whole again
// once it ends. A sender whose frames never say Y gets its keyframe
// asked for during the shedding, as after a loss.
func TestTemporalLayersShedForLong(t *testing.T) {
	for _, says := range []bool{true, false} {
		var s temporalLayers
		s.admit(temporalLayer{ok: true}, false, true, false)
		tl0, asked := 0, -1
		for i := 1; i < 600 && asked < 0; i++ {
			l := temporalLayer{tl0: tl0, ok: true}
			switch i % 4 {
			case 0:
				tl0 = (tl0 + 1) % 256
				l.tl0 = tl0
			case 1:
				l.tid, l.sync = 2, says && i%8 == 5
			case 2:
				l.tid, l.sync = 1, says && i%8 == 6
			case 3:
				l.tid = 2
			}
			switch s.admit(l, false, false, false) {
			case layerAfterLoss:
				asked = i
			case layerDecode:
				if i < 300 && l.tid > 0 {
					s.shed(l)
				}
			}
		}
		if says && (asked >= 0 || !s.known || s.broken&s.seen != 0) {
			t.Errorf("Y said: keyframe asked for at frame %d (-1: none) of the shedding's 300, then %+v; want none, every layer whole", asked, s)
		}
		if !says && (asked < 0 || asked >= 300) {
			t.Errorf("no Y: keyframe asked for at frame %d (-1: none); want one during the shedding's 300", asked)
		}
	}
}
