package client

import (
	"strings"
	"sync"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
)

// holdAudio is an interceptor factory (and the interceptor: one client
// has one PeerConnection), nearest the wire, that holds the client's
// outgoing audio packets while told to and then sends them at once, as a
// network stall does (Client.HoldAudio).
type holdAudio struct {
	interceptor.NoOp
	mu    sync.Mutex
	until time.Time
	held  []rtp.Packet
}

func (h *holdAudio) NewInterceptor(string) (interceptor.Interceptor, error) { return h, nil }

func (h *holdAudio) hold(d time.Duration) {
	h.mu.Lock()
	h.until = time.Now().Add(d)
	h.mu.Unlock()
}

func (h *holdAudio) BindLocalStream(info *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	if !strings.HasPrefix(strings.ToLower(info.MimeType), "audio/") {
		return w
	}
	return interceptor.RTPWriterFunc(func(hdr *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		h.mu.Lock()
		if time.Now().Before(h.until) {
			p := rtp.Packet{Header: hdr.Clone(), Payload: append([]byte(nil), payload...)}
			h.held = append(h.held, p)
			h.mu.Unlock()
			return hdr.MarshalSize() + len(payload), nil
		}
		held := h.held
		h.held = nil
		h.mu.Unlock()
		for i := range held {
			if _, err := w.Write(&held[i].Header, held[i].Payload, a); err != nil {
				return 0, err
			}
		}
		return w.Write(hdr, payload, a)
	})
}

// HoldAudio holds the audio the client sends for d, then sends what it
// held at once, with the packet after it: a stall on the way to the
// server, the packets late, none lost.
func (c *Client) HoldAudio(d time.Duration) { c.hold.hold(d) }
