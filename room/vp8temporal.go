package room

// A VP8 sender may code its pictures in temporal layers (RFC 7741 4.2;
// browsers do for simulcast, and for any stream given a scalability mode
// such as L1T2 or L1T3): the base layer's frames (TID 0) refer only to
// base-layer frames, and a frame of layer k only to frames of layers up to
// k, so that a forwarder may drop the upper layers for a receiver. A frame
// lost above the base layer therefore breaks only the upper layers: the
// base layer decodes on, and each upper layer again from its next layer
// sync frame (Y), which refers to the base layer alone. Such a loss costs
// a few pictures at the base layer's rate instead of a keyframe (a frozen
// tile until it comes, and a large frame on the sender's link).

// temporalLayer is where a VP8 frame sits in its sender's temporal layers,
// as its first packet's payload descriptor says: tid its layer (0 the
// base), tl0 the TL0PICIDX (the count of base-layer frames, modulo 256,
// which a frame above the base shares with the base-layer frame it
// follows), sync its Y bit. ok is false for a frame that does not say
// both its layer and its TL0PICIDX (a stream without layers).
type temporalLayer struct {
	tid, tl0 int
	sync     bool
	ok       bool
}

// vp8TemporalLayer reads a VP8 payload descriptor's temporal layer fields.
func vp8TemporalLayer(p []byte) temporalLayer {
	const x = 0x80                   // first byte: an extension byte follows
	const i, l, t = 0x80, 0x40, 0x20 // extension: picture ID, TL0PICIDX, TID
	if len(p) < 2 || p[0]&x == 0 || p[1]&(l|t) != l|t {
		return temporalLayer{}
	}
	n := 2
	if p[1]&i != 0 {
		_, size, ok := readPictureID(p[n:])
		if !ok {
			return temporalLayer{}
		}
		n += size
	}
	if len(p) < n+2 {
		return temporalLayer{}
	}
	return temporalLayer{tl0: int(p[n]), tid: int(p[n+1] >> 6), sync: p[n+1]&0x20 != 0, ok: true}
}

// temporalLayers follows what of a VP8 sender's temporal layers the
// decoder has whole. A frame above the base layer that is no sync frame
// refers to the last frame of its own layer and of each layer below it,
// so it decodes only while every one of those layers is whole: each frame
// of theirs decoded since their last sync frame. Use from the goroutine
// that decodes.
type temporalLayers struct {
	known bool // the decoder has every base-layer frame up to tl0's
	tl0   int  // the TL0PICIDX of the frames decoded last
	// broken has bit k set for each layer k above the base that is not
	// whole: since a loss, or since one of its frames was skipped, no sync
	// frame of it came. seen has a bit for each layer the sender sent a
	// frame of since its last keyframe.
	broken, seen uint8
	// skipped counts the frames skipped since every layer seen was last
	// whole.
	skipped int
}

// maxLayerSkips is how many frames above the base layer are skipped
// waiting for layer sync frames before a keyframe is asked for: a sender
// whose frames never say Y would otherwise be shown at its base layer's
// rate until its next keyframe, which may be minutes away. Browsers mark
// one frame in every four to eight of each layer; 24 of the frames above
// the base are a second or more at 30 frames a second.
const maxLayerSkips = 24

// layerVerdict is what becomes of a frame of a stream with temporal
// layers.
type layerVerdict int

const (
	layerDecode    layerVerdict = iota // decode it: nothing it needs is lost
	layerAfterLoss                     // a loss broke what it needs: wait for a keyframe
	layerSkip                          // skip it: its layer waits for a sync frame
)

// admit tells what becomes of a frame at layer l after a loss just before
// it, or none (lost): a loss of frames above the base layer only breaks
// nothing the base layer needs. keyframe tells a keyframe, which starts
// everything afresh; waiting a decoder that waits for one. A stream
// without layers is as it is: decoded, after its loss if any.
func (s *temporalLayers) admit(l temporalLayer, lost, keyframe, waiting bool) layerVerdict {
	asIs := layerDecode
	if lost {
		asIs = layerAfterLoss
	}
	switch {
	case !l.ok:
		*s = temporalLayers{}
		return asIs
	case keyframe:
		*s = temporalLayers{known: true, tl0: l.tl0, seen: 1}
		return asIs
	case waiting || !s.known:
		s.known = false
		return asIs
	}
	layer := uint8(1) << l.tid
	s.seen |= layer
	if lost {
		// Had a base-layer frame been lost, this one would count past it:
		// a base-layer frame the one after the last decoded, any other
		// frame the same as the frames decoded last. The lost frames may
		// have been of any layer above (one not seen yet too). skipped
		// goes on: a sender that loses a frame every few, its frames never
		// saying Y, would otherwise be shown at its base layer's rate for
		// good.
		next := s.tl0
		if l.tid == 0 {
			next = (s.tl0 + 1) % 256
		}
		if l.tl0 != next {
			s.known = false
			return layerAfterLoss
		}
		s.broken = ^uint8(1)
	}
	below := layer<<1 - 2 // the layers above the base up to this one's
	switch {
	case l.tid == 0:
		s.tl0 = l.tl0
	case l.sync && l.tl0 == s.tl0:
		// A layer sync frame refers to the base-layer frame it follows
		// alone, and the frames of its layer after it to it.
		s.broken &^= layer
	case s.broken&below == 0:
	default:
		// Skipped, the frame leaves its layer broken: the frames of the
		// layer after it may refer to it.
		s.broken |= layer
		if s.skipped++; s.skipped > maxLayerSkips {
			s.known = false
			return layerAfterLoss
		}
		return layerSkip
	}
	if s.broken&s.seen == 0 {
		s.skipped = 0
	}
	return layerDecode
}

// shed takes note of a frame at layer l the decoder was not given for
// want of time: its layer waits for its next sync frame. The frame is one
// the decoder could have decoded (its layer whole, or a sync frame), so
// the skips count afresh from it, as from a sync frame decoded: a decoder
// behind for over a second or two, shedding both upper layers of a sender
// with three, would otherwise take the skips for a sender whose frames
// never say Y (maxLayerSkips) and ask for the keyframe shedding spares.
func (s *temporalLayers) shed(l temporalLayer) {
	s.broken |= 1 << l.tid
	s.skipped = 0
}
