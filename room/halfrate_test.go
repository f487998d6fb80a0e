package room

import (
	"image"
	"slices"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"mcu/codec"
)

// payloadBinding is a fakeBinding that keeps the payloads too.
type payloadBinding struct {
	fakeBinding
	payloads [][]byte
}

func (b *payloadBinding) WriteStream() webrtc.TrackLocalWriter { return b }
func (b *payloadBinding) WriteRTP(h *rtp.Header, p []byte) (int, error) {
	b.payloads = append(b.payloads, slices.Clone(p))
	return b.fakeBinding.WriteRTP(h, p)
}

// sentPictureID is the 15-bit picture ID of a payload vp8Payloader made.
func sentPictureID(t *testing.T, pl []byte) uint16 {
	t.Helper()
	if len(pl) < vp8DescriptorSize || pl[0]&0x80 == 0 || pl[1]&0x80 == 0 || pl[2]&0x80 == 0 {
		t.Fatalf("payload % x: no 15-bit picture ID", pl[:min(len(pl), 4)])
	}
	return uint16(pl[2]&0x7f)<<8 | uint16(pl[3])
}

// TestHalfRateReceiverSkipsDroppableFrames: a receiver on half rate is
// not sent the droppable frames, and what it is sent has sequence numbers
// and picture IDs without a gap (a gap would read as loss: NACKs, and a
// receiver waiting for the missing picture); the frame it is sent carries
// its payload otherwise unchanged. A receiver on every frame gets all,
// untouched, from the same writes. Turned off, the halved receiver gets
// every frame again, still without a gap.
func TestHalfRateReceiverSkipsDroppableFrames(t *testing.T) {
	video, err := newVideoTrack("video", "mcu-x")
	if err != nil {
		t.Fatal(err)
	}
	full := &payloadBinding{fakeBinding: fakeBinding{id: "full", ssrc: 1}}
	halved := &payloadBinding{fakeBinding: fakeBinding{id: "half", ssrc: 2}}
	half := video.halfRate(2)
	half.Store(true)
	for _, b := range []*payloadBinding{full, halved} {
		if _, err := video.Bind(b); err != nil {
			t.Fatal(err)
		}
	}
	const perFrame = 2
	write := func(k int, droppable bool) {
		t.Helper()
		data := make([]byte, mtu+100) // two packets
		data[0] = byte(k)
		f := codec.EncodedFrame{Data: data, PTS: time.Duration(k) * time.Second / 30, Key: k == 0, Droppable: droppable}
		if err := video.WriteFrame(f); err != nil {
			t.Fatal(err)
		}
	}
	for k := range 8 {
		write(k, k%2 == 1)
	}
	half.Store(false)
	for k := 8; k < 12; k++ {
		write(k, k%2 == 1)
	}

	if got, want := len(full.payloads), 12*perFrame; got != want {
		t.Fatalf("the full receiver got %d packets, want %d", got, want)
	}
	// Frames 0, 2, 4, 6, then 8..11.
	kept := []int{0, 2, 4, 6, 8, 9, 10, 11}
	if got, want := len(halved.payloads), len(kept)*perFrame; got != want {
		t.Fatalf("the halved receiver got %d packets, want %d", got, want)
	}
	check := func(name string, b *payloadBinding, frames []int) {
		t.Helper()
		seq0, pid0 := b.headers[0].SequenceNumber, sentPictureID(t, b.payloads[0])
		for i, h := range b.headers {
			n := i / perFrame // the n-th frame it got
			if got := h.SequenceNumber - seq0; got != uint16(i) {
				t.Errorf("%s: packet %d has sequence number first+%d, want first+%d", name, i, got, i)
			}
			if got := sentPictureID(t, b.payloads[i]) - pid0; got&0x7fff != uint16(n) {
				t.Errorf("%s: packet %d has picture ID first+%d, want first+%d", name, i, got, n)
			}
			k := frames[n]
			if want := uint32(k * 3000); h.Timestamp-b.headers[0].Timestamp != want {
				t.Errorf("%s: packet %d has timestamp first+%d, want first+%d (frame %d)", name, i, h.Timestamp-b.headers[0].Timestamp, want, k)
			}
			first := i%perFrame == 0
			if start := b.payloads[i][0]&0x10 != 0; start != first {
				t.Errorf("%s: packet %d start bit %v, want %v", name, i, start, first)
			}
			if first && b.payloads[i][vp8DescriptorSize] != byte(k) {
				t.Errorf("%s: packet %d carries frame %d, want frame %d", name, i, b.payloads[i][vp8DescriptorSize], k)
			}
		}
	}
	check("full", full, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})
	check("halved", halved, kept)
	// The two receivers' payloads are the same bytes but for the picture
	// ID, which the renumbering changed on the halved one's copy alone.
	if !slices.Equal(full.payloads[0], halved.payloads[0]) {
		t.Error("the first frame differs between the receivers")
	}
	if a, b := full.payloads[2*perFrame], halved.payloads[perFrame]; !slices.Equal(a[vp8DescriptorSize:], b[vp8DescriptorSize:]) || sentPictureID(t, a) == sentPictureID(t, b) {
		t.Error("frame 2: want the same frame, renumbered for the halved receiver")
	}
}

