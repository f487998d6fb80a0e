package room

import (
	"strings"
	"sync"
	"time"

	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"

	"mcu/codec"
)

// simulcastSizes is what a session knows of its simulcast sender's
// streams, to choose the one to decode: the size of each stream's
// pictures, as its last keyframe said, and when each last sent. Safe
// from the streams' goroutines.
type simulcastSizes struct {
	mu      sync.Mutex
	streams map[*webrtc.TrackRemote]*streamSize
}

type streamSize struct {
	pixels int // 0 until a keyframe says
	last   time.Time
}

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
	st.last = now
	if pixels > 0 {
		st.pixels = pixels
	}
}

// best is the stream to decode for a tile of tile pixels, of those that
// sent within simulcastSilence of now and whose size is known: the
// smallest that covers the tile (no larger picture is scaled down to it),
// or, if none does, the largest. Of streams as good, keep (the one
// decoded) stays. nil when no stream's size is known.
func (z *simulcastSizes) best(tile int, now time.Time, keep *webrtc.TrackRemote) *webrtc.TrackRemote {
	z.mu.Lock()
	defer z.mu.Unlock()
	var best *webrtc.TrackRemote
	bestPixels := 0
	better := func(p int) bool {
		switch {
		case best == nil:
			return true
		case p >= tile && bestPixels >= tile:
			return p < bestPixels // both cover: the smaller
		default:
			return p > bestPixels // one does not cover: the larger
		}
	}
	for track, st := range z.streams {
		if st.pixels == 0 || now.Sub(st.last) > simulcastSilence {
			continue
		}
		if better(st.pixels) || st.pixels == bestPixels && track == keep {
			best, bestPixels = track, st.pixels
		}
	}
	return best
}

// keyframeSize reports whether an RTP packet of a stream of codec mime
// begins a keyframe that says its pictures' size, and that size in
// pixels: a VP8 keyframe's first packet, or an H.264 packet with an SPS
// (which comes first in a keyframe). Other codecs say none here.
func keyframeSize(mime string, pkt []byte) (pixels int, ok bool) {
	payload := rtpPayload(pkt)
	switch {
	case len(payload) == 0:
	case strings.EqualFold(mime, webrtc.MimeTypeVP8):
		var vp8 codecs.VP8Packet
		frame, err := vp8.Unmarshal(payload)
		// RFC 6386 9.1: a keyframe's tag, start code, then 14-bit width
		// and height.
		if err != nil || vp8.S != 1 || vp8.PID != 0 || len(frame) < 10 || frame[0]&1 != 0 ||
			frame[3] != 0x9d || frame[4] != 0x01 || frame[5] != 0x2a {
			return 0, false
		}
		w := int(frame[6]) | int(frame[7]&0x3f)<<8
		h := int(frame[8]) | int(frame[9]&0x3f)<<8
		return w * h, w > 0 && h > 0
	case strings.EqualFold(mime, webrtc.MimeTypeH264):
		forEachH264NAL(payload, nil, func(nal []byte) bool {
			if nal[0]&0x1f == 7 {
				if sps, err := codec.ParseH264SPS(nal); err == nil && sps.MBs > 0 {
					pixels, ok = sps.MBs*256, true
				}
			}
			return !ok
		})
	}
	return pixels, ok
}
