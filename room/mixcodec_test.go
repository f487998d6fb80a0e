package room

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"mcu/codec"
)

// TestMixCodec: the mix goes out in VP8 to every offer that can receive
// it, in H.264 only to one that can receive nothing else of the two, in a
// format it can decode; sections the offerer does not receive in do not
// count. An H.264 receiver decodes up to the lowest level of its H.264
// formats.
func TestMixCodec(t *testing.T) {
	const head = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
	video := func(port, dir string, formats ...string) string {
		var pts []string
		var attrs string
		for i, f := range formats {
			pt := strconv.Itoa(96 + i)
			name, fmtp, _ := strings.Cut(f, " ")
			pts = append(pts, pt)
			attrs += "a=rtpmap:" + pt + " " + name + "/90000\r\n"
			if fmtp != "" {
				attrs += "a=fmtp:" + pt + " " + fmtp + "\r\n"
			}
		}
		if dir != "" {
			attrs += "a=" + dir + "\r\n"
		}
		return "m=video " + port + " UDP/TLS/RTP/SAVPF " + strings.Join(pts, " ") + "\r\n" + attrs
	}
	const audio = "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n"
	const h264 = "H264 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"
	for _, c := range []struct {
		name, sdp string
		want      codec.VideoCodec
		level     codec.H264Level
	}{
		{"VP8 and H.264", video("9", "", "VP8", h264), codec.VP8, 0},
		{"H.264 first, VP8 too", video("9", "recvonly", h264, "VP8"), codec.VP8, 0},
		{"H.264 only", video("9", "recvonly", h264), codec.H264, 31},
		{"h264 in lower case", video("9", "sendrecv", "h264 packetization-mode=1;profile-level-id=42E01F"), codec.H264, 31},
		{"constrained high", video("9", "", "H264 packetization-mode=1;profile-level-id=640c1f"), codec.H264, 31},
		{"main", video("9", "", "H264 packetization-mode=1;profile-level-id=4d001f"), codec.H264, 31},
		{"packetization mode 0 only", video("9", "", "H264 packetization-mode=0;profile-level-id=42e01f"), codec.VP8, 0},
		{"no packetization mode", video("9", "", "H264 profile-level-id=42e01f"), codec.VP8, 0},
		{"high 4:4:4 only", video("9", "", "H264 packetization-mode=1;profile-level-id=f4001f"), codec.VP8, 0},
		{"a short profile-level-id", video("9", "", "H264 packetization-mode=1;profile-level-id=42e0"), codec.VP8, 0},
		{"VP9 only", video("9", "", "VP9 profile-id=0"), codec.VP8, 0},
		{"levels 3.1, 3.0 and 4.0: the lowest", video("9", "", h264, "H264 packetization-mode=1;profile-level-id=4d001e", "H264 packetization-mode=1;profile-level-id=640028"), codec.H264, 30},
		{"level 1b", video("9", "", "H264 packetization-mode=1;profile-level-id=42f00b"), codec.H264, codec.H264Level1b},
		{"level 3.0 in mode 0 does not count", video("9", "", "H264 packetization-mode=0;profile-level-id=42e01e", h264), codec.H264, 31},
		{"a profile-level-id not hex", video("9", "", "H264 packetization-mode=1;profile-level-id=42e0zz"), codec.VP8, 0},
		{"level_idc 0", video("9", "", "H264 packetization-mode=1;profile-level-id=42e000"), codec.VP8, 0},
		{"H.264 sent only (sendonly): receives no video", video("9", "sendonly", h264), 0, 0},
		{"H.264 inactive", video("9", "inactive", h264), 0, 0},
		{"H.264 rejected (port 0)", video("0", "", h264), 0, 0},
		{"H.264 bundled (port 0, bundle-only)", video("0", "bundle-only", h264), codec.H264, 31},
		{"H.264 sent in one section, received in another in VP8", video("9", "sendonly", h264) + video("9", "recvonly", "VP8"), codec.VP8, 0},
		{"VP8 sent only, H.264 received", video("9", "sendonly", "VP8") + video("9", "recvonly", h264), codec.H264, 31},
		{"audio only", "", 0, 0},
		{"H.264 sent only, said for the session", "a=sendonly\r\n" + video("9", "", h264), 0, 0},
		{"H.264 received, the session sendonly but the section recvonly", "a=sendonly\r\n" + video("9", "recvonly", h264), codec.H264, 31},
	} {
		sdp := c.sdp
		if !strings.HasPrefix(sdp, "a=") { // a session-level attribute goes before the sections
			sdp = audio + sdp
		} else {
			sdp = strings.Replace(sdp, "m=video", audio+"m=video", 1)
		}
		sdp = head + sdp
		if got, level := mixCodec(parsed(t, sdp)); got != c.want || level != c.level {
			t.Errorf("%s: %v, level %v; want %v, level %v\n%s", c.name, got, level, c.want, c.level, sdp)
		}
	}
}

