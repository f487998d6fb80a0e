package offline

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"mcu/codec"
	"mcu/layout"
	"mcu/mixer"
)

// videoQueue is how many decoded pictures a file source keeps ready ahead of
// the mixer; poolSize adds the one being shown, the one peeked at and the
// one being decoded.
const (
	videoQueue = 2
	poolSize   = videoQueue + 3
)

// fileVideo is a mixer.BoxedSource that decodes a file's video stream in
// its own goroutine (run) a few pictures ahead of the mixer, scaled to the
// size of its tile (or, fixTile, for the largest tile it may have).
type fileVideo struct {
	path  string
	info  codec.StreamInfo
	log   *slog.Logger
	ready chan *codec.Frame // decoded pictures in PTS order; closed at the end
	free  chan *codec.Frame
	slots chan struct{}       // shared by all decoders of a mix: how many decode at once
	box   atomic.Pointer[box] // the tile, set by the mixer
	boxed chan struct{}       // closed when box is first set
	once  sync.Once
	// slack is half an output frame: the picture shown at tick t is the
	// one nearest to t (ties to the later one), as FFmpeg's fps filter
	// does, so that times rounded differently by a container still land
	// on their tick.
	slack time.Duration

	// Owned by the mixer goroutine.
	cur, next *codec.Frame
	ended     bool

	// Written by run, read after ready is closed.
	corrupt, skipped int
	pictures         int // decoded and queued
	// turned holds a picture of a stream that must turn (info.Rotation)
	// as decoded, before it turns into a pooled frame; run's.
	turned codec.Frame
}

type box struct {
	size   layout.Size
	aspect layout.Aspect
	whole  bool // for good, the picture scaled whole (fixTile)
}

func newFileVideo(path string, info codec.StreamInfo, frame time.Duration, slots chan struct{}, log *slog.Logger) *fileVideo {
	v := &fileVideo{path: path, info: info, log: log, slots: slots, slack: frame / 2,
		ready: make(chan *codec.Frame, videoQueue), free: make(chan *codec.Frame, poolSize),
		boxed: make(chan struct{})}
	for range poolSize {
		v.free <- &codec.Frame{} // sized by the decoder, for the tile
	}
	return v
}

// SetBox implements mixer.BoxedSource.
func (v *fileVideo) SetBox(size layout.Size, aspect layout.Aspect) {
	v.box.Store(&box{size: size, aspect: aspect})
	v.once.Do(func() { close(v.boxed) })
}

// fixedTile is a fileVideo whose decoder scales for one tile size for
// good (fileVideo.fixTile): it is no BoxedSource, so the mixer, told
// nothing, crops and scales each picture for the tile it is shown in.
type fixedTile struct{ v *fileVideo }

func (f fixedTile) VideoAt(ctx context.Context, t time.Duration) (*codec.Frame, error) {
	return f.v.VideoAt(ctx, t)
}

// fixTile makes v's decoder scale every picture for the largest tile its
// participant may have, whatever tile it has at the moment, and returns
// the source the mixer is to be given. The picture is kept whole (not
// cropped): scaled to fit in that tile, or with aspect Fill to cover it,
// never above its decoded size; the mixer crops and scales it for the tile
// it is shown in. It is for a layout whose tiles change size as the mix
// goes (the speaker's): a picture the decoder scaled ahead for the tile it
// had then would be scaled a second time for the new one, and which
// pictures were ahead at that moment depends on how the threads ran, so
// the output would change from run to run. Scaling for the largest tile
// depends on the picture alone, and what the decoder scales, turns and
// keeps ready stays within that tile's size, however large the input.
func (v *fileVideo) fixTile(largest layout.Size, aspect layout.Aspect) mixer.VideoSource {
	v.box.Store(&box{size: largest, aspect: aspect, whole: true})
	v.once.Do(func() { close(v.boxed) })
	return fixedTile{v}
}

// target scales decoded pictures to the tile, once the mixer has said what
// it is. A picture that turns (info.Rotation) is placed in the tile as it
// will stand, and cropped and scaled as it lies, to turn after.
func (v *fileVideo) target(w, h int) (image.Rectangle, image.Point) {
	b := v.box.Load()
	if b == nil {
		return image.Rect(0, 0, w, h), image.Pt(w, h)
	}
	quarter := v.info.Rotation == 90 || v.info.Rotation == 270
	sw, sh := w, h // as it will stand
	if quarter {
		sw, sh = h, w
	}
	var crop image.Rectangle
	var size image.Point
	if b.whole {
		crop, size = wholeIn(sw, sh, b.size, b.aspect)
	} else {
		crop, size = mixer.InTile(sw, sh, b.size, b.aspect)
	}
	if quarter {
		size = image.Pt(size.Y, size.X) // scaled as it lies
	}
	return unturn(crop, w, h, v.info.Rotation), size
}

