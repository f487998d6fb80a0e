package client

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"

	"mcu/codec"
	"mcu/internal/mediatest"
)

// TestResendBehindAKeyframeIsTaken: the mix's keyframe comes in over 70
// packets, its second one last, behind all the others (a resend: the
// mix is sent without RTX), then ten pictures. A decoding client takes it and shows the
// picture without asking for another keyframe; SRTP's default replay
// window (64 packets) refused it as a replay.
func TestResendBehindAKeyframeIsTaken(t *testing.T) {
	in, err := codec.OpenInput(mediatest.TestdataPath(t, "p01.ivf"))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var frames [][]byte // the keyframe and the next ten pictures
	for range 11 {
		f, err := in.Read()
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, f.Data)
	}
	p := rtp.NewPacketizer(12+1+16, 96, 0x1234, &codecs.VP8Payloader{}, rtp.NewRandomSequencer(), 90000)
	pkts := p.Packetize(frames[0], 3000)
	if len(pkts) < 70 {
		t.Fatalf("the keyframe is %d packets: its resend would not come 64 behind", len(pkts))
	}
	pkts = append(append(pkts[:1:1], pkts[2:]...), pkts[1]) // the second one last
	for _, f := range frames[1:] {
		pkts = append(pkts, p.Packetize(f, 3000)...)
	}

	var mu sync.Mutex
	var pcs []*webrtc.PeerConnection
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.WriteHeader(http.StatusOK)
			return
		}
		offer, _ := io.ReadAll(r.Body)
		m := &webrtc.MediaEngine{}
		m.RegisterDefaultCodecs()
		s := webrtc.SettingEngine{}
		s.SetIncludeLoopbackCandidate(true)
		s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
		pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(s)).NewPeerConnection(webrtc.Configuration{})
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		mu.Lock()
		pcs = append(pcs, pc)
		mu.Unlock()
		track, _ := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "v", "mix")
		if _, err := pc.AddTrack(track); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
			if st != webrtc.PeerConnectionStateConnected {
				return
			}
			go func() {
				time.Sleep(200 * time.Millisecond) // the client's reader is up
				for _, pkt := range pkts {
					track.WriteRTP(pkt)
					time.Sleep(time.Millisecond)
				}
			}()
		})
		if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: string(offer)}); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		ans, _ := pc.CreateAnswer(nil)
		g := webrtc.GatheringCompletePromise(pc)
		pc.SetLocalDescription(ans)
		<-g
		w.Header().Set("Location", "/s/1")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, pc.LocalDescription().SDP)
	}))
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, pc := range pcs {
			pc.Close()
		}
		srv.Close()
	})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	c, err := Connect(ctx, Options{Server: srv.URL, Room: "r", Endpoint: WHEP, Decode: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for end := time.Now().Add(3 * time.Second); c.Picture() == nil && time.Now().Before(end); {
		time.Sleep(20 * time.Millisecond)
	}
	if st := c.Stats(); c.Picture() == nil || st.KeyframeRequests != 0 {
		t.Errorf("a keyframe whose second packet came last: picture shown %v, %d keyframe requests; want it shown, none asked", c.Picture() != nil, st.KeyframeRequests)
	}
}
