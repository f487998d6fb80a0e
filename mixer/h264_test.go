package mixer

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"mcu/codec"
	"mcu/layout"
)

// scripted is a colour source that calls each action at its first picture
// from its time on, as receivers coming and going would from other
// goroutines.
type scripted struct {
	colourSource
	at   []time.Duration
	do   []func()
	done int
}

func (s *scripted) VideoAt(ctx context.Context, t time.Duration) (*codec.Frame, error) {
	for s.done < len(s.at) && t >= s.at[s.done] {
		s.do[s.done]()
		s.done++
	}
	return s.colourSource.VideoAt(ctx, t)
}

// TestH264Output: the H.264 output runs only while turned on, each of its
// pictures one of a tick the VP8 output has too, in order; it starts with a keyframe each time it is turned on, its
// keyframe requests are its own (neither output's requests make the
// other's keyframes), and it decodes to the participant's colour.
func TestH264Output(t *testing.T) {
	out := &capture{}
	m, err := New(testConfig(), out)
	if err != nil {
		t.Fatal(err)
	}
	ms := time.Millisecond
	src := &scripted{colourSource: colourSource{y: 81, cb: 90, cr: 240, w: 320, h: 180},
		at: []time.Duration{500 * ms, 1000 * ms, 1500 * ms, 2000 * ms, 2500 * ms},
		do: []func(){
			func() { m.SetH264(true) },
			m.RequestKeyframe,
			m.RequestH264Keyframe,
			func() { m.SetH264(false) },
			func() { m.SetH264(true) },
		}}
	if err := m.Add(Participant{ID: "a", Video: src}); err != nil {
		t.Fatal(err)
	}
	run(t, m, 3*time.Second)

	// Each action is seen at the tick after the one that made it.
	frame := time.Second / 30
	on := func(pts time.Duration) bool {
		return pts > 500*ms && pts <= 2000*ms || pts > 2500*ms
	}
	var vp8Keys, h264Keys []time.Duration
	var h264 [][]byte
	lastVP8, lastH264, vp8s := time.Duration(-1), time.Duration(-1), 0
	for i, f := range out.video {
		switch f.Codec {
		case codec.VP8:
			if f.PTS <= lastVP8 {
				t.Fatalf("VP8 picture %d at %v after %v", i, f.PTS, lastVP8)
			}
			lastVP8 = f.PTS
			vp8s++
			if f.Key {
				vp8Keys = append(vp8Keys, f.PTS)
			}
		case codec.H264:
			if f.PTS <= lastH264 || f.PTS%frame > time.Microsecond && frame-f.PTS%frame > time.Microsecond {
				t.Errorf("H.264 picture %d at %v after %v: not in order, or not at a tick", i, f.PTS, lastH264)
			}
			lastH264 = f.PTS
			if !on(f.PTS) {
				t.Errorf("H.264 picture at %v, while the output was off", f.PTS)
			}
			if f.Key {
				h264Keys = append(h264Keys, f.PTS)
			}
			if f.PTS > 500*ms && f.PTS <= 2000*ms {
				h264 = append(h264, f.Data)
			}
		default:
			t.Fatalf("picture %d: codec %v", i, f.Codec)
		}
	}
	if vp8s != 90 {
		t.Errorf("%d VP8 pictures in 3 s, want 90", vp8s)
	}
	want := int((1500*ms)/frame) + int((500*ms-frame/2)/frame) // (0.5 s, 2 s] and (2.5 s, 3 s)
	if n := m.Stats().H264Frames; int(n) != want || len(h264) != int((1500*ms)/frame) {
		t.Errorf("%d H.264 pictures (%d in the first run), want %d (%d)", n, len(h264), want, int((1500*ms)/frame))
	}
	near := func(got, want time.Duration) bool { return got >= want && got <= want+frame }
	if len(vp8Keys) != 2 || vp8Keys[0] != 0 || !near(vp8Keys[1], 1000*ms+frame) {
		t.Errorf("VP8 keyframes at %v, want 0 and the request's (1 s)", vp8Keys)
	}
	if len(h264Keys) != 3 || !near(h264Keys[0], 500*ms+frame) || !near(h264Keys[1], 1500*ms+frame) || !near(h264Keys[2], 2500*ms+frame) {
		t.Errorf("H.264 keyframes at %v, want when it was turned on (0.5 s, 2.5 s) and the request's (1.5 s)", h264Keys)
	}
	if n := m.Stats().H264Keyframes; n != 3 {
		t.Errorf("stats: %d H.264 keyframes", n)
	}

	dec, err := codec.NewVideoDecoder(codec.H264)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	var pics int
	cell := layout.Cells(layout.Grid, 1, 0, layout.Size{W: 640, H: 360})[0]
	for i, d := range h264 {
		if err := dec.Send(d, time.Duration(i)*frame); err != nil {
			t.Fatalf("H.264 picture %d: %v", i, err)
		}
		f := &codec.Frame{}
		ok, err := dec.Receive(f)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			continue
		}
		pics++
		if y := lumaAt(&f.YCbCr, cell); y < 76 || y > 86 || f.Rect.Dx() != 640 {
			t.Errorf("H.264 picture %d: %dx%d, luma %d at the tile's centre, want 640x360 and ~81", i, f.Rect.Dx(), f.Rect.Dy(), y)
		}
	}
	if pics < len(h264)-2 {
		t.Errorf("decoded %d of %d H.264 pictures", pics, len(h264))
	}
}