// TestHalfRateFlagIsDroppedAtUnbind: a receiver's flag goes with its
// binding, so that one that binds later under a reused SSRC does not
// find it.
func TestHalfRateFlagIsDroppedAtUnbind(t *testing.T) {
	video, err := newVideoTrack("video", "mcu-x")
	if err != nil {
		t.Fatal(err)
	}
	b := &payloadBinding{fakeBinding: fakeBinding{id: "a", ssrc: 7}}
	f := video.halfRate(7)
	if _, err := video.Bind(b); err != nil {
		t.Fatal(err)
	}
	if err := video.Unbind(b); err != nil {
		t.Fatal(err)
	}
	if g := video.halfRate(7); g == f {
		t.Error("the flag outlived its binding")
	}
}

// TestHalfRateStreamDecodes: the composite encoded with two layers,
// written through the track to a receiver on every frame and to one on
// half rate, depacketized and decoded by each: the halved receiver's
// decoder shows every frame it was sent exactly as the other shows it, a
// keyframe asked for in the middle included. Nothing in it refers to a
// frame it was not sent.
func TestHalfRateStreamDecodes(t *testing.T) {
	cfg, enc := twoLayerEncoder(t)
	video, full, halved := halvedTrack(t)
	const frames = 60
	droppable := 0
	for i := range frames {
		img := movingPicture(cfg.Width, cfg.Height, i)
		f, err := enc.Encode(img, time.Duration(i)*time.Second/30, i == 31)
		if err != nil {
			t.Fatal(err)
		}
		if f.Droppable {
			droppable++
		}
		if err := video.WriteFrame(f); err != nil {
			t.Fatal(err)
		}
	}
	if droppable < frames/2-2 {
		t.Fatalf("%d of %d frames droppable, want about half", droppable, frames)
	}
	fullPics := decodeSent(t, full)
	halfPics := decodeSent(t, halved)
	if len(fullPics) != frames {
		t.Fatalf("the full receiver decoded %d pictures, want %d", len(fullPics), frames)
	}
	if len(halfPics) != frames-droppable {
		t.Fatalf("the halved receiver decoded %d pictures, want %d", len(halfPics), frames-droppable)
	}
	for ts, got := range halfPics {
		want, ok := fullPics[ts]
		if !ok {
			t.Fatalf("the halved receiver decoded a picture at %d the other did not", ts)
		}
		if !slices.Equal(got.Y, want.Y) || !slices.Equal(got.Cb, want.Cb) || !slices.Equal(got.Cr, want.Cr) {
			t.Errorf("the picture at timestamp %d differs between the receivers", ts)
		}
	}
}

// movingPicture is a detailed picture that moves from frame to frame, so
// that frames are predicted from the ones before.
func movingPicture(w, h, i int) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for y := range h {
		for x := range w {
			img.Y[y*img.YStride+x] = byte((x*7+y*3+i*5)%200 + ((x/16+y/16+i/4)%2)*40)
		}
	}
	for y := range (h + 1) / 2 {
		for x := range (w + 1) / 2 {
			img.Cb[y*img.CStride+x] = byte(100 + (x+i)%50)
			img.Cr[y*img.CStride+x] = byte(150 - (y+i)%50)
		}
	}
	return img
}

// decodeSent puts the frames a binding was sent back together from their
// packets (whole: nothing is lost here) and decodes them, by RTP
// timestamp.
func decodeSent(t *testing.T, b *payloadBinding) map[uint32]*codec.Frame {
	t.Helper()
	dec, err := codec.NewVideoDecoder(codec.VP8)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	out := map[uint32]*codec.Frame{}
	var frame []byte
	for i, h := range b.headers {
		if i > 0 && h.SequenceNumber != b.headers[i-1].SequenceNumber+1 {
			t.Fatalf("%s: sequence number %d after %d", b.id, h.SequenceNumber, b.headers[i-1].SequenceNumber)
		}
		frame = append(frame, b.payloads[i][vp8DescriptorSize:]...)
		if !h.Marker {
			continue
		}
		if err := dec.Send(frame, time.Duration(h.Timestamp)); err != nil {
			t.Fatalf("%s: frame at %d: %v", b.id, h.Timestamp, err)
		}
		frame = nil
		pic := new(codec.Frame)
		ok, err := dec.Receive(pic)
		if err != nil || !ok {
			t.Fatalf("%s: frame at %d: no picture (%v)", b.id, h.Timestamp, err)
		}
		out[h.Timestamp] = pic
	}
	return out
}

