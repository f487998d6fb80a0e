package room

import (
	"strings"
	"sync"
	"time"

	"github.com/pion/rtp/codecs"
	vp9header "github.com/pion/rtp/codecs/vp9"
	"github.com/pion/webrtc/v4"

	"mcu/codec"
)

// simulcastSizes is what a session knows of its simulcast sender's
// streams, to choose the one to decode: the size of each stream's
// pictures, as its last keyframe said, when each last sent, and the
// participant's tile. Safe from the streams' goroutines.
type simulcastSizes struct {
	mu        sync.Mutex
	streams   map[*webrtc.TrackRemote]*streamSize
	tile      int       // the tile's pixels, as last asked about
	tileSince time.Time // since when the tile is that size
}

type streamSize struct {
	pixels int       // 0 until a keyframe says
	last   time.Time // its last packet
	since  time.Time // its first packet after it last paused (for simulcastSilence)
	unfit  time.Time // until when it is left out: its keyframes did not decode, or went beyond the profile
	asked  time.Time // its last keyframe request for taking the place
}

// A stream takes the place by fit (fitsBetter) once it and the tile have
// been as they are for fitSteady: a browser turns its top stream off and
// on with its bandwidth, and a speaker layout resizes tiles at every
// change of speaker. Its keyframe is asked for at most every fitAskEvery.
const (
	fitSteady   = 2 * time.Second
	fitAskEvery = 2 * time.Second
)

// seen notes a packet of track's that came at now, which says the
// stream's pictures have pixels (0: it does not say).
func (z *simulcastSizes) seen(track *webrtc.TrackRemote, now time.Time, pixels int) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.streams == nil {
		z.streams = map[*webrtc.TrackRemote]*streamSize{}
	}
	st := z.streams[track]
	if st == nil {
		st = &streamSize{}
		z.streams[track] = st
	}
	if st.last.IsZero() || now.Sub(st.last) > simulcastSilence {
		st.since = now
	}
	st.last = now
	if pixels > 0 && pixels != st.pixels {
		st.pixels, st.unfit = pixels, time.Time{} // another size: worth a try again
	}
}

// unfitFor is how long a stream whose keyframes do not decode is left
// out: the longest a decoder waits between keyframe requests to a sender
// whose keyframes fail (maxKeyframeBackoff). It is tried again after.
const unfitFor = maxKeyframeBackoff

// markUnfit notes at now that track's keyframes, at their size, do not
// decode (or go beyond the profile): it is chosen no more for unfitFor,
// or until it says another size.
func (z *simulcastSizes) markUnfit(track *webrtc.TrackRemote, now time.Time) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if st := z.streams[track]; st != nil {
		st.unfit = now.Add(unfitFor)
	}
}

// gone reports whether track, the stream decoded, gives up its place at
// now: it sent nothing for simulcastSilence, or it is left out.
func (z *simulcastSizes) gone(track *webrtc.TrackRemote, now time.Time) bool {
	z.mu.Lock()
	defer z.mu.Unlock()
	st := z.streams[track]
	return st == nil || now.Sub(st.last) > simulcastSilence || now.Before(st.unfit)
}

// mayTake reports whether track may take the place of a stream gone
// (silent for simulcastSilence, or left out): not if it is left out
// itself (two such would take the place from each other at every packet,
// both decoding, past the sender's decoding limit), nor, where the
// tile's size is known (told), if another that sends fits a tile of tile
// pixels better (best), which will take it.
func (z *simulcastSizes) mayTake(track *webrtc.TrackRemote, tile int, told bool, now time.Time) bool {
	z.mu.Lock()
	defer z.mu.Unlock()
	if st := z.streams[track]; st != nil && now.Before(st.unfit) {
		return false
	}
	if !told {
		return true
	}
	b := z.best(tile, now, nil)
	return b == nil || b == track
}

// fitsBetter reports whether track, rather than cur (the stream decoded),
// should be decoded for a tile of tile pixels, and has been sending, and
// the tile that size, for fitSteady; ask, whether its keyframe is to be
// asked for now so that it can take the place.
func (z *simulcastSizes) fitsBetter(track, cur *webrtc.TrackRemote, tile int, now time.Time) (fits, ask bool) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if tile != z.tile || z.tileSince.IsZero() {
		z.tile, z.tileSince = tile, now
	}
	st := z.streams[track]
	if st == nil || z.best(tile, now, cur) != track || now.Sub(st.since) < fitSteady || now.Sub(z.tileSince) < fitSteady {
		return false, false
	}
	if ask = now.Sub(st.asked) >= fitAskEvery; ask {
		st.asked = now
	}
	return true, ask
}

