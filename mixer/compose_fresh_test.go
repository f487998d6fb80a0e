package mixer

import (
	"context"
	"fmt"
	"image"
	"math/rand/v2"
	"testing"
	"time"

	"mcu/codec"
	"mcu/layout"
)

// revSource is a video source the test drives: its current picture changes
// only when the test says, with a fresh Seq each time.
type revSource struct {
	cur    *codec.Frame
	seq    uint64
	fail   bool // returns its picture with an error
	boxed  bool // implements SetBox through revBoxed
	box    layout.Size
	aspect layout.Aspect
	told   bool
}

func (s *revSource) VideoAt(context.Context, time.Duration) (*codec.Frame, error) {
	if s.fail {
		return s.cur, fmt.Errorf("broken")
	}
	return s.cur, nil
}

type revBoxed struct{ *revSource }

func (b revBoxed) SetBox(size layout.Size, a layout.Aspect) { b.box, b.aspect, b.told = size, a, true }

// pattern fills f with a picture that differs pixel to pixel and from
// picture to picture.
func pattern(f *codec.Frame, seed uint64) {
	for y := range f.Rect.Dy() {
		for x := range f.Rect.Dx() {
			f.Y[y*f.YStride+x] = byte(uint64(x*7+y*13) + seed*29)
		}
	}
	for y := range (f.Rect.Dy() + 1) / 2 {
		for x := range (f.Rect.Dx() + 1) / 2 {
			f.Cb[y*f.CStride+x] = byte(uint64(x*3+y) + seed*11)
			f.Cr[y*f.CStride+x] = byte(uint64(x+y*5) + seed*17)
		}
	}
}

var revSizes = []image.Point{{1, 1}, {2, 1}, {2, 2}, {3, 3}, {5, 7}, {322, 180}, {321, 181}, {640, 360},
	{640, 480}, {480, 640}, {1280, 720}, {100, 4}, {4, 100}, {1920, 1080}}

// next gives the source a new picture of w×h (decoded size; a boxed source
// delivers it cropped and scaled for the tile it was told, or, stale, for
// a tile it was told before).
func (s *revSource) next(rng *rand.Rand, sc *codec.Scaler, w, h int) {
	s.seq++
	if !s.boxed || !s.told || s.box.Empty() || w < 2 || h < 2 {
		f := codec.NewFrame(w, h)
		pattern(f, s.seq)
		f.Seq = s.seq
		s.cur = f
		return
	}
	full := codec.NewFrame(w, h)
	pattern(full, s.seq)
	crop, size := InTile(w, h, s.box, s.aspect)
	f := codec.NewFrame(size.X, size.Y)
	if err := sc.Scale(&f.YCbCr, f.Rect, &full.YCbCr, crop); err != nil {
		panic(err)
	}
	f.SourceWidth, f.SourceHeight = w, h
	f.Seq = s.seq
	s.cur = f
}

func planesEqual(a, b *image.YCbCr) (bool, image.Point) {
	w, h := a.Rect.Dx(), a.Rect.Dy()
	for y := range h {
		for x := range w {
			if a.Y[y*a.YStride+x] != b.Y[y*b.YStride+x] {
				return false, image.Pt(x, y)
			}
		}
	}
	for y := range (h + 1) / 2 {
		for x := range (w + 1) / 2 {
			if a.Cb[y*a.CStride+x] != b.Cb[y*b.CStride+x] || a.Cr[y*a.CStride+x] != b.Cr[y*b.CStride+x] {
				return false, image.Pt(2*x, 2*y)
			}
		}
	}
	return true, image.Point{}
}

