package mixer

import (
	"context"
	"fmt"
	"testing"
	"time"

	"mcu/codec"
	"mcu/layout"
)

// benchSource gives a new picture at every call, either already at the
// size of its tile (as live and offline decoders deliver them) or at
// 640x360 for the mixer to scale.
type benchSource struct {
	prescaled bool
	box       layout.Size
	f         *codec.Frame
	seq       uint64
}

func (s *benchSource) SetBox(box layout.Size, _ layout.Aspect) { s.box = box }

func (s *benchSource) VideoAt(context.Context, time.Duration) (*codec.Frame, error) {
	w, h := 640, 360
	if s.prescaled && s.box.W > 0 {
		dst, _ := layout.Place(layout.Size{W: w, H: h}, s.box.Rect(), layout.Fit)
		w, h = dst.W, dst.H
	}
	if s.f == nil || s.f.Width() != w {
		s.f = testPicture(w, h)
		s.f.SourceWidth, s.f.SourceHeight = 640, 360
	}
	s.seq++
	s.f.Seq = s.seq
	return s.f, nil
}

func testPicture(w, h int) *codec.Frame {
	f := codec.NewFrame(w, h)
	for i := range f.Y {
		f.Y[i] = byte(i * 7)
	}
	return f
}

// BenchmarkCompose is the mixer's work for one output picture with N
// participants who all have a new picture: copying their tiles into the
// 1280x720 canvas (prescaled) or scaling them there (the fallback for
// pictures that do not match their tile), painting the encoder's input
// picture in place.
func BenchmarkCompose(b *testing.B) {
	for _, n := range []int{4, 9, 16} {
		for _, prescaled := range []bool{true, false} {
			name := fmt.Sprintf("n=%d/scaled-by-mixer", n)
			if prescaled {
				name = fmt.Sprintf("n=%d/prescaled", n)
			}
			b.Run(name, func(b *testing.B) {
				m, err := New(DefaultConfig(), &capture{})
				if err != nil {
					b.Fatal(err)
				}
				defer m.shutdown()
				for i := range n {
					m.Add(Participant{ID: fmt.Sprint(i), Video: &benchSource{prescaled: prescaled}})
				}
				ctx := context.Background()
				enc, err := codec.NewVP8Encoder(DefaultConfig().Video)
				if err != nil {
					b.Fatal(err)
				}
				defer enc.Close()
				var cs [canvases]*canvas
				for i := range cs {
					pic, err := enc.NewPicture()
					if err != nil {
						b.Fatal(err)
					}
					defer pic.Free()
					cs[i] = newCanvas(pic, i)
				}
				frames := 0
				for b.Loop() {
					st := m.sync(0)
					m.updateCells(st.mode)
					if _, err := m.paintCanvas(ctx, cs[frames%canvases], 0); err != nil {
						b.Fatal(err)
					}
					frames++
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(frames), "ms/frame")
			})
		}
	}
}
