package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	"mcu/codec"
	"mcu/internal/mediatest"
)

// fakeWhep is a fake WHEP server that sends the VP8 of p01.ivf at 30 fps
// for send, then no picture (the connection stays up), and sound all the
// while: packets of 500 bytes every 20 ms (200 kbit/s).
func fakeWhep(t *testing.T, send time.Duration) string {
	t.Helper()
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
		track, _ := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "v", "mix")
		sound, _ := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "a", "mix")
		for _, tr := range []webrtc.TrackLocal{track, sound} {
			if _, err := pc.AddTrack(tr); err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
		}
		connected := make(chan struct{})
		var once sync.Once
		pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
			if st == webrtc.PeerConnectionStateConnected {
				once.Do(func() { close(connected) })
			}
		})
		if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: string(offer)}); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		ans, _ := pc.CreateAnswer(nil)
		g := webrtc.GatheringCompletePromise(pc)
		pc.SetLocalDescription(ans)
		<-g
		go func() {
			select {
			case <-connected:
			case <-time.After(10 * time.Second):
				return
			}
			go func() {
				for pc.ConnectionState() == webrtc.PeerConnectionStateConnected {
					sound.WriteSample(media.Sample{Data: make([]byte, 500), Duration: 20 * time.Millisecond})
					time.Sleep(20 * time.Millisecond)
				}
			}()
			in, err := codec.OpenInput(mediatest.TestdataPath(t, "p01.ivf"))
			if err != nil {
				return
			}
			defer in.Close()
			end := time.Now().Add(send)
			for time.Now().Before(end) {
				p, err := in.Read()
				if err != nil {
					return
				}
				track.WriteSample(media.Sample{Data: p.Data, Duration: time.Second / 30})
				time.Sleep(time.Second / 30)
			}
		}()
		w.Header().Set("Location", "/s/1")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, pc.LocalDescription().SDP)
	}))
	t.Cleanup(func() {
		mu.Lock()
		for _, pc := range pcs {
			pc.Close()
		}
		mu.Unlock()
		srv.Close()
	})
	return srv.URL
}

var fakeTotal = regexp.MustCompile(`(\d+) pictures of the mix in \w+ \(([\d.]+) fps\), (\d+) keyframes, (\d+) freezes \(longest pause ([^)]+)\), first picture (\S+) after the join`)

// TestViewCountsAStoppedMix: the mix comes for 1 s, then stops for
// the 3 s left of the watch: the totals should say so (a freeze, a pause
// of seconds), as mcu load's do (openFreeze).
func TestViewCountsAStoppedMix(t *testing.T) {
	url := fakeWhep(t, time.Second)
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"view", "-url", url, "-room", "r", "-duration", "4s"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	t.Log(out.String())
	m := fakeTotal.FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no totals in %q", out.String())
	}
	pictures, _ := strconv.Atoi(m[1])
	freezes, _ := strconv.Atoi(m[4])
	longest, err := time.ParseDuration(m[5])
	if err != nil {
		t.Fatal(err)
	}
	if pictures < 10 {
		t.Fatalf("%d pictures: the fake sent none", pictures)
	}
	if freezes == 0 || longest < 2*time.Second {
		t.Errorf("the mix stopped for the last ~3 s of the watch, yet %d freezes, longest pause %v", freezes, longest)
	}
}

// TestViewNoPicture: the mix's pictures never come, its sound does: the
// totals must not say a first picture came "0s after the join", the
// pictures' bitrate is none, and the watch fails (it checked nothing).
func TestViewNoPicture(t *testing.T) {
	url := fakeWhep(t, 0)
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"view", "-url", url, "-room", "r", "-duration", "2s"}, &out, &errOut); code != 1 ||
		!strings.Contains(errOut.String(), "no picture of the mix came") {
		t.Errorf("exit %d, %q; want 1, no picture of the mix came", code, errOut.String())
	}
	t.Log(out.String())
	if m := regexp.MustCompile(`fps +(\d+) kbit/s`).FindAllStringSubmatch(out.String(), -1); len(m) != 2 || m[0][1] != "0" || m[1][1] != "0" {
		t.Errorf("the pictures' bitrate, each second: %q; want two seconds of 0 (the sound is not pictures)", m)
	}
	for _, bad := range []string{"VideoCodec(0)", "first picture 0s after the join"} {
		if bytes.Contains(out.Bytes(), []byte(bad)) {
			t.Errorf("no picture came, yet the totals say %q", bad)
		}
	}
	if !regexp.MustCompile(`\b0 pictures of the mix`).MatchString(out.String()) {
		t.Errorf("no totals of 0 pictures in %q", out.String())
	}
}