// parsed is an offer's description, as Join reads it once for every
// check.
func parsed(t *testing.T, offer string) *sdp.SessionDescription {
	t.Helper()
	d, err := parseOffer(offer)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestH264MixFormatChosen: the H.264 mix goes out in one of the receiver's
// formats that can carry it. pion binds a track to the first format of its
// MIME type when none has its exact parameters: here that would be the
// packetization mode 0 one, which cannot carry the mix's fragments.
func TestH264MixFormatChosen(t *testing.T) {
	m := testManager(t)
	me := &webrtc.MediaEngine{}
	for _, c := range []webrtc.RTPCodecParameters{
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000, SDPFmtpLine: "packetization-mode=0;profile-level-id=42e01f"}, PayloadType: 97},
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000, SDPFmtpLine: "packetization-mode=1;profile-level-id=42c01f"}, PayloadType: 98},
	} {
		if err := me.RegisterCodec(c, webrtc.RTPCodecTypeVideo); err != nil {
			t.Fatal(err)
		}
	}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, PayloadType: 111}, webrtc.RTPCodecTypeAudio); err != nil {
		t.Fatal(err)
	}
	pc := testPeer(t, me, &interceptor.Registry{})
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		if _, err := pc.AddTransceiverFromKind(kind, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			t.Fatal(err)
		}
	}
	video := make(chan *webrtc.TrackRemote, 1)
	pc.OnTrack(func(track *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		if track.Kind() == webrtc.RTPCodecTypeVideo {
			video <- track
		}
		for {
			if _, _, err := track.ReadRTP(); err != nil {
				return
			}
		}
	})
	r := joinConnected(t, m, Viewer, pc)
	if s := onlySession(t, r); s.mix != codec.H264 {
		t.Fatalf("the viewer receives the mix in %v", s.mix)
	}
	select {
	case track := <-video:
		if c := track.Codec(); c.PayloadType != 98 {
			t.Errorf("the mix comes as payload type %d (%q), want 98, the packetization mode 1 format", c.PayloadType, c.SDPFmtpLine)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no video in 10 s")
	}
}

// TestH264ReceiversCounted: a session counted among the H.264 receivers
// turns the room's H.264 output on, and closing it (a join that failed
// after the count, or a leave) counts it out once, however often it is
// closed; a session closed before it is counted is not counted.
func TestH264ReceiversCounted(t *testing.T) {
	m := testManager(t)
	r, err := m.reserve("count", Viewer, false)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		r.mu.Lock()
		r.unreserve(Viewer)
		r.mu.Unlock()
		m.joins.Done()
		m.closeIfEmpty(r)
	}()
	users := func() int {
		n, _ := r.h264Users()
		return n
	}
	a, b := &Session{ID: "a", room: r, mix: codec.H264}, &Session{ID: "b", room: r, mix: codec.H264}
	a.receiveH264()
	b.receiveH264()
	if n := users(); n != 2 || m.H264Receivers() != 2 || r.Info().Mixer.H264Receivers != 2 {
		t.Fatalf("%d H.264 receivers counted (manager %d), want 2", n, m.H264Receivers())
	}
	a.markClosed()
	a.markClosed()
	if n := users(); n != 1 {
		t.Errorf("%d H.264 receivers after one closed twice, want 1", n)
	}
	b.markClosed()
	late := &Session{ID: "c", room: r, mix: codec.H264}
	late.markClosed()
	late.receiveH264()
	if n := users(); n != 0 {
		t.Errorf("%d H.264 receivers after both closed and one closed before it counted, want 0", n)
	}
}

