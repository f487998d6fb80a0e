package room

import (
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// videoShown waits up to 5 s for room r's only participant's video to be
// decoded at width w.
func videoShown(t *testing.T, r *Room, w int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		info := r.Info()
		if len(info.Participants) == 1 && info.Participants[0].Width == w {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("participants %+v: want one whose video decodes at %d wide", info.Participants, w)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// sendClip writes the first frames of p01.ivf to each track, as a camera
// at 30 fps would, in the background until the test ends; mark, if set,
// is given each packet of track k first.
func sendClip(t *testing.T, mark func(p *rtp.Packet, k int), tracks ...*webrtc.TrackLocalStaticRTP) {
	t.Helper()
	streams := make([]stream, len(tracks))
	for k, tr := range tracks {
		streams[k] = stream{tr, "p01.ivf", 0, 60}
	}
	sendStreams(t, mark, streams...)
}

// stream is frames from to to of a testdata clip, sent on a track.
type stream struct {
	track    *webrtc.TrackLocalStaticRTP
	clip     string
	from, to int
}

// sendStreams sends the streams' frames at 30 fps, frame i of each whose
// span holds i at the i-th tick, in the background until the test ends.
func sendStreams(t *testing.T, mark func(p *rtp.Packet, k int), streams ...stream) {
	t.Helper()
	frames := make([][][]*rtp.Packet, len(streams)) // by stream, frame: its packets
	last := 0
	for k, st := range streams {
		clip := clipFrames(t, st.clip, st.to-st.from)
		p := rtp.NewPacketizer(1200, 96, 0, &codecs.VP8Payloader{}, rtp.NewRandomSequencer(), 90000)
		frames[k] = make([][]*rtp.Packet, st.to)
		for i := st.from; i < st.to; i++ {
			// From a keyframe: the clip's first frame opens each stream.
			frames[k][i] = p.Packetize(clip[i-st.from], 3000)
		}
		last = max(last, st.to)
	}
	done := make(chan struct{})
	stopped := make(chan struct{})
	t.Cleanup(func() { close(done); <-stopped })
	go func() {
		defer close(stopped)
		tick := time.NewTicker(time.Second / 30)
		defer tick.Stop()
		for i := range last {
			for k, st := range streams {
				if i >= len(frames[k]) {
					continue
				}
				for _, pkt := range frames[k][i] {
					if mark != nil {
						mark(pkt, k)
					}
					st.track.WriteRTP(pkt)
				}
			}
			select {
			case <-tick.C:
			case <-done:
				return
			}
		}
	}()
}

// TestSimulcastSenderIsShown: a participant sending simulcast streams of
// its camera (rids, no SSRCs in the offer, as browsers do) has its video
// decoded: pion took none of its streams while the server had not
// registered the header extensions that name them. Also when only the
// second stream listed sends (a browser keeps its top stream off at a
// low bitrate): the server read RTCP from the first, which pion had not
// set up, and panicked. And when the stream decoded stops while another
// goes on (a browser turning its upper streams off): the other takes its
// place.
func TestSimulcastSenderIsShown(t *testing.T) {
	for _, tc := range []struct {
		name    string
		sending []int // the streams, of q and h, that send
	}{{"both send", []int{0, 1}}, {"only the second sends", []int{1}}, {"the first stops, the second goes on", nil}} {
		t.Run(tc.name, func(t *testing.T) {
			m := testManager(t)
			me := clientEngine(t, videoCodecs[0])
			if err := webrtc.ConfigureSimulcastExtensionHeaders(me); err != nil {
				t.Fatal(err)
			}
			pc := testPeer(t, me, nil)
			rids := []string{"q", "h"}
			var tracks []*webrtc.TrackLocalStaticRTP
			for _, rid := range rids {
				tr, err := webrtc.NewTrackLocalStaticRTP(videoCodecs[0].RTPCodecCapability, "video", "client", webrtc.WithRTPStreamID(rid))
				if err != nil {
					t.Fatal(err)
				}
				tracks = append(tracks, tr)
			}
			sender, err := pc.AddTrack(tracks[0])
			if err != nil {
				t.Fatal(err)
			}
			if err := sender.AddEncoding(tracks[1]); err != nil {
				t.Fatal(err)
			}
			r := joinConnected(t, m, Participant, pc)
			if sdp := pc.LocalDescription().SDP; !strings.Contains(sdp, "a=simulcast:send") {
				t.Fatalf("the offer has no simulcast:\n%s", sdp)
			}
			// Each packet says its stream, as a browser's do (pion's
			// sender leaves that to its user).
			var midID, ridID uint8
			for _, e := range sender.GetParameters().HeaderExtensions {
				switch e.URI {
				case sdp.SDESMidURI:
					midID = uint8(e.ID)
				case sdp.SDESRTPStreamIDURI:
					ridID = uint8(e.ID)
				}
			}
			if midID == 0 || ridID == 0 {
				t.Fatalf("header extensions %+v: the stream's are not negotiated", sender.GetParameters().HeaderExtensions)
			}
			var mid string
			for _, tr := range pc.GetTransceivers() {
				if tr.Sender() == sender {
					mid = tr.Mid()
				}
			}
			if tc.sending == nil {
				// q (at 322x180) sends alone for two seconds (two
				// keyframes) and stops; h (640x360) starts then: the tile
				// goes on with h, from its next keyframe (one a second),
				// where it used to freeze on q.
				sendStreams(t, func(p *rtp.Packet, k int) {
					p.SetExtension(midID, []byte(mid))
					p.SetExtension(ridID, []byte(rids[k]))
				}, stream{tracks[0], "p10.ivf", 0, 60}, stream{tracks[1], "p01.ivf", 60, 150})
				videoShown(t, r, 322)
				videoShown(t, r, 640)
				return
			}
			var sending []*webrtc.TrackLocalStaticRTP
			for _, k := range tc.sending {
				sending = append(sending, tracks[k])
			}
			sendClip(t, func(p *rtp.Packet, k int) {
				p.SetExtension(midID, []byte(mid))
				p.SetExtension(ridID, []byte(rids[tc.sending[k]]))
			}, sending...)
			videoShown(t, r, 640)
			time.Sleep(200 * time.Millisecond) // the RTCP readers at work
		})
	}
}

// TestBundleOnlyVideoIsShown: a video section marked bundle-only (port 0,
// RFC 8843: Firefox with max-bundle marks every section after the first)
// is the participant's picture: it was passed over as rejected, its
// track drained.
func TestBundleOnlyVideoIsShown(t *testing.T) {
	m := testManager(t)
	pc := testPeer(t, clientEngine(t, videoCodecs[0]), nil)
	track, err := webrtc.NewTrackLocalStaticRTP(videoCodecs[0].RTPCodecCapability, "video", "client")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pc.AddTrack(track); err != nil {
		t.Fatal(err)
	}
	offer := gatheredOffer(t, pc)
	i := strings.Index(offer, "m=video ")
	if i < 0 {
		t.Fatal("no video section")
	}
	end := i + strings.Index(offer[i:], "\r\n")
	fields := strings.Fields(offer[i:end])
	fields[1] = "0"
	offer = offer[:i] + strings.Join(fields, " ") + "\r\na=bundle-only" + offer[end:]
	connected := make(chan struct{})
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		if st == webrtc.PeerConnectionStateConnected {
			select {
			case <-connected:
			default:
				close(connected)
			}
		}
	})
	_, answer, err := m.Join(t.Context(), "x", "", Participant, offer)
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-connected:
	case <-time.After(10 * time.Second):
		t.Fatal("not connected within 10 s")
	}
	r, err := m.Room("x")
	if err != nil {
		t.Fatal(err)
	}
	sendClip(t, nil, track)
	videoShown(t, r, 640)
}
