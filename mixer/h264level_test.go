package mixer

import (
	"sync"
	"testing"
	"time"

	"mcu/codec"
	"mcu/layout"
)

// TestH264OutputKeepsToTheLevel: the H.264 output of a 640x360 canvas at
// 30 fps for receivers of level 3.0 (which takes it), then 1.2 (200
// macroblocks a picture at 30 fps, 384 kbit/s), then of no level: each
// change opens an encoder of the level, its size and its bitrate, which
// starts with a keyframe whose SPS says the level; the pictures at 1.2 are
// the canvas scaled down, its colour kept.
func TestH264OutputKeepsToTheLevel(t *testing.T) {
	var mu sync.Mutex
	var opened []codec.H264Config
	open := newH264Encoder
	t.Cleanup(func() { newH264Encoder = open })
	newH264Encoder = func(c codec.H264Config) (*codec.H264Encoder, error) {
		mu.Lock()
		opened = append(opened, c)
		mu.Unlock()
		return codec.NewH264Encoder(c)
	}
	out := &capture{}
	cfg := testConfig() // 640x360, 500 kbit/s
	m, err := New(cfg, out)
	if err != nil {
		t.Fatal(err)
	}
	ms := time.Millisecond
	src := &scripted{colourSource: colourSource{y: 81, cb: 90, cr: 240, w: 320, h: 180},
		at: []time.Duration{0, 1000 * ms, 2000 * ms},
		do: []func(){
			func() { m.SetH264Level(30); m.SetH264(true) },
			func() { m.SetH264Level(12) },
			func() { m.SetH264Level(0) },
		}}
	if err := m.Add(Participant{ID: "a", Video: src}); err != nil {
		t.Fatal(err)
	}
	run(t, m, 3*time.Second)

	smallW, smallH := codec.H264Level(12).Fit(640, 360, 30)
	if smallW >= 640 || smallW*smallH > 200*256 {
		t.Fatalf("level 1.2 fits 640x360 at 30 fps as %dx%d", smallW, smallH)
	}
	want := []struct {
		level codec.H264Level
		w, h  int
		bps   int
	}{{30, 640, 360, 500_000}, {12, smallW, smallH, 384_000}, {0, 640, 360, 500_000}}
	mu.Lock()
	if len(opened) != len(want) {
		t.Fatalf("%d H.264 encoders opened, want %d: %+v", len(opened), len(want), opened)
	}
	for i, w := range want {
		if c := opened[i]; c.Level != w.level || c.Width != w.w || c.Height != w.h || c.Bitrate != w.bps {
			t.Errorf("encoder %d: level %v, %dx%d, %d bit/s; want level %v, %dx%d, %d bit/s", i, c.Level, c.Width, c.Height, c.Bitrate, w.level, w.w, w.h, w.bps)
		}
	}
	mu.Unlock()

	// The pictures of each second, by the level asked for at its start
	// (each change is seen at the tick after it).
	frame := time.Second / 30
	var parts [3][]codec.EncodedFrame
	out.mu.Lock()
	for _, f := range out.video {
		if f.Codec == codec.H264 {
			i := min(int((f.PTS-frame)/time.Second), 2)
			parts[i] = append(parts[i], f)
		}
	}
	out.mu.Unlock()
	wantIDC := []byte{30, 12, 0}
	for i, part := range parts {
		if len(part) < 25 {
			t.Fatalf("second %d: %d H.264 pictures", i, len(part))
		}
		if !part[0].Key {
			t.Errorf("second %d: the first H.264 picture (at %v) is no keyframe", i, part[0].PTS)
		}
		if idc := spsLevel(part[0].Data); wantIDC[i] != 0 && idc != wantIDC[i] {
			t.Errorf("second %d: the SPS says level_idc %d, want %d", i, idc, wantIDC[i])
		}
		dec, err := codec.NewVideoDecoder(codec.H264)
		if err != nil {
			t.Fatal(err)
		}
		decoded := 0
		for k, f := range part {
			if err := dec.Send(f.Data, f.PTS); err != nil {
				t.Fatalf("second %d, picture %d: %v", i, k, err)
			}
			p := &codec.Frame{}
			ok, err := dec.Receive(p)
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				continue
			}
			decoded++
			cell := layout.Cells(layout.Grid, 1, 0, layout.Size{W: want[i].w, H: want[i].h})[0]
			if p.Rect.Dx() != want[i].w || p.Rect.Dy() != want[i].h {
				t.Errorf("second %d, picture %d: %dx%d, want %dx%d", i, k, p.Rect.Dx(), p.Rect.Dy(), want[i].w, want[i].h)
			} else if y := lumaAt(&p.YCbCr, cell); y < 76 || y > 86 {
				t.Errorf("second %d, picture %d: luma %d at the centre, want ~81", i, k, y)
			}
		}
		dec.Close()
		if decoded < len(part)-2 {
			t.Errorf("second %d: decoded %d of %d H.264 pictures", i, decoded, len(part))
		}
	}
}

// spsLevel is the level_idc of the first SPS in an Annex B access unit
// (0 if none).
func spsLevel(au []byte) byte {
	for i := 0; i+6 < len(au); i++ {
		if au[i] == 0 && au[i+1] == 0 && au[i+2] == 1 && au[i+3]&0x1f == 7 {
			return au[i+6]
		}
	}
	return 0
}