// TestCompositeLayersSpareAReceiverALostFrame: the composite encoded with
// two layers says them in its payload descriptors, so a receiver that
// loses a droppable frame (its packets not resent in time) decodes
// on without asking for a keyframe, each picture as without the loss;
// the server's own receiving side stands for a browser's here. A
// receiver on half rate gets the base layer, its count without a gap.
func TestCompositeLayersSpareAReceiverALostFrame(t *testing.T) {
	cfg, enc := twoLayerEncoder(t)
	video, full, halved := halvedTrack(t)
	const n = 40
	var frames []layeredFrame
	for i := range n {
		f, err := enc.Encode(movingPicture(cfg.Width, cfg.Height, i), time.Duration(i)*time.Second/30, false)
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, layeredFrame{data: slices.Clone(f.Data), layer: temporalLayer{tid: map[bool]int{true: 1}[f.Droppable]}})
		if err := video.WriteFrame(f); err != nil {
			t.Fatal(err)
		}
	}
	lost := 20
	for frames[lost].layer.tid != 1 {
		lost++
	}
	// The full receiver's packets, by frame.
	packets := make([][][]byte, n)
	k := -1
	for i, h := range full.headers {
		if i == 0 || full.headers[i-1].Marker {
			k++
		}
		p := rtp.Packet{Header: h, Payload: full.payloads[i]}
		b, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		packets[k] = append(packets[k], b)
	}
	if k != n-1 {
		t.Fatalf("%d frames sent, want %d", k+1, n)
	}
	run := func(drop int) (pictures, keyframes int) {
		p := newVideoInProbe(t, map[uint8]string{96: "video/VP8"})
		p.in.start(96, "video/VP8")
		for i := range n {
			p.later(time.Second / 30)
			if i != drop {
				p.push(packets[i]...)
			}
			if err := p.in.expire(time.Now().Add(p.skew)); err != nil {
				t.Fatal(err)
			}
		}
		if err := p.in.expire(time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		return p.take()[image.Pt(cfg.Width, cfg.Height)], p.keyframes
	}
	if pictures, keyframes := run(-1); pictures != n || keyframes != 0 {
		t.Fatalf("without loss: %d pictures of %d frames, %d keyframes asked for", pictures, n, keyframes)
	}
	if pictures, keyframes := run(lost); pictures != n-1 || keyframes != 0 {
		t.Errorf("droppable frame %d lost: %d pictures, %d keyframes asked for; want %d and none", lost, pictures, keyframes, n-1)
	}
	// The halved receiver: base-layer frames only, counted one by one.
	var tl0 int
	for i, pl := range halved.payloads {
		if pl[0]&0x10 == 0 {
			continue // not a frame's first packet
		}
		l := vp8TemporalLayer(pl)
		if !l.ok || l.tid != 0 || i > 0 && l.tl0 != (tl0+1)%256 {
			t.Fatalf("halved receiver, packet %d: layer %+v after TL0PICIDX %d", i, l, tl0)
		}
		tl0 = l.tl0
	}
}

// twoLayerEncoder is a 320x180 VP8 encoder making the two-layer pattern
// (codec.VP8Encoder.SetTwoLayers), closed at the test's end.
func twoLayerEncoder(t *testing.T) (codec.VP8Config, *codec.VP8Encoder) {
	t.Helper()
	cfg := codec.DefaultVP8Config()
	cfg.Width, cfg.Height, cfg.Bitrate = 320, 180, 300_000
	enc, err := codec.NewVP8Encoder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(enc.Close)
	enc.SetTwoLayers(true)
	return cfg, enc
}

// halvedTrack is the composite's track bound to a receiver on every frame
// and to one on half rate.
func halvedTrack(t *testing.T) (video *clockTrack, full, halved *payloadBinding) {
	t.Helper()
	video, err := newVideoTrack("video", "mcu-x")
	if err != nil {
		t.Fatal(err)
	}
	full = &payloadBinding{fakeBinding: fakeBinding{id: "full", ssrc: 1}}
	halved = &payloadBinding{fakeBinding: fakeBinding{id: "half", ssrc: 2}}
	video.halfRate(2).Store(true)
	for _, b := range []*payloadBinding{full, halved} {
		if _, err := video.Bind(b); err != nil {
			t.Fatal(err)
		}
	}
	return video, full, halved
}
