package room

import (
	"sync"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
)

// srClocks gives the sender reports a session is sent for the room's
// tracks the room clock's RTP time. A receiver keeps a sender's sound and
// picture together by the reports: each maps a wall-clock instant to the
// RTP time of the stream at that instant (RFC 3550 6.4.1), and the frames
// of two streams whose times map to the same instant are played together.
//
// pion's reports take the RTP time of the last frame written as the time
// it was written. For the room's tracks that is not when the frame's room
// was: a composite is written once it is encoded (3–30 ms after its tick;
// an H.264 keyframe later still), a sound 20 ms frame within a
// millisecond, so a receiver that trusted pion's reports would play the
// picture later than the sound of the same moment, by a delay that
// changes with each report. Every track of the room is stamped from the
// room clock (clockTrack: PTS t is base + t), and the clock's epoch is
// known (mixer.Mixer.Epoch): a report's RTP time is set to the track's at
// the report's NTP time. pion still counts its packets and octets.
//
// It is the interceptor of one session's PeerConnection, and its factory:
// the session names the SSRC each track is sent under (add).
type srClocks struct {
	interceptor.NoOp
	// epoch is the wall time of the room clock's PTS 0, once it has
	// started (mixer.Mixer.Epoch); nil: none.
	epoch  func() (time.Time, bool)
	mu     sync.Mutex
	tracks map[uint32]*clockTrack // by SSRC
}

// NewInterceptor returns c: one PeerConnection, one interceptor.
func (c *srClocks) NewInterceptor(string) (interceptor.Interceptor, error) { return c, nil }

// add has the reports for ssrc follow t's clock.
func (c *srClocks) add(ssrc uint32, t *clockTrack) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tracks == nil {
		c.tracks = map[uint32]*clockTrack{}
	}
	c.tracks[ssrc] = t
}

// BindRTCPWriter sets the RTP time of the sender reports written through
// it. It must be nearer the wire than pion's report interceptor: in the
// registry, added before it.
func (c *srClocks) BindRTCPWriter(w interceptor.RTCPWriter) interceptor.RTCPWriter {
	return interceptor.RTCPWriterFunc(func(pkts []rtcp.Packet, attrs interceptor.Attributes) (int, error) {
		for _, p := range pkts {
			if sr, ok := p.(*rtcp.SenderReport); ok {
				c.rewrite(sr)
			}
		}
		return w.Write(pkts, attrs)
	})
}

// rewrite sets sr's RTP time from the room clock, for a stream of the
// room's tracks once the clock has started; otherwise it leaves pion's.
func (c *srClocks) rewrite(sr *rtcp.SenderReport) {
	c.mu.Lock()
	t := c.tracks[sr.SSRC]
	c.mu.Unlock()
	if t == nil || c.epoch == nil {
		return
	}
	e, ok := c.epoch()
	if !ok {
		return
	}
	if ts, ok := t.rtpAt(e, ntpTime(sr.NTPTime)); ok {
		sr.RTPTime = ts
	}
}

// ntpOffset is the Unix time of the NTP era's start (1900-01-01), in
// seconds.
const ntpOffset = 2208988800

// ntpTime is the wall-clock time of a 64-bit NTP timestamp (RFC 5905):
// seconds since 1900 in the high 32 bits, their fraction in the low. The
// seconds wrap in February 2036: a value with the top bit clear is taken
// from the next era (RFC 4330, 3).
func ntpTime(ntp uint64) time.Time {
	secs := int64(ntp >> 32)
	if secs < 1<<31 {
		secs += 1 << 32
	}
	frac := (ntp & 0xffffffff) * uint64(time.Second) >> 32
	return time.Unix(secs-ntpOffset, int64(frac))
}
