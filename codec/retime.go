//go:build cgo

package codec

import (
	"errors"
	"io"
	"time"
)

// Damaged timestamps: Read (input.go) passes every packet through vet,
// which reads ahead when a packet's time leaps past its stream.

// outlierJump is the least leap of a packet's time past its stream, and
// fall back of a later packet behind it, that is taken for damage.
const outlierJump = time.Second

// Read-ahead after a leap stops at lookahead packets of the stream, or at
// lookaheadAll packets or lookaheadBytes held in all (a file with one
// video frame and an hour of audio), and then keeps the leap.
const (
	lookahead      = 1024
	lookaheadAll   = 4096
	lookaheadBytes = 32 << 20
)

// trailingJump is how far a stream's very last packet must leap, at least,
// to be taken for damage: with no packet after it to fall back, only a
// leap longer than a minute and than all the stream before it is (a
// screen share may send its last frame seconds after the one before).
const trailingJump = time.Minute

// firstGap is how far a stream's first packet must be behind the ones
// after it, at least, to be taken for damage (its time gave the file's
// start, so the rest of the file would begin that much later): far more
// than a real stream pauses after its first picture.
const firstGap = time.Hour

// streamTimes is what vet knows of one stream.
type streamTimes struct {
	first   time.Duration // time of the stream's first packet, or NoPTS
	max     time.Duration // its latest time so far, or NoPTS
	step    time.Duration // a running mean of how far max moves at once, at most outlierJump
	shift   time.Duration // moves the rest of an out-of-line run back
	runLeft int           // packets of that run still to come
	retimed int
}

// leapLimit is how far past the stream's latest time p may be without
// being looked into: outlierJump, or 16 frame intervals when that is more,
// since B-frames (up to 16 in H.264) put a later picture before earlier
// ones in the file, and at 1 fps that is seconds ahead.
func (in *Input) leapLimit(st *streamTimes, p *Packet) time.Duration {
	interval := max(st.step, p.Duration)
	if p.Kind == Video && in.video != nil && in.video.FrameRate > 0 {
		interval = max(interval, time.Duration(float64(time.Second)/in.video.FrameRate))
	}
	return max(outlierJump, 16*interval)
}

// vet checks p's time against its stream's packets before and after it
// (see Read) and records it.
func (in *Input) vet(p *Packet) {
	if p.PTS == NoPTS {
		return
	}
	p.PTS += in.offset
	st := &in.times[p.Kind]
	switch {
	case p.PTS >= maxMediaTime && st.max != NoPTS:
		// Beyond any real time (fromStart brought it to the bound): no
		// pause, but damage, however many packets follow it there (an
		// IVF frame size damaged upwards leaves the rest of the file
		// read as frames with random times, all at the bound: taken
		// for a pause, they made a 3 s clip's mix 100,000 hours long).
		if st.runLeft > 0 {
			st.runLeft--
		}
		p.PTS = st.max + max(st.step, time.Millisecond)
		st.retimed++
	case st.runLeft > 0: // the rest of an out-of-line run
		p.PTS += st.shift
		st.runLeft--
		st.retimed++
	case st.max == NoPTS: // the stream's first packet
		// Out of line only if the next two agree that it is: one damaged
		// second packet must not move the first (and the file's start).
		limit := in.leapLimit(st, p)
		next, ok := in.timeAhead(p.Kind, 0, 0)
		if !ok {
			break
		}
		if next-p.PTS > firstGap {
			in.firstBehind(p, next, limit)
			break
		}
		if p.PTS <= next+limit {
			break
		}
		if after, ok := in.timeAhead(p.Kind, 0, 1); ok && p.PTS <= after+limit {
			break
		}
		before := max(p.Duration, time.Millisecond)
		if next < -outlierJump {
			// p gave the file its start time, so the rest would be long
			// before the start: start from p's neighbour instead.
			in.offset -= next - before
			next = before
		}
		p.PTS = next - before
		st.retimed++
	case p.PTS > st.max+in.leapLimit(st, p):
		run, end := in.scanLeap(p.Kind, p.PTS-outlierJump)
		// A single packet at the very end, with nothing after it to fall
		// back, only for a leap beyond anything a real stream pauses for.
		trailing := end == leapEnded && run == 0 && p.PTS-st.max > max(trailingJump, st.max-st.first)
		if end == leapFellBack || trailing {
			st.shift = st.max + max(st.step, time.Millisecond) - p.PTS
			st.runLeft = run
			p.PTS += st.shift
			st.retimed++
		}
	}
	switch {
	case st.max == NoPTS:
		st.first, st.max = p.PTS, p.PTS
	case p.PTS > st.max:
		d := min(p.PTS-st.max, outlierJump)
		if st.step == 0 {
			st.step = d
		} else {
			st.step += (d - st.step) / 8
		}
		st.max = p.PTS
	}
}

