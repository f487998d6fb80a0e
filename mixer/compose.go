package mixer

import (
	"context"
	"fmt"
	"image"
	"strconv"
	"time"

	"mcu/codec"
	"mcu/layout"
)

// videoTick composes the canvas for media time t and hands it to the
// encoder.
func (m *Mixer) videoTick(ctx context.Context, t time.Duration, st tickState, pipe *encodePipe) error {
	start := time.Now()
	m.arrivals = m.arrivals[:0]
	m.updateCells(st.mode)
	for i, mem := range m.members {
		if err := m.paint(ctx, mem, m.cells[i], t); err != nil {
			return err
		}
	}
	if m.cfg.Tap != nil {
		if err := m.cfg.Tap(m.canvas, t); err != nil {
			return fmt.Errorf("mixer: tap: %w", err)
		}
	}
	buf, err := pipe.buffer(ctx, !m.cfg.Live)
	if err != nil {
		return err
	}
	m.stats.compose.observe(time.Since(start))
	if m.stats.obs != nil {
		m.stats.obs.Compose(time.Since(start))
	}
	if buf == nil { // live, and the encoder is still busy
		m.stats.dropped.Add(1)
		if m.stats.obs != nil {
			m.stats.obs.Dropped()
		}
		return nil
	}
	if err := buf.Load(m.canvas); err != nil {
		pipe.free <- buf
		return err
	}
	var arrivals []time.Time
	if len(m.arrivals) > 0 {
		arrivals = append(arrivals, m.arrivals...)
	}
	pipe.submit(encodeJob{pic: buf, pts: t, key: m.takeKeyframe(st, t), bitrate: st.bitrate, arrivals: arrivals})
	return nil
}

// updateCells recomputes the layout when the number of participants, the
// mode or the speaker changed; a new layout repaints every tile.
func (m *Mixer) updateCells(mode layout.Mode) {
	key := cellsKey{mode: mode, n: len(m.members), speaker: -1}
	if mode == layout.Speaker {
		key.speaker = m.speakerIndex()
	}
	if key == m.cellsKey && m.cells != nil {
		return
	}
	m.cellsKey = key
	m.cells = layout.Cells(mode, key.n, max(key.speaker, 0), m.Size())
	m.gen++
	codec.FillRect(m.canvas, m.canvas.Rect, codec.BlackY, codec.GreyUV, codec.GreyUV)
}

// paint brings one participant's tile up to date: its newest picture scaled
// into the cell, its last picture if nothing new came, or a placeholder.
func (m *Mixer) paint(ctx context.Context, mem *member, cell layout.Rect, t time.Duration) error {
	var f *codec.Frame
	if mem.Video != nil {
		var err error
		if f, err = mem.Video.VideoAt(ctx, t); err != nil {
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			// A broken source keeps its last picture; say so once per tick
			// at most, as a warning (the source also logs its own errors).
			m.log.Warn("video source", "participant", mem.ID, "err", err)
		}
	}
	r := rect(cell)
	ps := &mem.painted
	if f == nil || f.Width() < 2 || f.Height() < 2 {
		if ps.gen != m.gen || !ps.placeholder {
			drawPlaceholder(m.canvas, r, label(mem))
			*ps = paintState{gen: m.gen, placeholder: true, box: ps.box}
		}
		return nil
	}
	if b, ok := mem.Video.(BoxedSource); ok && ps.box != cell.Size() {
		b.SetBox(cell.Size(), m.cfg.Aspect)
	}
	ps.box = cell.Size()
	size := layout.Size{W: f.SourceWidth, H: f.SourceHeight}
	if size.W < 2 || size.H < 2 {
		size = layout.Size{W: f.Width(), H: f.Height()}
	}
	if ps.gen == m.gen && !ps.placeholder && ps.seq == f.Seq && ps.size == size {
		return nil // nothing new
	}
	dst, crop := layout.Place(size, cell, m.cfg.Aspect)
	if f.Width() != size.W || f.Height() != size.H {
		crop = layout.Rect{W: f.Width(), H: f.Height()} // already cropped (and scaled) by the source
	}
	if dst != cell && (ps.gen != m.gen || ps.placeholder || ps.size != size) {
		// Letterbox bars: paint them once, when the geometry changes.
		codec.FillRect(m.canvas, r, codec.BlackY, codec.GreyUV, codec.GreyUV)
	}
	if crop.W == dst.W && crop.H == dst.H {
		codec.CopyRect(m.canvas, rect(dst).Min, &f.YCbCr, rect(crop))
	} else if err := m.scaler.Scale(m.canvas, rect(dst), &f.YCbCr, rect(crop)); err != nil {
		return fmt.Errorf("mixer: participant %s: %w", mem.ID, err)
	}
	if !f.Arrival.IsZero() && ps.seq != f.Seq {
		m.arrivals = append(m.arrivals, f.Arrival)
	}
	*ps = paintState{gen: m.gen, seq: f.Seq, size: size, box: ps.box}
	return nil
}

func label(mem *member) string {
	if mem.Name != "" {
		return mem.Name
	}
	if mem.slot >= 0 {
		return "#" + strconv.Itoa(mem.slot+1)
	}
	return mem.ID
}

func rect(r layout.Rect) image.Rectangle { return image.Rect(r.X, r.Y, r.X+r.W, r.Y+r.H) }

// takeKeyframe decides whether this picture is forced to be a keyframe:
// pending requests are served at most once per KeyframeMinInterval.
func (m *Mixer) takeKeyframe(st tickState, t time.Duration) bool {
	if !st.keyWant {
		return false
	}
	if m.hadKey && t-m.lastKey < m.cfg.KeyframeMinInterval {
		return false // stays pending
	}
	m.mu.Lock()
	m.keyWant = false
	m.mu.Unlock()
	m.hadKey, m.lastKey = true, t
	return true
}
