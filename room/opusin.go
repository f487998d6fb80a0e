package room

import (
	"time"

	"mcu/audio"
	"mcu/codec"
)

// maxConcealed is the most audio made up for in one gap, in the mixer's
// 20 ms frames (audio.MaxConcealFrames), whatever the packets' length:
// making up for more would only hold the jitter buffer further behind.
const maxConcealed = audio.MaxConcealFrames

// opusIn turns one participant's Opus packets, in sequence order (an
// audioJitter puts them back in order), into PCM for their jitter buffer.
// Packets lost before one are made up for at once, a frame each (of the
// last packet's length): the one just before it is recovered from its
// in-band FEC, which browsers add when they see loss (we offer
// useinbandfec=1), and any earlier ones are concealed. A packet that comes
// after a later one is dropped, its place filled (audioJitter drops those
// before they get here).
//
// Use from one goroutine at a time; nothing is allocated per packet.
type opusIn struct {
	dec     *codec.OpusDecoder
	pcm     []int16 // decoded audio, reused
	frame   int     // samples per channel of the last packet decoded
	last    uint16  // sequence number of the last packet taken
	started bool
	late    int // packets in a row older than last

	// The decoding keeps to the wall clock, now (see decodeLead); paced
	// counts the packets dropped for it.
	now   func() time.Time
	pace  pace
	paced int

	// covered is the audio (samples per channel) concealed at the mixer's
	// ticks since the last packet decoded, while the jitter buffer ran
	// dry: the lost packets it stood for are not made up for again.
	covered int
}

// decodeLead is how far ahead of the wall clock a participant's audio may
// be decoded (see pace): far beyond what a sender's clock or a burst after
// a network stall gives, while a sender of 120 ms packets a thousand times
// a second (two minutes of audio a second, each packet decoded, then
// dropped by the full jitter buffer) gets little more decoding than anyone
// else.
const decodeLead = 10 * time.Second

// maxLateAudio is how many packets in a row older than the last one taken
// make opusIn take them as the stream's new numbering (a sender that
// restarted lower would otherwise be silent until its numbers caught up):
// a second of audio, far more than reordering or duplicates ever give.
const maxLateAudio = 50

func newOpusIn() (*opusIn, error) {
	dec, err := codec.NewOpusDecoder()
	if err != nil {
		return nil, err
	}
	return &opusIn{
		dec:   dec,
		pcm:   make([]int16, codec.MaxOpusSamples*codec.OpusChannels),
		frame: 960, // 20 ms, until a packet says
		now:   time.Now,
	}, nil
}

// push takes the payload of RTP packet seq and hands out, in order, the
// audio it yields as interleaved stereo PCM: a frame for each packet lost
// just before it, then its own. out must not keep pcm after it returns.
func (o *opusIn) push(seq uint16, payload []byte, out func(pcm []int16)) {
	if o.started {
		gap := seq - o.last - 1
		switch {
		case gap < 0x8000:
			o.makeUp(int(gap), payload, out)
		case o.late+1 < maxLateAudio:
			o.late++
			return // late or duplicate: its time has passed
		}
	}
	o.started, o.last, o.late, o.covered = true, seq, 0, 0
	if len(payload) == 0 || o.ahead() {
		return
	}
	n, err := o.dec.Decode(payload, o.pcm)
	if err != nil {
		return
	}
	o.frame = n
	o.give(o.pcm[:n*codec.OpusChannels], out)
}

// dtx reports whether payload is an Opus DTX packet: the TOC byte alone,
// or with one byte more, which a sender in discontinuous transmission
// sends (about every 400 ms) instead of its silence. libopus decodes it
// as a lost frame, of the length its TOC says: concealment fading into
// comfort noise.
func dtx(payload []byte) bool { return len(payload) > 0 && len(payload) <= 2 }

// concealNow fills pcm (interleaved stereo) with the decoder's loss
// concealment, for a mixer's tick that found nothing to play: the voice
// fades out over a few frames instead of stopping dead, and the packets
// it stands for, if they turn out lost, are not made up for again. After
// maxConcealed frames (a longer outage) it gives nothing: concealment has
// faded by then.
func (o *opusIn) concealNow(pcm []int16) bool {
	n := len(pcm) / codec.OpusChannels
	if !o.started || o.covered+n > maxConcealed*audio.FrameSamples || o.dec.Conceal(pcm) != nil {
		return false
	}
	o.covered += n
	// Not counted against the pace: the mixer's ticks ask for it, in real
	// time, and the packets it stands for, if they were only late, are
	// decoded (and counted) when they come: counted here too, each late
	// packet would bring an honest sender nearer to being taken for a
	// flood, until after a long call its sound was cut.
	return true
}

// ahead reports whether the audio handed out is more than decodeLead
// ahead of the wall clock: the packet is then dropped, not decoded.
func (o *opusIn) ahead() bool {
	if o.pace.ahead(o.now(), decodeLead) {
		o.paced++
		return true
	}
	return false
}

// give hands pcm out and counts it.
func (o *opusIn) give(pcm []int16, out func(pcm []int16)) {
	o.pace.add(time.Duration(len(pcm)/codec.OpusChannels) * time.Second / codec.OpusSampleRate)
	out(pcm)
}

// restart forgets the numbering: the next packet is taken as the first.
func (o *opusIn) restart() { o.started, o.late, o.covered = false, 0, 0 }

// makeUp hands out lost frames before the packet next: at most
// maxConcealed frames of the mixer's (100 ms) in all, counting what was
// concealed at the ticks already, so that packets longer than a tick (40,
// 60, 120 ms) make up for no more than 20 ms ones do; in a longer gap the
// rest is skipped. The last frame comes from next's FEC when it is made
// up (libopus conceals when next has none).
func (o *opusIn) makeUp(lost int, next []byte, out func(pcm []int16)) {
	const ch = codec.OpusChannels
	pcm := o.pcm[:o.frame*ch]
	budget := maxConcealed*audio.FrameSamples - o.covered // samples per channel
	// What was concealed at the ticks already (for the first ones lost)
	// is not made up for again: whole frames are skipped, and the start
	// of the first one made up (packets longer than a tick's 20 ms).
	cut := o.covered % o.frame
	for i := min(lost, o.covered/o.frame); i < lost && budget > 0; i++ {
		if o.ahead() {
			return
		}
		n := min(o.frame-cut, budget) // of this frame, after cut
		// FEC gives the whole frame, of which the part not yet concealed
		// is handed out; concealment goes on from the tick's, for what
		// it did not cover.
		// (Only SILK and hybrid packets, TOC configurations 0-15, carry
		// FEC: libopus conceals the whole frame for a CELT one.)
		if i == lost-1 && len(next) > 0 && next[0]>>3 < 16 && o.dec.DecodeFEC(next, pcm) == nil {
			// Its end, which leads into next (all of it after the cut,
			// unless the budget cuts it shorter).
			o.give(pcm[(o.frame-n)*ch:o.frame*ch], out)
		} else if o.dec.Conceal(pcm[:n*ch]) == nil {
			o.give(pcm[:n*ch], out)
		}
		budget -= n
		cut = 0
	}
}