// best is the stream to decode for a tile of tile pixels, of those that
// sent within simulcastSilence of now, whose size is known and fit: the
// smallest that covers the tile (three quarters of its area will do: so
// little is scaled up that it shows no less), or, if none does, the
// largest. Of streams as good, keep (the one
// decoded) stays. nil when none qualifies. Called with mu held.
func (z *simulcastSizes) best(tile int, now time.Time, keep *webrtc.TrackRemote) *webrtc.TrackRemote {
	var best *webrtc.TrackRemote
	bestPixels := 0
	covers := func(p int) bool { return 4*p >= 3*tile }
	better := func(p int) bool {
		switch {
		case best == nil:
			return true
		case covers(p) && covers(bestPixels):
			return p < bestPixels // both cover: the smaller
		default:
			return p > bestPixels // one does not cover: the larger
		}
	}
	for track, st := range z.streams {
		if st.pixels == 0 || st.pixels > codec.MaxDecodePixels || now.Before(st.unfit) || now.Sub(st.last) > simulcastSilence {
			continue
		}
		if better(st.pixels) || st.pixels == bestPixels && track == keep {
			best, bestPixels = track, st.pixels
		}
	}
	return best
}

// keyframeSize reports whether an RTP packet of a stream of codec mime
// begins a keyframe (key), and the size of its pictures in pixels where it
// says (0 otherwise): a VP8 keyframe's first packet says it; so does a
// VP9 keyframe's (its scalability structure, the largest spatial layer's,
// or else its frame header); so does the first packet of an AV1 coded
// video sequence (its sequence header, which comes first); an H.264
// packet with an SPS (which comes first in a keyframe) says it too, one
// that begins an IDR picture without one does not.
func keyframeSize(mime string, pkt []byte) (pixels int, key bool) {
	payload := rtpPayload(pkt)
	switch {
	case len(payload) == 0:
	case strings.EqualFold(mime, webrtc.MimeTypeVP8):
		var vp8 codecs.VP8Packet
		frame, err := vp8.Unmarshal(payload)
		if err != nil || vp8.S != 1 || vp8.PID != 0 {
			return 0, false // not the start of a frame
		}
		w, h, key := codec.VP8KeyframeSize(frame)
		return w * h, key
	case strings.EqualFold(mime, webrtc.MimeTypeVP9):
		// The first packet of a picture of the lowest spatial layer, not
		// predicted from another (RFC 9628 4.2: P), whose frame header
		// says a keyframe. The descriptor's first byte tells most packets
		// apart without parsing (B 0x08, P 0x40): this runs per packet.
		if len(payload) == 0 || payload[0]&0x08 == 0 || payload[0]&0x40 != 0 {
			return 0, false
		}
		var vp9 codecs.VP9Packet
		frame, err := vp9.Unmarshal(payload)
		var h vp9header.Header
		if err != nil || !vp9.B || vp9.P || vp9.SID != 0 || h.Unmarshal(frame) != nil || h.ShowExistingFrame || h.NonKeyFrame {
			return 0, false
		}
		if n := len(vp9.Width); vp9.V && vp9.Y && n > 0 && n == len(vp9.Height) {
			return int(vp9.Width[n-1]) * int(vp9.Height[n-1]), true
		}
		return int(h.Width()) * int(h.Height()), true
	case strings.EqualFold(mime, webrtc.MimeTypeAV1):
		// The first packet of a coded video sequence (N; not a fragment
		// going on, Z) begins with its sequence header (AV1 RTP 5), whose
		// largest picture size is the stream's.
		if len(payload) < 2 || payload[0]&av1Z != 0 || payload[0]&av1N == 0 {
			return 0, false
		}
		if w, h, ok := codec.AV1SequenceSize(av1FirstElement(payload)); ok {
			return w * h, true
		}
		return 0, true
	case strings.EqualFold(mime, webrtc.MimeTypeH264):
		forEachH264NAL(payload, nil, func(nal []byte) bool {
			switch nal[0] & 0x1f {
			case 7:
				key = true
				if sps, err := codec.ParseH264SPS(nal); err == nil && sps.MBs > 0 {
					pixels = sps.MBs * 256
				}
				return false
			case 5:
				key = key || codec.H264FirstSlice(nal)
			}
			return true
		})
	}
	return pixels, key
}
