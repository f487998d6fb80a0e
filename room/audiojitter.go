package room

import (
	"context"
	"sync"
	"time"

	"mcu/codec"
	"mcu/internal/sched"
	"mcu/mixer"
)

// heldSlots bounds the packets an audioJitter holds behind a missing one
// (heldSlots-1 of them: 620 ms of 20 ms packets), far more than the
// mixer's queue ever lets it wait (mixer.LiveAudio keeps at most 240 ms).
const heldSlots = 32

// audioJitter is a participant's audio on its way to the mixer: Opus
// packets put back in order, then decoded (opusIn) into a jitter buffer of
// PCM (mixer.LiveAudio), which is the mixer's AudioSource.
//
// A packet in order is decoded as it arrives, in the participant's
// goroutine. A packet after a missing one is held, not decoded: the
// missing one may only be late (reordered on the way). It is waited for
// until the mixer needs the audio it holds up, that is until the PCM
// queue would run dry at the mixer's tick. Then it is given up, in the
// mixer's goroutine: the held packets are decoded, as many as the tick
// needs (the rest at the participant's next packet, in its goroutine), the
// lost one recovered from the next one's FEC or concealed (opusIn). So a
// reordered packet that arrives before its turn to play is heard as sent,
// and the wait costs no delay and no silent tick: only the depth the
// queue already has, 40 ms at the start, hides the reordering. Before play starts the
// queue is short at every tick, so a gap in the first packets is given up
// at once; and the first packet sets the numbering, so one numbered
// before it counts as late.
type audioJitter struct {
	out *mixer.LiveAudio
	obs Observer

	mu      sync.Mutex
	in      *opusIn
	next    uint16 // the sequence number decoded next
	started bool
	late    int // packets in a row older than next
	held    [heldSlots]heldAudio
	nheld   int
	stats   AudioStats // but the queue's

	// The RTP timestamp and sequence number of the last packet decoded,
	// when it came with one (PushRTP).
	lastTS  uint32
	lastSeq uint16
	stamped bool
}

// AudioStats counts what happened to a participant's audio on its way to
// the mixer.
type AudioStats struct {
	// Reordered counts packets that came after a later one, in time to
	// play.
	Reordered uint64 `json:"reordered"`
	// Gaps counts runs of missing packets given up when their turn came:
	// made up for from the next packet's FEC, or concealed.
	Gaps uint64 `json:"gaps"`
	// Late counts packets dropped because their turn had passed, and
	// duplicates (not those taken as a restarted numbering).
	Late uint64 `json:"late"`
	// Paced counts packets dropped undecoded because the sender was far
	// ahead of the clock (more audio than time passed).
	Paced uint64 `json:"paced"`
	// Underruns counts the mixer's ticks that found nothing to play after
	// play began, but for the sender's pauses (DTX, or its RTP times
	// jumping over them: a run's ticks are taken back once that shows, so
	// the count may go down) and the ticks after a second of them in a row
	// (the sender stopped sending: a microphone turned off; a longer
	// outage counts as a second's); Dropped, 20 ms frames dropped to
	// shorten the delay.
	Underruns uint64 `json:"underruns"`
	Dropped   uint64 `json:"dropped"`
	// LagMS is how much longer, in milliseconds, the sound waits in its
	// queue now than it started with (raised for packets that came late);
	// the participant's picture waits as much.
	LagMS int64 `json:"lag_ms"`
}

type heldAudio struct {
	seq     uint16
	ts      uint32
	stamped bool
	ok      bool
	payload []byte
}

func newAudioJitter(obs Observer) (*audioJitter, error) {
	in, err := newOpusIn()
	if err != nil {
		return nil, err
	}
	j := &audioJitter{in: in, out: mixer.NewLiveAudio(), obs: obs}
	j.out.Conceal = j.conceal
	return j, nil
}

// conceal fills a tick the queue had nothing for with the decoder's loss
// concealment (see opusIn.concealNow). Called by the queue with its lock
// held: a Push holding mu waits for that lock, so mu is only tried, and
// the tick stays silent if a Push has it.
func (j *audioJitter) conceal(pcm []int16) bool {
	if !j.mu.TryLock() {
		return false
	}
	defer j.mu.Unlock()
	return j.in.concealNow(pcm)
}

// count counts an event in the session's stats and the server's metrics.
func (j *audioJitter) count(ev AudioEvent) {
	switch ev {
	case AudioReordered:
		j.stats.Reordered++
	case AudioGap:
		j.stats.Gaps++
	case AudioLate:
		j.stats.Late++
	case AudioPaced:
		j.stats.Paced++
	}
	j.obs.AudioInput(ev)
}

// Push takes the payload of RTP packet seq, in the order packets arrive.
// It does not keep payload.
func (j *audioJitter) Push(seq uint16, payload []byte) { j.push(seq, 0, false, payload) }

// PushRTP is Push for a packet whose RTP timestamp ts is known: a jump
// in the timestamps beyond what the packets in between hold tells that
// the sender sent nothing for a while (a pause it sent no DTX packet
// for, or whose DTX packet was lost; a microphone turned back on), so
// that the queue's running dry meanwhile was no lateness (LiveAudio.Skipped).
func (j *audioJitter) PushRTP(seq uint16, ts uint32, payload []byte) {
	j.push(seq, ts, true, payload)
}

