package room

import (
	"path/filepath"
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
	videoShownWithin(t, r, w, 5*time.Second)
}

// videoShownWithin is videoShown waiting up to d.
func videoShownWithin(t *testing.T, r *Room, w int, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
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

// joinSendingClip adds a VP8 track to pc, joins it to m as a participant
// and sends the clip on the track (sendClip); it returns the room.
func joinSendingClip(t *testing.T, m *Manager, pc *webrtc.PeerConnection) *Room {
	t.Helper()
	track, _ := rtpTrack(t, pc, videoCodecs[0].RTPCodecCapability, "video", "client")
	r := joinConnected(t, m, Participant, pc)
	sendClip(t, nil, track)
	return r
}

// stream is frames from to to of a testdata clip (its first 90 frames,
// over and over), sent on a track.
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
		clip := clipFrames(t, st.clip, min(st.to-st.from, 90))
		p := rtp.NewPacketizer(1200, 96, 0, &codecs.VP8Payloader{}, rtp.NewRandomSequencer(), 90000)
		frames[k] = make([][]*rtp.Packet, st.to)
		for i := st.from; i < st.to; i++ {
			// From a keyframe: the clip's first frame opens each stream.
			frames[k][i] = p.Packetize(clip[(i-st.from)%len(clip)], 3000)
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
			if tc.sending == nil {
				// q (at 322x180) sends alone for two seconds (two
				// keyframes) and stops; h (640x360) starts then: the tile
				// goes on with h, from its next keyframe (one a second),
				// where it used to freeze on q. On a 320x180 canvas q
				// fits best: h takes the place because q is silent.
				r, tracks, mark := simulcastJoin(t, testManager(t))
				sendStreams(t, mark, stream{tracks[0], "p10.ivf", 0, 60}, stream{tracks[1], "p01.ivf", 60, 150})
				videoShown(t, r, 322)
				videoShown(t, r, 640)
				return
			}
			// A canvas the larger stream does not cover, so that it is
			// the one that fits best once both send.
			cfg := DefaultConfig()
			cfg.Mixer.Video.Width, cfg.Mixer.Video.Height = 960, 540
			r, tracks, mark := simulcastJoin(t, testManagerWith(t, cfg))
			var sending []*webrtc.TrackLocalStaticRTP
			for _, k := range tc.sending {
				sending = append(sending, tracks[k])
			}
			sendClip(t, func(p *rtp.Packet, k int) { mark(p, tc.sending[k]) }, sending...)
			videoShown(t, r, 640)
			time.Sleep(200 * time.Millisecond) // the RTCP readers at work
		})
	}
}

// TestSimulcastStreamFitsTheTile: of a simulcast sender's streams, the one
// decoded is the smallest that covers its tile, or the largest if none
// does, whichever sent first: at 320x180 (one person on a canvas of that
// size) the 322x180 stream takes the place from the 640x360 one; at
// 960x540 the 640x360 one takes it from the 322x180 one. The switch
// comes at a keyframe of the stream that fits, once it has sent for
// fitSteady, and stays.
func TestSimulcastStreamFitsTheTile(t *testing.T) {
	for _, tc := range []struct {
		name          string
		w, h          int
		first, second stream // by index into q, h: the track is set below
		firstW, bestW int
	}{
		{"small tile", 320, 180, stream{nil, "p01.ivf", 0, 360}, stream{nil, "p10.ivf", 45, 360}, 640, 322},
		{"large tile", 960, 540, stream{nil, "p10.ivf", 0, 360}, stream{nil, "p01.ivf", 45, 360}, 322, 640},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Mixer.Video.Width, cfg.Mixer.Video.Height = tc.w, tc.h
			r, tracks, mark := simulcastJoin(t, testManagerWith(t, cfg))
			tc.first.track, tc.second.track = tracks[0], tracks[1]
			sendStreams(t, mark, tc.first, tc.second)
			videoShown(t, r, tc.firstW)
			// At the second stream's keyframe after fitSteady: 3.5 s
			// after the start, later on a machine that sends late.
			videoShownWithin(t, r, tc.bestW, 10*time.Second)
			time.Sleep(time.Second)
			videoShown(t, r, tc.bestW) // still
		})
	}
}

// simulcastJoin joins m with a participant whose video is two simulcast
// streams, q and h (rids, no SSRCs in the offer, as browsers do), and
// returns its room, the streams' tracks and what marks a packet as
// stream k's (the mid and rid header extensions, as a browser's packets
// carry: pion's sender leaves that to its user).
func simulcastJoin(t *testing.T, m *Manager) (*Room, []*webrtc.TrackLocalStaticRTP, func(p *rtp.Packet, k int)) {
	t.Helper()
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
	sender := addTrack(t, pc, tracks[0])
	if err := sender.AddEncoding(tracks[1]); err != nil {
		t.Fatal(err)
	}
	r := joinConnected(t, m, Participant, pc)
	if sdp := pc.LocalDescription().SDP; !strings.Contains(sdp, "a=simulcast:send") {
		t.Fatalf("the offer has no simulcast:\n%s", sdp)
	}
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
	return r, tracks, func(p *rtp.Packet, k int) {
		p.SetExtension(midID, []byte(mid))
		p.SetExtension(ridID, []byte(rids[k]))
	}
}