// firstBehind takes a stream's first packet p, its time more than firstGap
// behind the next packet's, for damaged back when it gave the file's start
// (so the file's other stream, if any, starts with the next packet, not
// with p, and none of it has been read out yet) and the packet after the
// next is in line: the rest of the file is brought back to follow p.
func (in *Input) firstBehind(p *Packet, next, limit time.Duration) {
	after, ok := in.timeAhead(p.Kind, 0, 1)
	if !ok || after < next-limit || after > next+limit || p.PTS > limit {
		return
	}
	other := Audio
	if p.Kind == Audio {
		other = Video
	}
	if in.times[other].first != NoPTS {
		// The other stream's packets already read out keep their
		// times: moving the rest of the file back would put its next
		// ones before them.
		return
	}
	if o, ok := in.timeAhead(other, 0, 0); ok && o < next-limit {
		return // the other stream starts with p: p is not out of line
	}
	in.offset -= next - p.PTS - max(p.Duration, time.Millisecond)
	in.times[p.Kind].retimed++
}

// How the packets after a leap went (scanLeap).
type leapEnd int

const (
	leapFollowed leapEnd = iota // the stream went on from the leap, as far as vet looked
	leapFellBack                // a packet came back behind the leap
	leapEnded                   // the file ended first
)

// scanLeap reads ahead, keeping what it reads for Read, through the
// packets of kind after one that leapt: run counts those that keep up with
// the leap (not below floor) until one falls back below it.
func (in *Input) scanLeap(kind MediaKind, floor time.Duration) (run int, end leapEnd) {
	for i := 0; ; i++ {
		if i == len(in.pending) {
			if run >= lookahead || in.full() {
				return run, leapFollowed
			}
			if !in.readAhead() {
				if errors.Is(in.readErr, io.EOF) {
					return run, leapEnded
				}
				return run, leapFollowed // a read error ends the clip: nothing to tell
			}
		}
		q := in.pending[i]
		if q.Kind != kind || q.PTS == NoPTS {
			continue
		}
		if q.PTS+in.offset < floor {
			// The stream is back only if the packet after q is too (or
			// there is none): a lone packet damaged backwards after a real
			// pause is no reason to move the pause.
			if after, ok := in.timeAhead(kind, i+1, 0); !ok || after < floor {
				return run, leapFellBack
			}
		}
		run++
	}
}

// timeAhead reads ahead as needed, keeping what it reads for Read, to the
// packet of kind with a time that comes n-th (from 0) at or after
// pending[from], and returns its time.
func (in *Input) timeAhead(kind MediaKind, from, n int) (time.Duration, bool) {
	for i := from; ; i++ {
		if i == len(in.pending) && (in.full() || !in.readAhead()) {
			return 0, false
		}
		if q := in.pending[i]; q.Kind == kind && q.PTS != NoPTS {
			if n == 0 {
				return q.PTS + in.offset, true
			}
			n--
		}
	}
}

// full reports whether read-ahead holds all it may.
func (in *Input) full() bool {
	return len(in.pending) >= lookaheadAll || in.pendingBytes >= lookaheadBytes
}

// readAhead reads one more packet into pending.
func (in *Input) readAhead() bool {
	q, err := in.readPacket()
	if err != nil {
		return false
	}
	in.pending = append(in.pending, q)
	in.pendingBytes += len(q.Data)
	return true
}

// Retimed counts the packets of kind whose damaged time Read replaced.
func (in *Input) Retimed(kind MediaKind) int { return in.times[kind].retimed }

// Damaged counts the packets of kind read so far that the demuxer found
// damaged (AV_PKT_FLAG_CORRUPT: cut short, or their framing broken). They
// are returned all the same, for the decoder to take what it can; an IVF
// frame whose size was damaged upwards swallows the rest of the file.
func (in *Input) Damaged(kind MediaKind) int { return in.damaged[kind] }

// maxUnreadable is how many stretches in a row that the demuxer cannot
// read end the reading (each passed, its packets lost: the sound's gap is
// filled and told, the picture waits for a keyframe): past it the file
// holds nothing readable.
const maxUnreadable = 64
