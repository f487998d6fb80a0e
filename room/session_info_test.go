package room

import (
	"image"
	"testing"
	"time"

	"mcu/codec"
	"mcu/mixer"
)

// participantInfo waits up to 5 s for room r's only participant to be
// described as ok says, and returns that description.
func participantInfo(t *testing.T, r *Room, what string, ok func(SessionInfo) bool) SessionInfo {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		info := r.Info()
		if len(info.Participants) == 1 && ok(info.Participants[0]) {
			return info.Participants[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("participants %+v: want one with %s", info.Participants, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestAudioCodecShown: the room's description says a participant whose
// audio is read sends Opus, and names no audio codec for one sending video
// only.
func TestAudioCodecShown(t *testing.T) {
	t.Run("audio", func(t *testing.T) {
		tracks, r := audioSender(t, testManager(t), 1, false)
		pkts := voicedOpus(t, 10)
		groups := make([][]int, len(pkts))
		for i := range groups {
			groups[i] = []int{i}
		}
		if err := sendPaced(tracks[0], pkts, 1000, groups); err != nil {
			t.Fatal(err)
		}
		p := participantInfo(t, r, "its audio read", func(p SessionInfo) bool { return p.Audio != nil })
		if p.AudioCodec != "opus" {
			t.Errorf("audio codec %q, want opus", p.AudioCodec)
		}
	})
	t.Run("video only", func(t *testing.T) {
		pc := testPeer(t, clientEngine(t, videoCodecs[0]), nil)
		r := joinSendingClip(t, testManager(t), pc)
		p := participantInfo(t, r, "its video decoded", func(p SessionInfo) bool { return p.Width > 0 })
		if p.AudioCodec != "" || p.Audio != nil {
			t.Errorf("audio codec %q, audio %+v for a participant sending video only, want none", p.AudioCodec, p.Audio)
		}
	})
}

// TestAudioBytesInArePayloads: the bytes counted in for a participant's
// audio are its Opus payloads, without the RTP headers.
func TestAudioBytesInArePayloads(t *testing.T) {
	obs := &bytesObserver{}
	cfg := DefaultConfig()
	cfg.Observer = obs
	tracks, r := audioSender(t, testManagerWith(t, cfg), 1, false)
	pkts := voicedOpus(t, 20)
	groups := make([][]int, len(pkts))
	want := 0
	for i, p := range pkts {
		groups[i] = []int{i}
		want += len(p)
	}
	if err := sendPaced(tracks[0], pkts, 1000, groups); err != nil {
		t.Fatal(err)
	}
	participantInfo(t, r, "its audio read", func(p SessionInfo) bool { return p.Audio != nil })
	deadline := time.Now().Add(5 * time.Second)
	for obs.in.Load() < int64(want) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // for any count beyond want to show
	if got := obs.in.Load(); got != int64(want) {
		t.Fatalf("%d bytes in for %d Opus packets of %d bytes of payload in all", got, len(pkts), want)
	}
}

// TestStreamInfoFollowsHeight: a sender whose pictures change only in
// height is described at the new height.
func TestStreamInfoFollowsHeight(t *testing.T) {
	dec, err := codec.NewVideoDecoder(codec.VP8)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	s := &Session{video: mixer.NewLiveVideo()}
	for i, size := range []image.Point{{640, 360}, {640, 480}} {
		cfg := codec.DefaultVP8Config()
		cfg.Width, cfg.Height = size.X, size.Y
		enc, err := codec.NewVP8Encoder(cfg)
		if err != nil {
			t.Fatal(err)
		}
		f, err := enc.Encode(codec.NewImage(size.X, size.Y), 0, true)
		enc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := dec.Send(f.Data, time.Duration(i)*time.Second/30); err != nil {
			t.Fatal(err)
		}
		s.receivePictures(dec, time.Now())
		if st := s.stream.Load(); st == nil || st.Width != size.X || st.Height != size.Y {
			t.Fatalf("after a %v picture the stream is described as %+v", size, st)
		}
	}
}
