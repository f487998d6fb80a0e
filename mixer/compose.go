package mixer

import (
	"context"
	"fmt"
	"image"
	"slices"
	"strconv"
	"time"

	"mcu/codec"
	"mcu/internal/sched"
	"mcu/layout"
)

// videoTick paints the next canvas for media time t and hands it to the
// encoder.
func (m *Mixer) videoTick(ctx context.Context, t time.Duration, st tickState, pipe *encodePipe) error {
	if obs := m.stats.obs; obs != nil { // CPU: waiting costs none; a tap (offline) counts
		span := sched.StartCPU()
		defer func() { obs.CPU(StageCompose, span.End()) }()
	}
	m.arrivals = m.arrivals[:0]
	m.updateCells(st.mode)
	c, err := pipe.buffer(ctx, !m.cfg.Live) // offline, it waits for the encoder: not in the compose time
	if err != nil {
		return err
	}
	if c == nil { // live, and the encoder is still busy with both canvases
		m.stats.dropped.Add(1)
		if m.stats.obs != nil {
			m.stats.obs.Dropped(pipe.keying.Load())
		}
		return nil
	}
	start := time.Now()
	img, err := m.paintCanvas(ctx, c, t)
	if err == nil {
		d := time.Since(start)
		m.stats.compose.observe(d)
		if m.stats.obs != nil {
			m.stats.obs.Compose(d)
		}
		if m.cfg.Tap != nil {
			if err = m.cfg.Tap(img, t); err != nil {
				err = fmt.Errorf("mixer: tap: %w", err)
			}
		}
	}
	if err != nil {
		pipe.free <- c
		return err
	}
	var arrivals []time.Time
	if len(m.arrivals) > 0 {
		arrivals = append(arrivals, m.arrivals...)
	}
	key, h264Key := m.takeKeyframes(st, t)
	pipe.submit(encodeJob{c: c, pts: t, key: key, h264: st.h264, h264Level: st.h264Level, h264Key: h264Key, bitrate: st.bitrate, twoLayers: st.twoLayers, screen: m.showsShare(), arrivals: arrivals})
	return nil
}

// paintCanvas brings canvas c up to date for media time t, in place, and
// returns its picture.
func (m *Mixer) paintCanvas(ctx context.Context, c *canvas, t time.Duration) (*image.YCbCr, error) {
	img, err := c.pic.Image()
	if err != nil {
		return nil, err
	}
	if c.gen != m.gen { // a new layout: clear, and every tile is repainted
		codec.FillRect(img, img.Rect, codec.BlackY, codec.GreyUV, codec.GreyUV)
		c.gen = m.gen
	}
	for i, mem := range m.members {
		if err := m.paint(ctx, img, mem, &mem.painted[c.slot], m.cells[i], t); err != nil {
			return nil, err
		}
	}
	return img, nil
}

// updateCells recomputes the layout when the participants, the mode or the
// speaker changed; a new layout repaints every tile.
func (m *Mixer) updateCells(mode layout.Mode) {
	key := cellsKey{mode: mode, n: len(m.members), speaker: -1, roster: m.roster}
	if mode == layout.Speaker {
		key.speaker = m.largeIndex()
	}
	if key == m.cellsKey && m.cells != nil {
		return
	}
	prev := m.cellsKey
	m.cellsKey = key
	if mode == layout.Speaker && prev.mode == layout.Speaker && prev.n == key.n && prev.roster == key.roster && m.cells != nil {
		// Only the speaker changed: the new one and the last trade places,
		// and everyone else's thumbnail stays where it was (laid out
		// afresh, those between the two would each move one place).
		old, now := max(prev.speaker, 0), max(key.speaker, 0)
		m.cells = slices.Clone(m.cells)
		m.cells[old], m.cells[now] = m.cells[now], m.cells[old]
	} else {
		m.cells = layout.Cells(mode, key.n, max(key.speaker, 0), m.canvasSize())
	}
	m.gen++
	// Sources that scale their own pictures hear of their tile now, before
	// any is asked for a picture: a decoder that learnt it only once its
	// first picture was shown would fill its queue at the source's full
	// size meanwhile (offline, at sixteen people, most of the mix's peak
	// memory). Every source hears once, also of an
	// empty tile (too many people for the canvas): a file's decoder waits
	// for it.
	for i, mem := range m.members {
		if b, ok := mem.Video.(BoxedSource); ok && (!mem.boxTold || mem.box != m.cells[i].Size()) {
			mem.box, mem.boxTold = m.cells[i].Size(), true
			b.SetBox(mem.box, mem.Aspect(m.cfg.Aspect))
		}
	}
}

// showsShare reports whether a shared screen is in the picture
// (Participant.Content): the encoder then takes it as screen content.
func (m *Mixer) showsShare() bool {
	return slices.ContainsFunc(m.members, func(mem *member) bool { return mem.Content })
}

