package client

// wholePictures counts the mix's pictures that arrived whole: every
// packet from the one after the previous picture's last (its marker) to
// its own marker, resends included. A receiver that lost part of a picture
// has none to show: its decoder waits for the next keyframe. Counting a
// picture at its first packet (Stats.Frames) says it came, not that it
// could be shown.
type wholePictures struct {
	got     [wholeRing]bool   // by sequence number: a packet received
	seqs    [wholeRing]uint16 // the sequence number each slot holds
	pending []seqRange        // pictures whose marker came, not yet whole, oldest first
	marker  uint16            // the newest marker's sequence number
	started bool              // a marker has come
	whole   int
}

// wholeRing is how far back, in packets, a picture may be made whole by a
// resend; maxPending bounds the pictures waiting for one.
const (
	wholeRing  = 2048
	maxPending = 64
)

// seqRange is a picture's packets, from and to inclusive.
type seqRange struct{ from, to uint16 }

// begin starts the count at a picture's first packet, seq (the first
// keyframe's, from which pictures count): that picture is counted too,
// where without it the count starts at its marker.
func (w *wholePictures) begin(seq uint16) {
	if !w.started {
		w.marker, w.started = seq-1, true
	}
}

// add takes a packet of the mix's video.
func (w *wholePictures) add(seq uint16, marker bool) {
	w.got[seq%wholeRing], w.seqs[seq%wholeRing] = true, seq
	switch {
	case !marker:
	case !w.started:
		w.marker, w.started = seq, true
	case int16(seq-w.marker) > 0:
		w.pending = append(w.pending, seqRange{w.marker + 1, seq})
		w.marker = seq
	default:
		// A late marker (a resend): it ends a picture inside the range
		// taken for one when its marker was missing.
		for i, r := range w.pending {
			if int16(seq-r.from) >= 0 && int16(r.to-seq) > 0 {
				w.pending = append(w.pending[:i+1], w.pending[i:]...)
				w.pending[i], w.pending[i+1] = seqRange{r.from, seq}, seqRange{seq + 1, r.to}
				break
			}
		}
	}
	// Only a picture this packet belongs to can have become whole (and,
	// after a late marker's split, the picture just after it).
	kept := w.pending[:0]
	for _, r := range w.pending {
		if (int16(seq-r.from) >= 0 && int16(r.to-seq) >= 0 || r.from == seq+1) && w.has(r) {
			w.whole++
		} else {
			kept = append(kept, r)
		}
	}
	w.pending = kept
	if n := len(w.pending); n > maxPending {
		w.pending = append(w.pending[:0], w.pending[n-maxPending:]...)
	}
}

// has reports whether every packet of r has come.
func (w *wholePictures) has(r seqRange) bool {
	if n := int(uint16(r.to - r.from)); n >= wholeRing {
		return false
	}
	for s := r.from; ; s++ {
		if !w.got[s%wholeRing] || w.seqs[s%wholeRing] != s {
			return false
		}
		if s == r.to {
			return true
		}
	}
}
