package room

import (
	"sync"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// ntpStamp is the 64-bit NTP timestamp of t, rounded up to the next unit
// (so that ntpTime gives t back to the nanosecond).
func ntpStamp(t time.Time) uint64 {
	ns := uint64(t.Nanosecond())
	return uint64(t.Unix()+ntpOffset)<<32 | (ns<<32+uint64(time.Second)-1)/uint64(time.Second)
}

func TestNTPTime(t *testing.T) {
	for _, c := range []struct {
		ntp  uint64
		want time.Time
	}{
		{ntpOffset << 32, time.Unix(0, 0)},
		{(ntpOffset+1)<<32 | 1<<31, time.Unix(1, 500_000_000)},
		{(ntpOffset+1)<<32 | 1<<30, time.Unix(1, 250_000_000)},
	} {
		if got := ntpTime(c.ntp); !got.Equal(c.want) {
			t.Errorf("ntpTime(%#x) = %v, want %v", c.ntp, got.UTC(), c.want.UTC())
		}
	}
	now := time.Now()
	if got := ntpTime(ntpStamp(now)); !got.Equal(now) {
		t.Errorf("%v there and back: %v", now, got)
	}
}

// TestSenderReportRewrite: a report for a track of the room's gets the
// track's RTP time at the report's NTP time; one before the clock started,
// or for a stream of no track, keeps pion's.
func TestSenderReportRewrite(t *testing.T) {
	epoch := time.Now()
	started := false
	track := &clockTrack{rate: 90000, base: 4_294_900_000, epoch: func() (time.Time, bool) { return epoch, started }}
	var c srClocks
	c.add(7, track)
	var written []rtcp.Packet
	w := c.BindRTCPWriter(interceptor.RTCPWriterFunc(func(pkts []rtcp.Packet, _ interceptor.Attributes) (int, error) {
		written = append(written, pkts...)
		return 0, nil
	}))
	report := func(ssrc uint32, at time.Time) *rtcp.SenderReport {
		sr := &rtcp.SenderReport{SSRC: ssrc, NTPTime: ntpStamp(at), RTPTime: 1, PacketCount: 9}
		if _, err := w.Write([]rtcp.Packet{sr, &rtcp.ReceiverReport{}}, nil); err != nil {
			t.Fatal(err)
		}
		return sr
	}
	if sr := report(7, epoch.Add(time.Second)); sr.RTPTime != 1 {
		t.Errorf("before the clock started: RTP time %d, want pion's", sr.RTPTime)
	}
	started = true
	// 1.5 s after PTS 0: 135000 units on, past the wrap.
	if sr := report(7, epoch.Add(1500*time.Millisecond)); sr.RTPTime != 67_704 || sr.PacketCount != 9 {
		t.Errorf("1.5 s on: %+v, want RTP time 67704 (4294900000 + 135000, wrapped) and pion's counts", sr)
	}
	if sr := report(7, epoch.Add(-time.Millisecond)); sr.RTPTime != 1 {
		t.Errorf("before PTS 0: RTP time %d, want pion's", sr.RTPTime)
	}
	if sr := report(8, epoch.Add(time.Second)); sr.RTPTime != 1 {
		t.Errorf("another stream: RTP time %d, want pion's", sr.RTPTime)
	}
	if len(written) != 8 {
		t.Errorf("%d packets written on, want all 8", len(written))
	}
}

// TestSenderReportsSayTheRoomClock: the sender reports a participant and a
// viewer receive map wall time to RTP time as the room's clock does, for
// the composite, the participant's mix-minus and the viewer's full mix
// alike: each report's RTP time, taken back to PTS 0, lands on the
// mixer's epoch. pion's own reports take the last frame's RTP time as the
// time it was written, later than its tick by the encode.
func TestSenderReportsSayTheRoomClock(t *testing.T) {
	m := testManager(t)
	type report struct {
		kind webrtc.RTPCodecType
		sr   *rtcp.SenderReport
	}
	var mu sync.Mutex
	var reports [2][]report // participant's, viewer's
	peer := func(who int) *webrtc.PeerConnection {
		pc := testPeer(t, clientEngine(t, videoCodecs[0]), nil)
		for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
			if _, err := pc.AddTransceiverFromKind(kind, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
				t.Fatal(err)
			}
		}
		pc.OnTrack(func(track *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
			go func() {
				for {
					if _, _, err := track.ReadRTP(); err != nil {
						return
					}
				}
			}()
			go func() {
				for {
					pkts, _, err := r.ReadRTCP()
					if err != nil {
						return
					}
					for _, p := range pkts {
						if sr, ok := p.(*rtcp.SenderReport); ok {
							mu.Lock()
							reports[who] = append(reports[who], report{track.Kind(), sr})
							mu.Unlock()
						}
					}
				}
			}()
		})
		return pc
	}
	r := joinConnected(t, m, Participant, peer(0))
	mixMinus := onlySession(t, r).audioOut
	joinConnected(t, m, Viewer, peer(1))
	// pion reports every second, the first within one.
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := min(len(reports[0]), len(reports[1]))
		mu.Unlock()
		if n >= 6 { // three of each stream, if they take turns
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d and %d sender reports in 10 s", len(reports[0]), len(reports[1]))
		}
		time.Sleep(100 * time.Millisecond)
	}
	epoch, ok := r.mixer.Epoch()
	if !ok {
		t.Fatal("the room's mixer has no epoch")
	}
	mu.Lock()
	defer mu.Unlock()
	for who, name := range []string{"participant", "viewer"} {
		kinds := map[webrtc.RTPCodecType]int{}
		for _, rep := range reports[who] {
			track := r.video
			switch {
			case rep.kind == webrtc.RTPCodecTypeAudio && who == 0:
				track = mixMinus
			case rep.kind == webrtc.RTPCodecTypeAudio:
				track = r.audio
			}
			kinds[rep.kind]++
			units := rep.sr.RTPTime - track.base // since PTS 0, modulo 2^32
			pts := time.Duration(float64(units) / float64(track.rate) * float64(time.Second))
			// pion writes the NTP time as float64 seconds: a microsecond.
			if off := ntpTime(rep.sr.NTPTime).Add(-pts).Sub(epoch); off < -100*time.Microsecond || off > 100*time.Microsecond {
				t.Errorf("%s's %v report: RTP time %d at %v is PTS 0 %v after the room's epoch, want 0",
					name, rep.kind, rep.sr.RTPTime, ntpTime(rep.sr.NTPTime).Sub(epoch), off)
			}
		}
		if kinds[webrtc.RTPCodecTypeVideo] == 0 || kinds[webrtc.RTPCodecTypeAudio] == 0 {
			t.Errorf("%s: reports by kind %v, want both", name, kinds)
		}
	}
}