// blockH264 is an output whose H.264 pictures wait until release is
// closed.
type blockH264 struct {
	capture
	release chan struct{}
}

func (b *blockH264) Video(f codec.EncodedFrame) error {
	if f.Codec == codec.H264 {
		<-b.release
	}
	return b.capture.Video(f)
}

// TestH264OutputDropsWhileBusy: live, a picture that comes while the H.264
// encoder (here its output) is still busy is dropped, not waited for, and
// a keyframe asked for with a dropped picture comes with the next one
// encoded.
func TestH264OutputDropsWhileBusy(t *testing.T) {
	cfg := testConfig().Video
	cfg.Width, cfg.Height = 320, 180
	out := &blockH264{release: make(chan struct{})}
	st := &stats{}
	h := &h264Pipe{cfg: cfg.H264(), out: out, stats: st, log: slog.Default(), fail: func(err error) { t.Errorf("output failed: %v", err) }}
	pic, err := codec.NewPicture(320, 180)
	if err != nil {
		t.Fatal(err)
	}
	defer pic.Free()
	c := newCanvas(pic, 0)
	offer := func(i int, key bool) {
		h.offer(encodeJob{c: c, pts: time.Duration(i) * time.Second / 30, h264Key: key, bitrate: cfg.Bitrate})
	}
	offer(0, false) // encoded; its output blocks, and the run's picture stays taken
	offer(1, true)  // dropped, its keyframe owed
	offer(2, false) // dropped
	if n := st.h264Dropped.Load(); n != 2 {
		t.Fatalf("%d pictures dropped while the encoder was busy, want 2", n)
	}
	close(out.release)
	for end := time.Now().Add(5 * time.Second); len(h.idle) == 0; {
		if time.Now().After(end) {
			t.Fatal("the encoder did not come back")
		}
		time.Sleep(time.Millisecond)
	}
	offer(3, false)
	h.stop()
	h.wait()
	var keys []bool
	var pts []time.Duration
	for _, f := range out.video {
		keys, pts = append(keys, f.Key), append(pts, f.PTS)
	}
	if len(keys) != 2 || !keys[0] || !keys[1] || pts[1] != 3*time.Second/30 {
		t.Errorf("H.264 pictures at %v, keyframes %v: want the first and the fourth, both keyframes (the second's request owed)", pts, keys)
	}
	if st.h264Frames.Load() != 2 || st.h264Keyframes.Load() != 2 {
		t.Errorf("stats: %d pictures, %d keyframes", st.h264Frames.Load(), st.h264Keyframes.Load())
	}
}