func (j *audioJitter) push(seq uint16, ts uint32, stamped bool, payload []byte) {
	j.mu.Lock()
	defer j.mu.Unlock()
	// Measured with the lock held: a wait for it is not CPU, and a
	// goroutine held to its thread while it waits would cost switches.
	span := sched.StartCPU()
	defer func() { j.obs.CPU(mixer.StageAudioDecode, span.End()) }()
	if !j.started {
		j.started, j.next = true, seq
	}
	// What the mixer's tick left held after a gap it gave up is decoded
	// here, in the participant's goroutine.
	j.drain()
	switch d := seq - j.next; {
	case d >= 0x8000: // older than the next one: its turn has passed
		if j.late++; j.late < maxLateAudio {
			j.count(AudioLate)
			return
		}
		// The sender's numbering went back (it restarted): follow it.
		j.drop()
		j.in.restart()
		j.out.Break()
		j.next = seq
	case d >= heldSlots:
		// Too far ahead to hold: give up what is missing before it.
		for j.nheld > 0 {
			j.giveUp()
		}
		if seq != j.next {
			j.count(AudioGap)
		}
		j.next = seq
	}
	j.late = 0
	if seq == j.next {
		if j.nheld > 0 {
			j.count(AudioReordered) // it was missing, and came in time
		}
		j.decode(seq, ts, stamped, payload)
		j.drain()
		return
	}
	h := &j.held[seq%heldSlots]
	if h.ok {
		j.count(AudioLate) // a duplicate
		return
	}
	h.seq, h.ts, h.stamped, h.ok, h.payload = seq, ts, stamped, true, append(h.payload[:0], payload...)
	j.nheld++
}

// decode hands packet seq to the decoder, which makes up for any packets
// missing before it; next follows it. A DTX packet tells the queue that
// the sender is silent until its next packet of sound (so the queue's
// running out meanwhile is no underrun), which tells it the pause is over.
func (j *audioJitter) decode(seq uint16, ts uint32, stamped bool, payload []byte) {
	if stamped && j.stamped {
		// The RTP time from the last packet decoded to this one, and
		// what the packets numbered in between hold: the last one's
		// length, and each lost one's at the longer of the last one's
		// and this one's (a sender changing its packets' length may
		// lose the first longer ones).
		last := uint32(j.in.frame)
		lost := last
		if d, ok := codec.OpusPacketDuration(payload); ok {
			lost = max(lost, uint32(d*codec.OpusSampleRate/time.Second))
		}
		span, held := ts-j.lastTS, last+uint32(seq-j.lastSeq-1)*lost
		if span < 1<<31 && span > held+maxTimestampSlack {
			j.out.Skipped()
		}
	}
	j.lastTS, j.lastSeq, j.stamped = ts, seq, stamped
	switch {
	case dtx(payload):
		j.out.Pause()
	case len(payload) > 0:
		j.out.Resume()
	}
	paced := j.in.paced
	j.in.push(seq, payload, j.out.Push)
	if j.in.paced != paced {
		j.count(AudioPaced)
	}
	j.next = seq + 1
}

// drain decodes the held packets that follow next without a gap.
func (j *audioJitter) drain() {
	for j.nheld > 0 {
		h := &j.held[j.next%heldSlots]
		if !h.ok || h.seq != j.next {
			return
		}
		j.release(h)
	}
}

// release decodes a held packet and lets its slot go.
func (j *audioJitter) release(h *heldAudio) {
	h.ok = false
	j.nheld--
	j.decode(h.seq, h.ts, h.stamped, h.payload)
}

// maxTimestampSlack is how far (48 kHz RTP time: 40 ms) the timestamps
// may run ahead of the packets numbered before they are taken for a
// sender's silence: a sender stamping its capture time rather than the
// samples it sent may wander by a few milliseconds.
const maxTimestampSlack = 2 * 960

// giveUp stops waiting for the missing packet(s) before the first held
// one: it is decoded (the decoder makes up for the gap), and next follows
// it. Packets held after it stay held (drain decodes them).
func (j *audioJitter) giveUp() {
	for i := range uint16(heldSlots) {
		if h := &j.held[(j.next+i)%heldSlots]; h.ok && h.seq == j.next+i {
			if i > 0 {
				j.count(AudioGap)
			}
			j.release(h)
			return
		}
	}
	j.drop() // unreachable while nheld counts right; never loop on it
}

// drop forgets every held packet.
func (j *audioJitter) drop() {
	for i := range j.held {
		j.held[i].ok = false
	}
	j.nheld = 0
}

// AudioAt implements mixer.AudioSource: when the queue would otherwise
// not play, the packet held after a gap is decoded, one at a time until
// the queue has a frame: the mixer's goroutine decodes no more than the
// tick needs (a sender may hold 31 packets of 120 ms behind a gap), and
// the participant's goroutine decodes the rest at its next packet. The
// mixer's tick never waits for a Push: one decoding a burst (a sender
// back from a stall, or a hostile one, whose packets and the gaps between
// them can take tens of milliseconds to decode) holds mu, and the tick
// then plays what is queued, the held packets left for the next tick.
func (j *audioJitter) AudioAt(ctx context.Context, t time.Duration, pcm []int16) (bool, error) {
	if j.mu.TryLock() {
		for j.nheld > 0 && j.out.Short() {
			j.giveUp()
		}
		j.mu.Unlock()
	}
	return j.out.AudioAt(ctx, t, pcm)
}

// Stats returns the counts so far.
func (j *audioJitter) Stats() AudioStats {
	j.mu.Lock()
	st := j.stats
	j.mu.Unlock()
	st.Underruns, st.Dropped = j.out.Stats()
	st.LagMS = j.out.Lag().Milliseconds()
	return st
}