// TestH264ReceiversLevel: the room encodes H.264 for the lowest level its
// receivers decode, and says so with the size it sends; as they leave,
// the next lowest, then no level (a receiver that said none).
func TestH264ReceiversLevel(t *testing.T) {
	m := testManager(t)
	r, err := m.reserve("levels", Viewer, false)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		r.mu.Lock()
		r.unreserve(Viewer)
		r.mu.Unlock()
		m.joins.Done()
		m.closeIfEmpty(r)
	}()
	l13 := &Session{ID: "a", room: r, mix: codec.H264, h264Lvl: 13}
	l12 := &Session{ID: "b", room: r, mix: codec.H264, h264Lvl: 12}
	none := &Session{ID: "c", room: r, mix: codec.H264}
	for _, s := range []*Session{l13, l12, none} {
		s.receiveH264()
	}
	info := r.Info().Mixer
	size := func(l codec.H264Level) string {
		w, h := l.Fit(info.Width, info.Height, info.FPS)
		return fmt.Sprintf("%dx%d", w, h)
	}
	canvas := fmt.Sprintf("%dx%d", info.Width, info.Height)
	if size(12) == canvas || size(13) != canvas {
		t.Fatalf("levels 1.2 and 1.3 take the test's %s canvas as %s and %s: the test proves nothing", canvas, size(12), size(13))
	}
	check := func(when string, n int, level, sz string) {
		t.Helper()
		info := r.Info().Mixer
		if info.H264Receivers != n || info.H264Level != level || info.H264Size != sz {
			t.Errorf("%s: %d receivers, level %q, size %q; want %d, %q, %q", when, info.H264Receivers, info.H264Level, info.H264Size, n, level, sz)
		}
	}
	check("levels 1.3, 1.2 and none", 3, "1.2", size(12))
	l12.markClosed()
	check("1.2 gone", 2, "1.3", canvas)
	l13.markClosed()
	check("1.3 gone", 1, "", canvas)
	none.markClosed()
	check("all gone", 0, "", "")
}

// TestCheckReceivable: an offer whose receiving video sections all take
// neither VP8 nor H.264 in packetization mode 1, or whose receiving audio
// sections all lack Opus, is refused before any room opens; sections it
// only sends in do not count, and one section able to take the mix is
// enough.
func TestCheckReceivable(t *testing.T) {
	const head = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
	section := func(media, dir string, formats ...string) string {
		s := "m=" + media + " 9 UDP/TLS/RTP/SAVPF"
		var attrs string
		for i, f := range formats {
			pt := strconv.Itoa(96 + i)
			name, fmtp, _ := strings.Cut(f, " ")
			s += " " + pt
			attrs += "a=rtpmap:" + pt + " " + name + "\r\n"
			if fmtp != "" {
				attrs += "a=fmtp:" + pt + " " + fmtp + "\r\n"
			}
		}
		return s + "\r\n" + attrs + "a=" + dir + "\r\n"
	}
	opus := section("audio", "sendrecv", "opus/48000/2")
	for _, c := range []struct {
		name string
		sdp  string
		ok   bool
		why  string // in the error, when refused
	}{
		{"VP8 and Opus", opus + section("video", "sendrecv", "VP8/90000"), true, ""},
		{"H.264 mode 1 only", opus + section("video", "recvonly", "H264/90000 packetization-mode=1;profile-level-id=42e01f"), true, ""},
		{"VP9 only, received", opus + section("video", "recvonly", "VP9/90000"), false, ""},
		{"H.264 mode 0 only, received", opus + section("video", "recvonly", "H264/90000 packetization-mode=0;profile-level-id=42e01f"), false, "packetization-mode=1"},
		{"H.264 without profile-level-id", opus + section("video", "recvonly", "H264/90000 packetization-mode=1"), false, "no profile-level-id"},
		{"H.264 of an unreadable profile-level-id", opus + section("video", "recvonly", "H264/90000 packetization-mode=1;profile-level-id=42e0"), false, `cannot read ("42e0")`},
		{"H.264 high 4:4:4", opus + section("video", "recvonly", "H264/90000 packetization-mode=1;profile-level-id=f4001f"), false, "profile-level-id f4001f"},
		{"VP9 only, sent", opus + section("video", "sendonly", "VP9/90000"), true, ""},
		{"VP9 on one section, VP8 on another", opus + section("video", "sendrecv", "VP9/90000") + section("video", "recvonly", "VP8/90000"), true, ""},
		{"audio without Opus, received", section("audio", "recvonly", "PCMU/8000") + section("video", "recvonly", "VP8/90000"), false, ""},
		{"audio without Opus, sent", section("audio", "sendonly", "PCMU/8000") + section("video", "recvonly", "VP8/90000"), true, ""},
		{"nothing received", section("audio", "sendonly", "opus/48000/2") + section("video", "sendonly", "VP9/90000"), true, ""},
	} {
		err := checkReceivable(parsed(t, head+c.sdp))
		if (err == nil) != c.ok || err != nil && (!errors.Is(err, ErrBadOffer) || !strings.Contains(err.Error(), c.why)) {
			t.Errorf("%s: %v, want ok %v (saying %q)", c.name, err, c.ok, c.why)
		}
	}
}
