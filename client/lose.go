package client

import (
	"strings"
	"sync"
	"time"

	"github.com/pion/interceptor"
)

// loseVideo is an interceptor factory (and the interceptor: one client has
// one PeerConnection) that drops every nth packet of each
// incoming video stream (Options.LoseVideo).
type loseVideo struct {
	interceptor.NoOp
	n int
}

func (l *loseVideo) NewInterceptor(string) (interceptor.Interceptor, error) { return l, nil }

func (l *loseVideo) BindRemoteStream(info *interceptor.StreamInfo, r interceptor.RTPReader) interceptor.RTPReader {
	count := 0
	return dropVideo(info, r, func(int) bool { count++; return count%l.n != 0 })
}

// dropVideo is r, reading a stream described by info, with the packets of
// n bytes that keep refuses left out when the stream is video (others are
// r itself).
func dropVideo(info *interceptor.StreamInfo, r interceptor.RTPReader, keep func(n int) bool) interceptor.RTPReader {
	if !strings.HasPrefix(strings.ToLower(info.MimeType), "video/") {
		return r
	}
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		for {
			n, a, err := r.Read(b, a)
			if err != nil || keep(n) {
				return n, a, err
			}
		}
	})
}

// linkDepth is how much of a capped link's rate its queue holds before
// it drops (Options.VideoLink): a home router's buffer is of this order.
const linkDepth = 150 * time.Millisecond

// capVideo is an interceptor factory (and the interceptor) that passes
// the incoming video through a link of bps bits per second: a packet that
// finds the link's queue full (linkDepth of it) is lost, as at a
// bottleneck, whatever the stream's own rate; those that fit are passed
// at once (the queue's delay is not imitated).
type capVideo struct {
	interceptor.NoOp
	bps int
	now func() time.Time

	mu      sync.Mutex
	backlog float64   // bits queued
	last    time.Time // when backlog was last drained
}

func (c *capVideo) NewInterceptor(string) (interceptor.Interceptor, error) { return c, nil }

// fits takes a packet of n bytes into the link if its queue has room.
func (c *capVideo) fits(n int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if !c.last.IsZero() {
		c.backlog = max(0, c.backlog-now.Sub(c.last).Seconds()*float64(c.bps))
	}
	c.last = now
	bits := float64(8 * n)
	if c.backlog+bits > linkDepth.Seconds()*float64(c.bps) {
		return false
	}
	c.backlog += bits
	return true
}

func (c *capVideo) BindRemoteStream(info *interceptor.StreamInfo, r interceptor.RTPReader) interceptor.RTPReader {
	return dropVideo(info, r, c.fits)
}