// largeIndex is the position in m.members of who the speaker layout shows
// large: the newest share (Participant.Content), or the one in the
// spotlight (SetSpotlight), or the active speaker, or -1 for nobody yet.
func (m *Mixer) largeIndex() int {
	for i, mem := range slices.Backward(m.members) {
		if mem.Content {
			return i
		}
	}
	if i := slices.IndexFunc(m.members, func(mem *member) bool { return mem.ID == m.spot }); m.spot != "" && i >= 0 {
		return i
	}
	return m.speakerIndex()
}

// paint brings one participant's tile on img up to date: its newest picture
// scaled into the cell, its last picture if nothing new came, or a
// placeholder. ps is what the tile on img shows.
func (m *Mixer) paint(ctx context.Context, img *image.YCbCr, mem *member, ps *paintState, cell layout.Rect, t time.Duration) error {
	var f *codec.Frame
	if mem.Video != nil {
		var err error
		if f, err = mem.Video.VideoAt(ctx, t); err == nil {
			mem.videoFailing = false
		} else {
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			// A broken source keeps its last picture; say so once until it
			// gives a picture again (the source also logs its own errors).
			if !mem.videoFailing {
				m.log.Warn("video source", "participant", mem.ID, "err", err)
			}
			mem.videoFailing = true
			if f == nil && ps.gen == m.gen && !ps.placeholder {
				return nil // it gave none: the tile keeps the one it shows
			}
		}
	}
	r := rect(cell)
	// Live, a camera turned off, and one not renewed for videoGone a
	// camera that stopped (unplugged, taken by another app, its track
	// stopped or replaced by none, when a browser sends nothing): the
	// tile says who it is, not a face frozen for good. Not a share: a
	// dark terminal or slide is black at every point looked at, and a
	// still screen may be sent again only now and then; its last picture
	// stays until the share ends.
	camera := m.cfg.Live && !mem.Content
	off := f != nil && camera && mem.turnedOff(f, t)
	if f == nil || f.Width() < 2 || f.Height() < 2 || camera && (off || m.gone(f, t)) {
		m.placeholder(img, r, mem, ps, false)
		return nil
	}
	size := layout.Size{W: f.SourceWidth, H: f.SourceHeight}
	if size.W < 2 || size.H < 2 {
		size = layout.Size{W: f.Width(), H: f.Height()}
	}
	if ps.gen == m.gen && !ps.placeholder && ps.seq == f.Seq && ps.size == size {
		return nil // nothing new
	}
	aspect := mem.Aspect(m.cfg.Aspect)
	dst, crop := layout.Place(size, cell, aspect)
	if f.Width() != size.W || f.Height() != size.H {
		// Already cropped and scaled by the source, for the tile it was
		// told of: placed by its own shape, which is the tile's unless the
		// tile changed since (its stream stalled when someone joined; a
		// file ended), when it is cropped anew rather than squeezed.
		dst, crop = layout.Place(layout.Size{W: f.Width(), H: f.Height()}, cell, aspect)
	}
	if ps.gen == m.gen && ps.placeholder && mem.unscalable != 0 && mem.unscalable == f.Seq {
		return nil // the picture the scaler refused, still
	}
	bars := dst != cell && (ps.gen != m.gen || ps.placeholder || ps.dst != dst)
	if bars {
		// Letterbox bars: paint them once, when the geometry changes.
		codec.FillRect(img, r, codec.BlackY, codec.GreyUV, codec.GreyUV)
	}
	if crop.W == dst.W && crop.H == dst.H {
		codec.CopyRect(img, rect(dst).Min, &f.YCbCr, rect(crop))
	} else if err := m.scaler.Scale(img, rect(dst), &f.YCbCr, rect(crop)); err != nil {
		// A picture the scaler cannot take (planes shorter than its
		// size say, a size swscale refuses) is a broken source's: the
		// tile shows the placeholder until a picture that scales comes,
		// and the room goes on.
		if mem.unscalable == 0 {
			m.log.Warn("video picture cannot be scaled to its tile", "participant", mem.ID, "err", err)
		}
		mem.unscalable = max(f.Seq, 1)
		m.placeholder(img, r, mem, ps, bars)
		return nil
	}
	mem.unscalable = 0
	if !f.Arrival.IsZero() && mem.shown != f.Seq {
		m.arrivals = append(m.arrivals, f.Arrival)
	}
	mem.shown = f.Seq
	*ps = paintState{gen: m.gen, seq: f.Seq, size: size, dst: dst}
	return nil
}