// TestIncrementalPaintMatchesFreshPaint drives the compositor through
// random joins, leaves, layout and speaker changes and new pictures of
// changing sizes (odd, tiny, portrait, pre-scaled by the source, stale),
// on canvases from 16x16 to 3840x480, and after every tick compares each
// canvas (painted incrementally, skipping unchanged tiles) with the same
// tick painted from scratch: no stale pixels, no missed bars.
func TestIncrementalPaintMatchesFreshPaint(t *testing.T) {
	canvases := []layout.Size{{W: 16, H: 16}, {W: 64, H: 36}, {W: 322, H: 180}, {W: 1282, H: 722}, {W: 720, H: 1280}, {W: 3840, H: 480}}
	for _, cs := range canvases {
		for _, aspect := range []layout.Aspect{layout.Fit, layout.Fill} {
			t.Run(fmt.Sprintf("%v_%v", cs, aspect), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(cs.W), uint64(cs.H)*2+uint64(aspect)))
				cfg := testConfig()
				cfg.Video.Width, cfg.Video.Height = cs.W, cs.H
				cfg.Aspect = aspect
				m, err := New(cfg, &capture{})
				if err != nil {
					t.Fatal(err)
				}
				defer m.scaler.Close()
				var sc codec.Scaler
				defer sc.Close()
				var pics [2]*canvas
				for i := range pics {
					p, err := codec.NewPicture(cs.W, cs.H)
					if err != nil {
						t.Fatal(err)
					}
					pics[i] = newCanvas(p, i)
				}
				srcs := map[string]*revSource{}
				var ids []string
				nextID := 0
				ctx := context.Background()
				mode := layout.Grid
				ticks := 160
				if raceOn || testing.Short() {
					ticks = 30
				}
				for tick := range ticks {
					// Events.
					for range rng.IntN(3) {
						switch r := rng.IntN(10); {
						case r < 3 && len(ids) < 30:
							id := fmt.Sprint("p", nextID)
							nextID++
							s := &revSource{boxed: rng.IntN(2) == 0}
							p := Participant{ID: id, Name: []string{"", "Ada", "王小明", "Maria-Magdalena Wolkenstein-Trostburg Jr"}[rng.IntN(4)]}
							if rng.IntN(5) > 0 {
								if s.boxed {
									p.Video = revBoxed{s}
								} else {
									p.Video = s
								}
							}
							if err := m.Add(p); err != nil {
								t.Fatal(err)
							}
							srcs[id] = s
							ids = append(ids, id)
						case r < 4 && len(ids) > 0:
							i := rng.IntN(len(ids))
							m.Remove(ids[i])
							ids = append(ids[:i], ids[i+1:]...)
						case r < 5:
							mode = layout.Mode(rng.IntN(2))
							m.SetLayout(mode)
						default:
							if len(ids) == 0 {
								continue
							}
							s := srcs[ids[rng.IntN(len(ids))]]
							if rng.IntN(8) == 0 {
								s.fail = !s.fail
							}
							var w, h int
							if s.cur == nil || rng.IntN(3) == 0 {
								sz := revSizes[rng.IntN(len(revSizes))]
								w, h = sz.X, sz.Y
							} else if s.cur.SourceWidth > 0 {
								w, h = s.cur.SourceWidth, s.cur.SourceHeight
							}
							s.next(rng, &sc, w, h)
						}
					}
					// Most ticks every source has something new to show.
					for _, id := range ids {
						if s := srcs[id]; s.cur != nil && rng.IntN(3) == 0 {
							s.next(rng, &sc, s.cur.SourceWidth, s.cur.SourceHeight)
						}
					}
					tt := time.Duration(tick) * time.Second / 30
					st := m.sync(tt)
					if len(m.members) > 0 && rng.IntN(6) == 0 {
						m.audio.speaker = m.members[rng.IntN(len(m.members))].slot
					}
					m.updateCells(st.mode)
					c := pics[tick%2]
					img, err := m.paintCanvas(ctx, c, tt)
					if err != nil {
						t.Fatal(err)
					}
					// From scratch.
					want := codec.NewImage(cs.W, cs.H)
					for i, mem := range m.members {
						var ps paintState
						ps.gen = -1
						if err := m.paint(ctx, want, mem, &ps, m.cells[i], tt); err != nil {
							t.Fatal(err)
						}
					}
					if ok, p := planesEqual(img, want); !ok {
						who := -1
						for i, cell := range m.cells {
							if p.In(rect(cell)) {
								who = i
							}
						}
						t.Fatalf("tick %d (%v, %d people): the canvas differs from a fresh paint at %v (tile %d of %v)",
							tick, mode, len(m.members), p, who, m.cells)
					}
				}
			})
		}
	}
}