// wholeIn is how a whole w×h picture is scaled for a tile: to the largest
// size that fits in it (Fit) or the smallest that covers it (Fill), with
// the picture's shape, even. A picture that would grow is kept at its
// size, but for a last odd row or column (an even picture is what
// codec.Rotate turns exactly).
func wholeIn(w, h int, tile layout.Size, aspect layout.Aspect) (crop image.Rectangle, size image.Point) {
	W, H, tw, th := int64(w), int64(h), int64(tile.W), int64(tile.H)
	// Scale by tw/w when the tile's width decides (it is the narrower
	// side of the two shapes for Fit, the wider for Fill), else th/h.
	byWidth := tw*H <= th*W
	if aspect == layout.Fill {
		byWidth = !byWidth
	}
	num, den := th, H
	if byWidth {
		num, den = tw, W
	}
	if num >= den || tw < 2 || th < 2 {
		if w < 2 || h < 2 {
			return image.Rect(0, 0, w, h), image.Pt(w, h)
		}
		crop = image.Rect(0, 0, w&^1, h&^1)
		return crop, crop.Size()
	}
	even := func(n int64) int { return int(max(2, (n*num+den)/(2*den)*2)) } // n·num/den, to the nearest even
	return image.Rect(0, 0, w, h), image.Pt(min(even(W), w), min(even(H), h))
}

// unturn maps a rectangle of a w×h picture turned clockwise by degrees
// back onto the picture as it lies, moved by a pixel where its corner
// would fall on an odd coordinate.
func unturn(r image.Rectangle, w, h, degrees int) image.Rectangle {
	var u image.Rectangle
	switch degrees {
	case 90: // the turned picture's (x, y) is (y, h-1-x) as it lies
		u = image.Rect(r.Min.Y, h-r.Max.X, r.Max.Y, h-r.Min.X)
	case 180:
		u = image.Rect(w-r.Max.X, h-r.Max.Y, w-r.Min.X, h-r.Min.Y)
	case 270: // (w-1-y, x)
		u = image.Rect(w-r.Max.Y, r.Min.X, w-r.Min.Y, r.Max.X)
	default:
		return r
	}
	return u.Sub(image.Pt(u.Min.X&1, u.Min.Y&1)) // moved, not widened
}

// VideoAt implements mixer.VideoSource: it waits until the decoder has a
// picture later than t+slack (or has ended), and returns the newest one at
// or before it. After the end it keeps returning the last picture.
func (v *fileVideo) VideoAt(ctx context.Context, t time.Duration) (*codec.Frame, error) {
	for {
		if v.next == nil && !v.ended {
			select {
			case f, ok := <-v.ready:
				if !ok {
					v.ended = true
				} else {
					v.next = f
				}
			case <-ctx.Done():
				return nil, context.Cause(ctx)
			}
		}
		if v.next == nil || v.next.PTS > t+v.slack {
			return v.cur, nil
		}
		// Within the slack, but farther from t than the picture shown
		// (a clip with more pictures a second than the mix): the
		// picture shown is the nearest, and the next one waits for a
		// later tick.
		if v.cur != nil && v.next.PTS > t && v.next.PTS-t > t-v.cur.PTS {
			return v.cur, nil
		}
		if v.cur != nil {
			v.free <- v.cur
		}
		v.cur, v.next = v.next, nil
	}
}

// run decodes the whole file into ready, then closes it. Damaged frames are
// skipped with a warning (the tile keeps its last good picture until the
// next keyframe); only an unusable file is an error.
func (v *fileVideo) run(ctx context.Context) error {
	defer close(v.ready)
	in, err := codec.OpenInput(v.path)
	if err != nil {
		return err
	}
	defer in.Close()
	dec, err := codec.NewVideoDecoder(v.info.VideoCodec)
	if err != nil {
		return fmt.Errorf("%s: %w", v.path, err)
	}
	defer dec.Close()
	// Told however the run ends: once the mix has all it needs, its end
	// stops the decoders at once (errDone), often before they have read
	// the file's tail, and what they counted was then never told.
	defer func() {
		v.corrupt += warnDamage(v.log, v.path, in, codec.Video)
		if v.skipped > 0 {
			// Named, as every other damage is: a clip that starts without a
			// keyframe (cut from a stream) shows nothing at all.
			v.log.Warn("pictures not shown: a keyframe must come before them (the clip starts without one, or they follow damage)",
				"file", v.path, "pictures", v.skipped)
		}
		if v.pictures == 0 && v.corrupt == 0 && v.skipped == 0 && ctx.Err() == nil {
			// FFmpeg's decoder may take a damaged stream (raw H.264
			// whose slices are garbage) without an error, and say so
			// in lines that name no file.
			v.log.Warn("no picture decoded from the file: its tile keeps a placeholder", "file", v.path)
		}
	}()
	if w, h := v.info.Width, v.info.Height; w*h > codec.MaxDecodePixels {
		// FFmpeg refuses each such picture as a broken one: without
		// this, the warnings said "damaged" and "a keyframe must come
		// before them", and FFmpeg's own line naming the size names no
		// file.
		v.log.Warn("pictures larger than mcu decodes: they are not shown, the tile keeps a placeholder until a smaller one comes",
			"file", v.path, "size", fmt.Sprintf("%dx%d", w, h), "max_pixels", codec.MaxDecodePixels)
	}
	// The mixer tells every tile its size before it asks for a picture
	// (or fixTile has said it for good); pictures decoded before that
	// would be scaled to the wrong size, and at the start of a big mix
	// they add up (5 pictures of 640x360 for each of 16 participants).
	select {
	case <-v.boxed:
	case <-ctx.Done():
		return context.Cause(ctx)
	}

	fps := v.info.FrameRate
	if fps <= 0 || fps > 240 {
		fps = 30
	}
	st := decodeState{frameDur: time.Duration(float64(time.Second) / fps), lastPTS: -1}
	for {
		p, err := in.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// A damaged container ends the clip early rather than the mix.
			v.log.Warn("video read failed, clip ends here", "file", v.path, "err", err)
			break
		}
		if p.Kind != codec.Video {
			continue
		}
		if err := v.decode(ctx, dec, p, &st); err != nil {
			return err
		}
	}
	return v.decode(ctx, dec, codec.Packet{PTS: codec.NoPTS}, &st) // the pictures the decoder still holds
}