// TestBundleOnlyVideoIsShown: a video section marked bundle-only (port 0,
// RFC 8843: Firefox with max-bundle marks every section after the first)
// is the participant's picture: it was passed over as rejected, its
// track drained.
func TestBundleOnlyVideoIsShown(t *testing.T) {
	m := testManager(t)
	pc := testPeer(t, clientEngine(t, videoCodecs[0]), nil)
	track, _ := rtpTrack(t, pc, videoCodecs[0].RTPCodecCapability, "video", "client")
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

// TestSimulcastSizesBest: the smallest stream that covers the tile, else
// the largest; a stream silent for over simulcastSilence, or whose size is
// unknown, is not chosen; of two as good, the one decoded stays.
func TestSimulcastSizesBest(t *testing.T) {
	now := time.Now()
	q, h, f, u, old := &webrtc.TrackRemote{}, &webrtc.TrackRemote{}, &webrtc.TrackRemote{}, &webrtc.TrackRemote{}, &webrtc.TrackRemote{}
	var z simulcastSizes
	z.seen(q, now, 320*180)
	z.seen(h, now, 640*360)
	z.seen(f, now, 1280*720)
	z.seen(u, now, 0)
	z.seen(old, now.Add(-2*simulcastSilence), 426*240)
	for _, c := range []struct {
		name string
		tile int
		keep *webrtc.TrackRemote
		want *webrtc.TrackRemote
	}{
		{"a tile the smallest covers", 320 * 180, nil, q},
		{"a 3x3 grid's tile", 426 * 240, nil, h},
		{"a tile only the largest covers", 960 * 540, nil, f},
		{"a tile none covers", 1920 * 1080, nil, f},
	} {
		if got := z.best(c.tile, now, c.keep); got != c.want {
			t.Errorf("%s: %p, want %p", c.name, got, c.want)
		}
	}
	twin := &webrtc.TrackRemote{}
	z.seen(twin, now, 640*360)
	for _, keep := range []*webrtc.TrackRemote{h, twin} {
		if got := z.best(426*240, now, keep); got != keep {
			t.Errorf("of two streams as good, the one decoded does not stay")
		}
	}
	z.markUnfit(h, now)
	if got := z.best(426*240, now, nil); got != f && got != twin || !z.gone(h, now) { // h just sent: gone for being left out
		t.Errorf("with h's keyframes not decoding: %p, want another that covers", got)
	}
	later := now.Add(unfitFor + time.Second)
	z.seen(h, later, 640*360)
	z.seen(twin, later, 0)
	if got := z.best(426*240, later, twin); got != twin && got != h || z.gone(h, later) {
		t.Errorf("after unfitFor, h is still left out")
	}
	z.markUnfit(h, now)
	z.seen(h, now, 576*324) // another size: tried again
	if got := z.best(640*360, now, h); got != h {
		t.Errorf("a stream of 81 %% of the tile's area does not cover it")
	}
	huge := &webrtc.TrackRemote{}
	z.seen(huge, now, 5120*2880)
	if got := z.best(1920*1080, now, nil); got != f {
		t.Errorf("a stream larger than the decoders take is chosen")
	}
	var none simulcastSizes
	none.seen(u, now, 0)
	if got := none.best(100, now, nil); got != nil {
		t.Errorf("no size known: %p, want none", got)
	}
}

// TestKeyframeSize: a VP8 or VP9 keyframe's first packet says its size;
// their other packets and a delta frame's do not; a VP9 scalability
// structure's sizes go before the frame header's; an H.264 packet with an
// SPS says its coded size.
func TestKeyframeSize(t *testing.T) {
	frames := clipFrames(t, "p01.ivf", 2)
	p := rtp.NewPacketizer(1200, 96, 0, &codecs.VP8Payloader{EnablePictureID: true}, rtp.NewRandomSequencer(), 90000)
	key := p.Packetize(frames[0], 3000)
	delta := p.Packetize(frames[1], 3000)
	marshal := func(pkt *rtp.Packet) []byte {
		b, err := pkt.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if px, ok := keyframeSize(webrtc.MimeTypeVP8, marshal(key[0])); !ok || px != 640*360 {
		t.Errorf("a VP8 keyframe's first packet: %d pixels, %v; want 640x360", px, ok)
	}
	if len(key) < 2 {
		t.Fatal("the keyframe fits one packet")
	}
	if _, ok := keyframeSize(webrtc.MimeTypeVP8, marshal(key[1])); ok {
		t.Error("a VP8 keyframe's second packet says a size")
	}
	if _, ok := keyframeSize(webrtc.MimeTypeVP8, marshal(delta[0])); ok {
		t.Error("a VP8 delta frame says a size")
	}
	vp9 := clipFrames(t, "p12.vp9.ivf", 2)
	for _, flexible := range []bool{true, false} { // the size in the frame header only, and also in the SS
		vp := rtp.NewPacketizer(1200, 98, 0, &codecs.VP9Payloader{FlexibleMode: flexible}, rtp.NewRandomSequencer(), 90000)
		key, delta := vp.Packetize(vp9[0], 3000), vp.Packetize(vp9[1], 3000)
		if px, ok := keyframeSize(webrtc.MimeTypeVP9, marshal(key[0])); !ok || px != 640*360 {
			t.Errorf("a VP9 keyframe's first packet (flexible %v): %d pixels, %v; want 640x360", flexible, px, ok)
		}
		if len(key) < 2 {
			t.Fatal("the VP9 keyframe fits one packet")
		}
		if _, ok := keyframeSize(webrtc.MimeTypeVP9, marshal(key[1])); ok {
			t.Errorf("a VP9 keyframe's second packet (flexible %v) says a size", flexible)
		}
		if _, ok := keyframeSize(webrtc.MimeTypeVP9, marshal(delta[0])); ok {
			t.Errorf("a VP9 delta frame (flexible %v) says a size", flexible)
		}
		if !flexible {
			// The SS (after the descriptor's 3 bytes and its own first)
			// made to say 320x180: that is the size told.
			ss := key[0]
			if ss.Payload[0]&0x02 == 0 {
				t.Fatal("no scalability structure in the non-flexible keyframe")
			}
			ss.Payload[4], ss.Payload[5], ss.Payload[6], ss.Payload[7] = 320>>8, 320&0xff, 0, 180
			if px, ok := keyframeSize(webrtc.MimeTypeVP9, marshal(ss)); !ok || px != 320*180 {
				t.Errorf("a VP9 keyframe whose SS says 320x180: %d pixels, %v", px, ok)
			}
		}
	}
	av1 := clipFrames(t, "p12.av1.ivf", 2)
	ap := rtp.NewPacketizer(1200, 100, 0, &codecs.AV1Payloader{}, rtp.NewRandomSequencer(), 90000)
	akey, adelta := ap.Packetize(av1[0], 3000), ap.Packetize(av1[1], 3000)
	if px, ok := keyframeSize(webrtc.MimeTypeAV1, marshal(akey[0])); !ok || px != 640*360 {
		t.Errorf("an AV1 keyframe's first packet: %d pixels, %v; want 640x360", px, ok)
	}
	for i, pkt := range append(akey[1:], adelta...) {
		if px, ok := keyframeSize(webrtc.MimeTypeAV1, marshal(pkt)); ok || px != 0 {
			t.Errorf("AV1 packet %d after the keyframe's first: %d pixels, keyframe %v", i+1, px, ok)
		}
	}
	h264 := encodedFrames(t, filepath.Join(t.TempDir(), "x.h264"), "testsrc=s=160x90:r=30:d=0.1", "-pix_fmt", "yuv420p", "-c:v", "libx264")[0]
	hp := rtp.NewPacketizer(1200, 102, 0, &codecs.H264Payloader{}, rtp.NewRandomSequencer(), 90000)
	if px, ok := keyframeSize(webrtc.MimeTypeH264, marshal(hp.Packetize(h264, 3000)[0])); !ok || px != 160*96 {
		t.Errorf("an H.264 keyframe's first packet: %d pixels, %v; want 160x96 (coded)", px, ok)
	}
}

// TestSimulcastFitsBetter: a stream that fits the tile better takes the
// place only once it and the tile have been as they are for fitSteady, its
// keyframe asked for at most every fitAskEvery; a stream may take the
// place of a silent one only if none that sends fits better.
func TestSimulcastFitsBetter(t *testing.T) {
	t0 := time.Now()
	q, h := &webrtc.TrackRemote{}, &webrtc.TrackRemote{}
	var z simulcastSizes
	tile := 426 * 240
	send := func(at time.Duration) {
		z.seen(q, t0.Add(at), 320*180)
		z.seen(h, t0.Add(at), 640*360)
	}
	for _, c := range []struct {
		at        time.Duration
		tile      int
		fits, ask bool
	}{
		{0, tile, false, false},                                     // just begun
		{fitSteady - 100*time.Millisecond, tile, false, false},      // not yet steady
		{fitSteady + 100*time.Millisecond, tile, true, true},        // steady: its keyframe is asked for
		{fitSteady + 500*time.Millisecond, tile, true, false},       // asked a moment ago
		{fitSteady + 600*time.Millisecond, 640 * 360, false, false}, // the tile changed
		{2*fitSteady + 700*time.Millisecond, 640 * 360, true, true},
	} {
		for at := time.Duration(0); at <= c.at; at += 100 * time.Millisecond {
			send(at)
		}
		fits, ask := z.fitsBetter(h, q, c.tile, t0.Add(c.at))
		if fits != c.fits || ask != c.ask {
			t.Errorf("at %v, tile %d: fits %v, ask %v; want %v, %v", c.at, c.tile, fits, ask, c.fits, c.ask)
		}
	}
	if z.mayTake(q, tile, true, t0.Add(5*time.Second)) {
		t.Error("q may take a silent stream's place while h, which fits better, sends")
	}
	if !z.mayTake(h, tile, true, t0.Add(5*time.Second)) {
		t.Error("h, which fits best, may not take a silent stream's place")
	}
}

// FuzzKeyframeSize: whatever a packet holds, reading it never panics, and
// a size is told only of a keyframe.
func FuzzKeyframeSize(f *testing.F) {
	mimes := []string{webrtc.MimeTypeVP8, webrtc.MimeTypeVP9, webrtc.MimeTypeH264, webrtc.MimeTypeAV1}
	for i := range mimes {
		f.Add(byte(i), []byte{0x88, 0x80, 0x01, 0x82, 0x49, 0x83, 0x42, 0x00, 0x27, 0xf0, 0x16, 0x70})
		f.Add(byte(i), []byte{0x8b, 0x80, 0x00, 0x18, 0x02, 0x80, 0x01, 0x68, 0x01, 0x04, 0x01, 0x82, 0x49, 0x83, 0x42})
	}
	f.Add(byte(2), []byte{0x67, 0x42, 0xc0, 0x1e, 0xd9})
	f.Fuzz(func(t *testing.T, which byte, payload []byte) {
		pkt := append([]byte{0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1}, payload...)
		if pixels, key := keyframeSize(mimes[int(which)%len(mimes)], pkt); pixels < 0 || pixels > 0 && !key {
			t.Fatalf("%d pixels, keyframe %v", pixels, key)
		}
	})
}

// TestSimulcastFitsBetterAfterAPause: a stream that fits the tile better
// and was steady, then turned off by the browser for longer than
// simulcastSilence (its bandwidth fell) and back on, waits fitSteady again
// from its return before it takes the place: a browser turns its top
// stream off and on with its bandwidth, and every switch costs a keyframe.
// A gap shorter than simulcastSilence is no pause.
func TestSimulcastFitsBetterAfterAPause(t *testing.T) {
	t0 := time.Now()
	q, h := &webrtc.TrackRemote{}, &webrtc.TrackRemote{}
	var z simulcastSizes
	tile := 426 * 240 // h covers it, q does not
	const step = 100 * time.Millisecond
	sizes := map[*webrtc.TrackRemote]int{q: 320 * 180, h: 640 * 360}
	send := func(from, to time.Duration, tracks ...*webrtc.TrackRemote) {
		for at := from; at <= to; at += step {
			for _, tr := range tracks {
				z.seen(tr, t0.Add(at), sizes[tr])
			}
		}
	}
	fits := func(at time.Duration) bool {
		f, _ := z.fitsBetter(h, q, tile, t0.Add(at))
		return f
	}
	fits(0) // the tile's size from the start
	send(0, 3*time.Second, q, h)
	if !fits(3 * time.Second) {
		t.Fatal("h, steady for 3 s, does not fit better: the test shows nothing")
	}
	// A gap of half simulcastSilence: still steady.
	send(3*time.Second+step, 3*time.Second+simulcastSilence/2, q)
	back := 3*time.Second + simulcastSilence/2 + step
	send(back, back, q, h)
	if !fits(back) {
		t.Errorf("after a gap of %v, shorter than simulcastSilence, h no longer fits better", simulcastSilence/2)
	}
	// A pause of 1.5 simulcastSilence: h starts over.
	send(back+step, back+3*simulcastSilence/2, q)
	back += 3*simulcastSilence/2 + step
	send(back, back, q, h)
	if fits(back) {
		t.Errorf("h takes the place as it comes back from a pause of %v, want it steady for %v first", 3*simulcastSilence/2, fitSteady)
	}
	send(back+step, back+fitSteady-step, q, h)
	if fits(back + fitSteady - step) {
		t.Errorf("h takes the place %v after it came back, before fitSteady", fitSteady-step)
	}
	send(back+fitSteady, back+fitSteady, q, h)
	if !fits(back + fitSteady) {
		t.Errorf("h, steady again for fitSteady since it came back, does not take the place")
	}
}
