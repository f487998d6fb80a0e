package client

// fake: a fake server, a pion answerer behind an HTTP handler, that
// records every RTP packet the client sends, with its arrival time.

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

type fakePkt struct {
	kind string
	mime string
	at   time.Time
	pkt  rtp.Packet
}

type fakePeer struct {
	srv  *httptest.Server
	mu   sync.Mutex
	pkts []fakePkt
	pcs  []*webrtc.PeerConnection
}

func (p *fakePeer) packets(kind string) []fakePkt {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []fakePkt
	for _, x := range p.pkts {
		if x.kind == kind {
			out = append(out, x)
		}
	}
	return out
}

func fakeStart(t *testing.T) *fakePeer {
	t.Helper()
	p := &fakePeer{}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPost:
			offer, _ := io.ReadAll(r.Body)
			m := &webrtc.MediaEngine{}
			if err := m.RegisterDefaultCodecs(); err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			s := webrtc.SettingEngine{}
			s.SetIncludeLoopbackCandidate(true)
			s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
			api := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(s))
			pc, err := api.NewPeerConnection(webrtc.Configuration{})
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			p.mu.Lock()
			p.pcs = append(p.pcs, pc)
			p.mu.Unlock()
			pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
				kind := tr.Kind().String()
				mime := tr.Codec().MimeType
				for {
					pkt, _, err := tr.ReadRTP()
					if err != nil {
						return
					}
					now := time.Now()
					p.mu.Lock()
					p.pkts = append(p.pkts, fakePkt{kind: kind, mime: mime, at: now, pkt: *pkt})
					p.mu.Unlock()
				}
			})
			if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: string(offer)}); err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
			ans, err := pc.CreateAnswer(nil)
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			g := webrtc.GatheringCompletePromise(pc)
			pc.SetLocalDescription(ans)
			<-g
			w.Header().Set("Location", "/s/1")
			w.Header().Set("ETag", `"e1"`)
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, pc.LocalDescription().SDP)
		case http.MethodDelete:
			p.mu.Lock()
			pcs := p.pcs
			p.pcs = nil
			p.mu.Unlock()
			for _, pc := range pcs {
				pc.Close()
			}
			w.WriteHeader(http.StatusOK)
		}
	}))
	t.Cleanup(func() {
		p.mu.Lock()
		pcs := p.pcs
		p.pcs = nil
		p.mu.Unlock()
		for _, pc := range pcs {
			pc.Close()
		}
		p.srv.Close()
	})
	return p
}
