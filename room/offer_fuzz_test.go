package room

import (
	"errors"
	"log/slog"
	"testing"

	"github.com/pion/webrtc/v4"
)

// offerSeeds are real clients' offers.
func offerSeeds() []string {
	return []string{chromeOffer(false), chromeOffer(true), firefoxOffer(), safariOffer(), obsOffer(), ffmpegOffer(), gstOffer()}
}

// FuzzOfferChecks: whatever a join's body holds, the checks a join makes
// before a room is opened (parseOffer, checkOffer, checkDirections,
// forPion, checkReceivable, mixCodec) never panic; an offer they take is
// rewritten for pion into SDP that parses again and passes the same
// checks; the answer rewriters never panic on it.
func FuzzOfferChecks(f *testing.F) {
	for i, o := range offerSeeds() {
		f.Add(o, uint8(i))
	}
	f.Fuzz(func(t *testing.T, offer string, k uint8) {
		kind := []Kind{Participant, Publisher, Viewer}[int(k)%3]
		d, err := parseOffer(offer)
		if err != nil {
			if !errors.Is(err, ErrBadOffer) {
				t.Fatalf("parse error %v is not ErrBadOffer", err)
			}
			return
		}
		if checkOffer(d) != nil || checkDirections(d, kind) != nil {
			return
		}
		hasBundleGroup(d)
		out := forPion(d, offer)
		if kind != Publisher && checkReceivable(d) != nil {
			return
		}
		mixCodec(d)
		d2, err := parseOffer(out)
		if err != nil {
			t.Fatalf("forPion made SDP that does not parse: %v\n%q", err, out)
		}
		if err := checkOffer(d2); err != nil {
			t.Fatalf("forPion's SDP fails checkOffer: %v", err)
		}
		if err := checkDirections(d2, kind); err != nil {
			t.Fatalf("forPion's SDP fails checkDirections: %v", err)
		}
		withoutBundleGroup(out)
		candidatesInOrder(out)
	})
}

// FuzzOfferPion: an offer the join's checks take goes to a peer
// connection made as the server makes them (its codecs, interceptors and
// settings): pion's SetRemoteDescription and CreateAnswer never panic.
// No local description is set: nothing is gathered, no socket opened.
func FuzzOfferPion(f *testing.F) {
	for i, o := range offerSeeds() {
		f.Add(o, uint8(i))
	}
	logs := newPionLogs(slog.New(slog.DiscardHandler))
	f.Fuzz(func(t *testing.T, offer string, k uint8) {
		kind := []Kind{Participant, Publisher, Viewer}[int(k)%3]
		d, err := parseOffer(offer)
		if err != nil || checkOffer(d) != nil || checkDirections(d, kind) != nil {
			return
		}
		out := forPion(d, offer)
		if kind != Publisher && checkReceivable(d) != nil {
			return
		}
		var guard streamGuard
		api, err := (&apiMaker{cfg: NetConfig{LoopbackOnly: true}}).newAPI(guard.buffer, logs, &srClocks{})
		if err != nil {
			t.Fatal(err)
		}
		pc, err := api.NewPeerConnection(webrtc.Configuration{})
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		if kind != Publisher {
			v, _ := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "video", "mix")
			a, _ := webrtc.NewTrackLocalStaticRTP(audioCodec.RTPCodecCapability, "audio", "mix")
			if _, err := pc.AddTrack(v); err != nil {
				t.Fatal(err)
			}
			if _, err := pc.AddTrack(a); err != nil {
				t.Fatal(err)
			}
		}
		if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: out}); err != nil {
			return
		}
		pc.CreateAnswer(nil)
	})
}