// decodeState numbers pictures and gives them times when the file has none
// (raw H.264).
type decodeState struct {
	frameDur time.Duration
	count    int64
	lastPTS  time.Duration
	seq      uint64
}

// dropped counts a packet the decoder refused: when the file has no times,
// the picture it held still takes its turn, or every later picture (and the
// clip against its participant's sound) would come that much early. A clip
// cut in the middle of a group of pictures starts at the next keyframe's
// time, not at 0.
func (st *decodeState) dropped(pts time.Duration) {
	if pts == codec.NoPTS {
		st.count++
	}
}

// decode sends one packet (no data: the end of the stream) and queues the pictures that
// come out. The CPU work runs while holding one of the mix's decode slots,
// so that offline the encoder keeps a core to itself; waiting on the mixer
// never holds a slot.
func (v *fileVideo) decode(ctx context.Context, dec *codec.VideoDecoder, p codec.Packet, st *decodeState) error {
	if err := v.acquire(ctx); err != nil {
		return err
	}
	pts := p.PTS
	var err error
	switch {
	case p.Data == nil:
		err = dec.Flush()
	case p.Preroll:
		err = dec.SendPreroll(p.Data, pts)
	default:
		err = dec.Send(p.Data, pts)
	}
	v.release()
	switch {
	case err == nil:
	case errors.Is(err, codec.ErrNeedKeyframe):
		v.skipped++
		st.dropped(pts)
		return nil
	case errors.Is(err, codec.ErrCorrupt):
		v.warnCorrupt(pts, err)
		st.dropped(pts)
		return nil
	default:
		return fmt.Errorf("%s: %w", v.path, err)
	}
	for {
		var f *codec.Frame
		select {
		case f = <-v.free:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		if err := v.acquire(ctx); err != nil {
			return err
		}
		var ok bool
		if v.info.Rotation == 0 {
			ok, err = dec.ReceiveScaled(f, v.target)
		} else if ok, err = dec.ReceiveScaled(&v.turned, v.target); ok {
			codec.Rotate(f, &v.turned, v.info.Rotation)
		}
		v.release()
		if err != nil || !ok {
			v.free <- f
			if err != nil {
				v.warnCorrupt(codec.NoPTS, err)
			}
			return nil
		}
		if f.PTS == codec.NoPTS {
			f.PTS = time.Duration(st.count) * st.frameDur
		}
		if f.PTS <= st.lastPTS { // keep times increasing whatever the file says
			f.PTS = st.lastPTS + time.Millisecond
		}
		st.lastPTS = f.PTS
		st.count++
		v.pictures++
		st.seq++
		f.Seq = st.seq
		select {
		case v.ready <- f:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

func (v *fileVideo) acquire(ctx context.Context) error {
	select {
	case v.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

func (v *fileVideo) release() { <-v.slots }

func (v *fileVideo) warnCorrupt(pts time.Duration, err error) {
	v.corrupt++
	if v.corrupt == 1 { // once per file; the total is reported at the end
		at := "unknown time"
		if pts != codec.NoPTS {
			at = pts.String()
		}
		v.log.Warn("damaged video, the tile keeps its last good picture until the next keyframe",
			"file", v.path, "at", at, "err", err)
	}
}

// warnDamage reports the packets whose damaged times the reader replaced
// and those the container's reader found damaged, and returns how many
// there were.
func warnDamage(log *slog.Logger, path string, in *codec.Input, kind codec.MediaKind) int {
	n := in.Retimed(kind)
	if n > 0 {
		log.Warn("damaged timestamps, moved back to follow the packets before them", "file", path, "stream", kind, "packets", n)
	}
	if d := in.Damaged(kind); d > 0 {
		// An IVF frame whose size was damaged upwards takes the rest of
		// the file with it: the clip ends there, and this says why.
		log.Warn("damaged packets (cut short, or their framing broken), decoded as far as they go; the clip may end early", "file", path, "stream", kind, "packets", d)
		n += d
	}
	return n
}
