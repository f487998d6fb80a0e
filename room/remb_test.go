package room

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	"mcu/layout"
)

// TestTileBitrate: the ceiling is the tile's share of the mix's bitrate,
// times rembHeadroom, within [minREMB, maxREMB].
func TestTileBitrate(t *testing.T) {
	canvas := layout.Size{W: 1280, H: 720}
	for _, c := range []struct {
		name    string
		tile    layout.Size
		bitrate int
		want    int
	}{
		{"alone", canvas, 1_500_000, maxREMB},
		{"alone, a low bitrate", canvas, 500_000, 1_500_000},
		{"one of four", layout.Size{W: 640, H: 360}, 1_500_000, 1_125_000},
		{"one of nine", layout.Size{W: 426, H: 240}, 1_500_000, 499_218},
		{"one of 25", layout.Size{W: 256, H: 144}, 1_500_000, 180_000},
		{"a strip tile at a low bitrate", layout.Size{W: 160, H: 90}, 500_000, minREMB},
		{"an empty tile", layout.Size{}, 1_500_000, minREMB},
	} {
		if got := tileBitrate(c.tile, canvas, c.bitrate); got != c.want {
			t.Errorf("%s: %d bit/s, want %d", c.name, got, c.want)
		}
	}
}

// TestShownSize: a picture that fits its cell covers less of it than one
// that fills it; an unknown source counts as the whole cell.
func TestShownSize(t *testing.T) {
	cell := layout.Size{W: 640, H: 720} // one of two side by side in 1280x720
	for _, c := range []struct {
		name   string
		src    layout.Size
		aspect layout.Aspect
		want   layout.Size
	}{
		{"16:9 fit", layout.Size{W: 640, H: 360}, layout.Fit, layout.Size{W: 640, H: 360}},
		{"16:9 fill", layout.Size{W: 640, H: 360}, layout.Fill, cell},
		{"4:3 fit", layout.Size{W: 640, H: 480}, layout.Fit, layout.Size{W: 640, H: 480}},
		{"unknown", layout.Size{}, layout.Fit, cell},
	} {
		if got := shownSize(cell, c.src, c.aspect); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// TestREMBLive: a pion client joins, offering goog-remb and transport-cc,
// and sends VP8; the server answers with both and, once the participant has a tile,
// sends them a REMB for their video's SSRC with the ceiling for that tile
// (here alone: the whole canvas, three times the mix's 300 kbit/s). When
// the mix's bitrate falls (a receiver can take less), the ceiling follows.
func TestREMBLive(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Mixer.Video.Bitrate = 300_000
	m := testManagerWith(t, cfg)
	vp8 := videoCodecs[0]
	vp8.RTCPFeedback = []webrtc.RTCPFeedback{{Type: "goog-remb"}, {Type: webrtc.TypeRTCPFBTransportCC}}
	me := clientEngine(t, vp8)
	if err := me.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: sdp.TransportCCURI}, webrtc.RTPCodecTypeVideo); err != nil {
		t.Fatal(err)
	}
	pc := testPeer(t, me, nil)
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	track, sender := sampleTrack(t, pc, vp8.RTPCodecCapability, "video", "client")
	ssrc := uint32(sender.GetParameters().Encodings[0].SSRC)
	rembs := rtcpOf[*rtcp.ReceiverEstimatedMaximumBitrate](sender)
	r, answer := joinRoom(t, m, Participant, pc)
	for _, want := range []string{"goog-remb", "transport-cc", "transport-wide-cc"} {
		if !strings.Contains(answer, want) {
			t.Errorf("the answer does not offer %s", want)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	frames := clipFrames(t, "p01.ivf", 60)
	tick := time.NewTicker(time.Second / 30)
	defer tick.Stop()
	// The tile's worth, and the headers of a sender of no sound.
	want := float32(900_000 + rembHeaders)
	for i := 0; ; i++ {
		select {
		case remb := <-rembs:
			if len(remb.SSRCs) != 1 || remb.SSRCs[0] != ssrc {
				t.Fatalf("REMB for %v, want %d", remb.SSRCs, ssrc)
			}
			switch {
			case remb.Bitrate == want && want == 600_000+rembHeaders:
				return
			case remb.Bitrate == want:
				if err := r.mixer.SetBitrate(200_000); err != nil {
					t.Fatal(err)
				}
				want = 600_000 + rembHeaders
			case remb.Bitrate != 900_000+rembHeaders: // one may have left before the change
				t.Fatalf("REMB at %.0f bit/s, want %.0f", remb.Bitrate, want)
			}
		case <-ctx.Done():
			t.Fatalf("no REMB at %.0f bit/s within 10 s", want)
		case <-tick.C:
			if err := track.WriteSample(media.Sample{Data: frames[i%len(frames)], Duration: time.Second / 30}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestREMBLiveCountsSound: a participant who sends sound as well as video
// is given rembSound more than one who sends none (TestREMBLive), since a
// browser takes the REMB as the ceiling of all it sends, its Opus included.
func TestREMBLiveCountsSound(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Mixer.Video.Bitrate = 300_000
	m := testManagerWith(t, cfg)
	vp8 := videoCodecs[0]
	vp8.RTCPFeedback = []webrtc.RTCPFeedback{{Type: "goog-remb"}}
	pc := testPeer(t, clientEngine(t, vp8), nil)
	audio, _ := rtpTrack(t, pc, audioCodec.RTPCodecCapability, "audio", "client")
	video, sender := sampleTrack(t, pc, vp8.RTPCodecCapability, "video", "client")
	rembs := rtcpOf[*rtcp.ReceiverEstimatedMaximumBitrate](sender)
	joinRoom(t, m, Participant, pc)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	frames := clipFrames(t, "p01.ivf", 60)
	sound := voicedOpus(t, 50)
	videoTick, audioTick := time.NewTicker(time.Second/30), time.NewTicker(20*time.Millisecond)
	defer videoTick.Stop()
	defer audioTick.Stop()
	// Alone: the whole canvas's worth, three times the mix's 300 kbit/s,
	// the headers, and the sound once it is read (before, a REMB may come
	// without it).
	want, before := float32(900_000+rembHeaders+rembSound), float32(900_000+rembHeaders)
	var last float32
	for i, j := 0, 0; ; {
		select {
		case remb := <-rembs:
			switch got := remb.Bitrate; got {
			case want:
				return
			case before:
				last = got
			default:
				t.Fatalf("REMB at %.0f bit/s, want %.0f", got, want)
			}
		case <-ctx.Done():
			t.Fatalf("no REMB at %.0f bit/s within 10 s (the last at %.0f)", want, last)
		case <-videoTick.C:
			if err := video.WriteSample(media.Sample{Data: frames[i%len(frames)], Duration: time.Second / 30}); err != nil {
				t.Fatal(err)
			}
			i++
		case <-audioTick.C:
			pkt := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: uint16(j), Timestamp: uint32(960 * j)}, Payload: sound[j%len(sound)]}
			if err := audio.WriteRTP(pkt); err != nil {
				t.Fatal(err)
			}
			j++
		}
	}
}

// TestREMBLiveOncePerInterval: a participant sending video is told its
// ceiling about once every rembInterval (1 s), not with every packet read:
// over the 3 s from the first REMB, at most 4 come.
func TestREMBLiveOncePerInterval(t *testing.T) {
	m := testManager(t)
	vp8 := videoCodecs[0]
	vp8.RTCPFeedback = []webrtc.RTCPFeedback{{Type: "goog-remb"}}
	pc := testPeer(t, clientEngine(t, vp8), nil)
	track, sender := sampleTrack(t, pc, vp8.RTPCodecCapability, "video", "client")
	rembs := rtcpOf[*rtcp.ReceiverEstimatedMaximumBitrate](sender)
	joinRoom(t, m, Participant, pc)
	frames := clipFrames(t, "p01.ivf", 60)
	tick := time.NewTicker(time.Second / 30)
	defer tick.Stop()
	deadline := time.After(10 * time.Second) // for the first REMB
	var window <-chan time.Time              // the 3 s from the first REMB
	n := 0
	for i := 0; ; {
		select {
		case <-rembs:
			if n++; n == 1 {
				window, deadline = time.After(3*time.Second), nil
			}
		case <-deadline:
			t.Fatal("no REMB within 10 s")
		case <-window:
			if n > 4 {
				t.Errorf("%d REMBs over 3 s, want at most 4: one a second", n)
			}
			return
		case <-tick.C:
			if err := track.WriteSample(media.Sample{Data: frames[i%len(frames)], Duration: time.Second / 30}); err != nil {
				t.Fatal(err)
			}
			i++
		}
	}
}