// placeholder paints mem's placeholder over r, the tile ps describes,
// unless it shows it already and repaint is false.
func (m *Mixer) placeholder(img *image.YCbCr, r image.Rectangle, mem *member, ps *paintState, repaint bool) {
	if repaint || ps.gen != m.gen || !ps.placeholder {
		drawPlaceholderMask(img, r, mem.label.get(mem, r.Dx(), r.Dy()))
		*ps = paintState{gen: m.gen, placeholder: true}
	}
}

// turnedOff reports whether mem's live pictures, f the newest at media
// time t, have all been black all over for blackHold: a camera turned off
// (a browser sends black for a track disabled). A dark room's camera,
// whose noise lifts only some pictures above blackPicture's threshold,
// keeps its tile: switched at each picture, the tile would flicker between
// picture and placeholder.
func (mem *member) turnedOff(f *codec.Frame, t time.Duration) bool {
	if mem.blackSeq != f.Seq {
		mem.blackSeq = f.Seq
		switch black := blackPicture(&f.YCbCr); {
		case !black:
			mem.blackRun = false
		case !mem.blackRun:
			mem.blackRun, mem.blackFrom = true, t
		}
	}
	return mem.blackRun && t-mem.blackFrom >= blackHold
}

// videoGone is how long a live picture may go without another before
// its sender is taken to have stopped sending: well beyond a keyframe
// asked for after a loss (a second or two) and the slowest a browser
// sends a still screen (a picture a second).
const videoGone = 5 * time.Second

// gone reports whether the live picture f, shown at media time t, came
// over videoGone before: its sender stopped sending pictures. Only on a
// clock that follows the wall clock (Epoch).
func (m *Mixer) gone(f *codec.Frame, t time.Duration) bool {
	e := m.epoch.Load()
	return e != nil && !f.Arrival.IsZero() && e.Add(t).Sub(f.Arrival) > videoGone
}

// blackHold is how long a participant's pictures must all be black for
// its tile to show the placeholder.
const blackHold = time.Second

// blackPicture tells whether img is black all over: at 8x8 points across
// it, luma at most blackLuma (video range black is 16) and chroma within
// blackChroma of grey. A camera in a dark room still shows something
// brighter somewhere; a browser's track turned off sends luma 0 to 16.
func blackPicture(img *image.YCbCr) bool {
	const blackLuma, blackChroma = 24, 6
	w, h := img.Rect.Dx(), img.Rect.Dy()
	for j := range 8 {
		y := img.Rect.Min.Y + (2*j+1)*h/16
		for i := range 8 {
			x := img.Rect.Min.X + (2*i+1)*w/16
			if img.Y[img.YOffset(x, y)] > blackLuma {
				return false
			}
			c := img.COffset(x, y)
			if d := int(img.Cb[c]) - 128; d > blackChroma || d < -blackChroma {
				return false
			}
			if d := int(img.Cr[c]) - 128; d > blackChroma || d < -blackChroma {
				return false
			}
		}
	}
	return true
}

func label(mem *member) string {
	number := mem.ID
	if mem.slot >= 0 {
		number = "#" + strconv.Itoa(mem.slot+1)
	}
	if mem.Name == "" {
		return number
	}
	// Characters the font cannot draw (Chinese, Arabic, emoji: Go's font
	// has Latin, Greek and Cyrillic) would all be the same box, and two
	// such names the same tile: they are left out, and the number said.
	name, whole := drawable(mem.Name)
	switch {
	case whole:
		return name
	case name == "":
		return number
	}
	return name + " " + number
}

func rect(r layout.Rect) image.Rectangle { return image.Rect(r.X, r.Y, r.X+r.W, r.Y+r.H) }

// takeKeyframes decides whether this picture is forced to be a keyframe,
// in VP8 and in H.264: pending requests are served at most once per
// KeyframeMinInterval for each. An H.264 output turned on starts with a
// keyframe anyway (a new encoder), which counts.
func (m *Mixer) takeKeyframes(st tickState, t time.Duration) (vp8, h264 bool) {
	min := m.cfg.KeyframeMinInterval
	vp8 = st.keyWant && m.vp8Keys.due(t, min)
	if !st.h264 {
		m.h264Keys = keyClock{}
	} else if !m.h264Keys.had || st.h264Key && m.h264Keys.due(t, min) {
		h264 = true
	}
	if !vp8 && !h264 {
		return false, false
	}
	m.mu.Lock()
	if vp8 {
		m.keyWant = false
		m.vp8Keys.mark(t)
	}
	if h264 {
		m.h264Key = false
		m.h264Keys.mark(t)
	}
	m.mu.Unlock()
	return vp8, h264
}

// keyClock is when an output's last forced keyframe was.
type keyClock struct {
	last time.Duration
	had  bool
}

func (k *keyClock) due(t, min time.Duration) bool { return !k.had || t-k.last >= min }
func (k *keyClock) mark(t time.Duration)          { k.had, k.last = true, t }
