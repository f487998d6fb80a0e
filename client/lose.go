package client

import (
	"strings"

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
	if !strings.HasPrefix(strings.ToLower(info.MimeType), "video/") {
		return r
	}
	count := 0
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		for {
			n, a, err := r.Read(b, a)
			if count++; err != nil || count%l.n != 0 {
				return n, a, err
			}
		}
	})
}
