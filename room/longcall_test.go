package room

import (
	"context"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"

	"mcu/audio"
)

// longAudio runs an audioJitter for dur of the server's time: a sender
// whose clock runs at rate times the server's sends a 20 ms packet each of
// its 20 ms, numbered from seq0, each arriving 5 ms after it is sent, and
// every lateEvery (if set) one of them arrives late more; the mixer
// pulls a frame every 20 ms. It returns the stats.
func longAudio(t *testing.T, rate float64, seq0 uint16, lateEvery, late, dur time.Duration) AudioStats {
	t.Helper()
	pkt := voicedOpus(t, 1)[0]
	j := testJitter(t)
	t0 := time.Unix(1_000_000, 0)
	var clock time.Duration
	j.in.now = func() time.Time { return t0.Add(clock) }
	frame := audio.FrameDuration
	pcm := make([]int16, audio.FrameLen)
	arrival := func(i int) time.Duration {
		at := 5*time.Millisecond + time.Duration(float64(i)*float64(frame)/rate)
		if lateEvery > 0 && i > 0 && i%int(lateEvery/frame) == 0 {
			at += late
		}
		return at
	}
	next := 0
	for k := range int(dur / frame) {
		tick := time.Duration(k) * frame
		for arrival(next) <= tick {
			// In order: one late holds those after it up.
			clock = max(arrival(next), clock)
			j.Push(seq0+uint16(next), pkt)
			next++
		}
		clock = tick
		if _, err := j.AudioAt(context.Background(), tick, pcm); err != nil {
			t.Fatal(err)
		}
	}
	return j.Stats()
}

// TestLongCallAudioNotPaced: an honest sender is never taken for one
// sending faster than time passes, however long the call: not one whose
// packets come 100 ms late every 20 s (each late one concealed at the
// ticks that found nothing, then played when it came: counted twice, the
// concealment took the sender 10 s ahead of the clock within the hour).
func TestLongCallAudioNotPaced(t *testing.T) {
	st := longAudio(t, 1, 0xFFFF-100, 20*time.Second, 100*time.Millisecond, time.Hour)
	if st.Paced > 0 || st.Underruns == 0 {
		t.Errorf("%d packets dropped undecoded as too far ahead of the clock, %d ticks found nothing (%+v); want none, and some", st.Paced, st.Underruns, st)
	}
}

// TestPaceTakesAFastClock: a sender whose clock runs 0.5 % fast sends
// 20 ms of media every 19.9 ms; over an hour it is never taken for a
// flood, while one at twice real time is, once it is decodeLead ahead.
func TestPaceTakesAFastClock(t *testing.T) {
	for _, tc := range []struct {
		rate  float64
		flood bool
	}{{1.005, false}, {1.01, false}, {2, true}} {
		var p pace
		t0 := time.Unix(1_000_000, 0)
		step := time.Duration(float64(audio.FrameDuration) / tc.rate)
		taken := time.Duration(-1)
		for i := range int(time.Hour / step) {
			now := t0.Add(time.Duration(i) * step)
			if p.ahead(now, decodeLead) {
				taken = now.Sub(t0)
				break
			}
			p.add(audio.FrameDuration)
		}
		if flood := taken >= 0; flood != tc.flood {
			t.Errorf("a sender at %v times real time: taken for a flood %v (after %v), want %v", tc.rate, flood, taken, tc.flood)
		}
	}
}

// TestLongCallVideoWraps: a VP8 sender whose numbers start just before
// both wrap (sequence 65500, RTP time 0xFFFFF000) sends 90 frames, pauses
// 30 s (its time leaps on, its numbers go on), sends the clip again, then
// restarts its encoder: numbering and time go back. Every frame decodes
// but those before the restart's keyframe, and no keyframe is asked for
// except after the restart.
func TestLongCallVideoWraps(t *testing.T) {
	clip := clipFrames(t, "p01.ivf", 90)
	p := newVideoInProbe(t, map[uint8]string{96: "video/VP8"})
	p.in.start(96, "video/VP8")
	seq := rtp.NewFixedSequencer(65500)
	frozen := time.Now()
	push := func(base uint32, at time.Duration) {
		raw := packetize(t, seq, 96, &codecs.VP8Payloader{EnablePictureID: true}, clip, func(i int) uint32 { return base + uint32(i)*3000 })
		for i, b := range raw {
			p.frozen = frozen.Add(at + time.Duration(i)*time.Millisecond)
			p.push(b)
		}
	}
	push(0xFFFFF000, 0)
	push(uint32(0xFFFFF000+90*3000+30*90000-(1<<32)), 30*time.Second)
	decoded := 0
	for _, n := range p.take() {
		decoded += n
	}
	if decoded != 180 || p.keyframes != 0 {
		t.Errorf("across the wraps and a pause: %d pictures, %d keyframes asked; want 180 and none", decoded, p.keyframes)
	}
	// Its encoder restarts, numbering from a little behind (40) and at
	// another time: the restart's first frames (its keyframe among them)
	// are dropped as late until its numbers pass the old ones. The frames
	// after are deltas of that keyframe: decoded on the old stream's
	// pictures they are garbage, with no error. They must wait for a
	// keyframe (asked for), here the clip's at 30.
	seq = rtp.NewFixedSequencer(p.in.frames.next - 40)
	push(12345, 40*time.Second)
	decoded = 0
	for _, n := range p.take() {
		decoded += n
	}
	t.Logf("after a restart: %d pictures, %d keyframes asked", decoded, p.keyframes)
	if decoded > 60 || p.keyframes == 0 {
		t.Errorf("after a restart 40 behind: %d pictures decoded, %d keyframes asked; want those from the keyframe at 30 (60), asked for", decoded, p.keyframes)
	}
}

// TestLongCallAudioWraps: audio numbered across the wrap, with a 30 s
// pause (no packets, numbers going on), plays every packet.
func TestLongCallAudioWraps(t *testing.T) {
	st := longAudio(t, 1, 65500, 0, 0, 10*time.Second)
	if st.Gaps != 0 || st.Late != 0 || st.Underruns != 0 {
		t.Errorf("across the wrap: %+v", st)
	}
}

// TestLongCallLateRetransmissionsAcrossTheTimeWrap: retransmissions that
// come after their frames were given up are dropped, not taken for a
// restarted sender, also when the stream's RTP time wrapped since them.
func TestLongCallLateRetransmissionsAcrossTheTimeWrap(t *testing.T) {
	a := newFrameAssembler(func() rtp.Depacketizer { return rawDepacketizer{} })
	var c collector
	at := time.Unix(0, 0)
	send := func(seq uint16, ts uint32) {
		p := pkt(seq, true, "x")
		p.Timestamp = ts
		if _, err := a.push(wire(t, p), at, c.emit); err != nil {
			t.Fatal(err)
		}
	}
	// 200 frames of a packet each, 3000 apart, the time wrapping at 100.
	for i := range 200 {
		send(uint16(60000+i), uint32(0xFFFFFFFF-100*3000+1+i*3000))
	}
	// 100 late retransmissions of frames from before the wrap.
	for i := range 100 {
		send(uint16(60000+i), uint32(0xFFFFFFFF-100*3000+1+i*3000))
	}
	send(uint16(60200), uint32(100*3000+1))
	if c.lost[len(c.lost)-1] != 0 || len(c.frames) != 201 {
		t.Errorf("%d frames, the last after %d lost; want 201, none lost (late retransmissions are no restart)", len(c.frames), c.lost[len(c.lost)-1])
	}
}
