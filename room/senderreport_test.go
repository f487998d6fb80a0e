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
		{0, time.Date(2036, 2, 7, 6, 28, 16, 0, time.UTC)},                // the next era
		{0xffffffff << 32, time.Date(2036, 2, 7, 6, 28, 15, 0, time.UTC)}, // the last second of this one
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
	track := &clockTrack{rate: 90000, base: 4_294_900_000}
	c := &srClocks{epoch: func() (time.Time, bool) { return epoch, started }}
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

// TestSenderReportsSayTheRoomClock: the sender reports a participant, a
// viewer and an H.264 viewer receive map wall time to RTP time as the
// room's clock does, for the composite in VP8 and in H.264, the
// participant's mix-minus and the full mix alike: each report's RTP time,
// taken back to PTS 0, lands on the mixer's epoch; and every packet,
// mapped to the wall clock through its stream's first report, was of a
// moment before it arrived (a track stamped later than its reports say
// would be of a moment after). pion's own reports take the last frame's
// RTP time as the time it was written, later than its tick by the encode.
func TestSenderReportsSayTheRoomClock(t *testing.T) {
	m := testManager(t)
	type stream struct {
		kind     webrtc.RTPCodecType
		rate     uint32               // the negotiated clock rate
		reports  []*rtcp.SenderReport // in arrival order
		packets  []uint32             // RTP times, and when each arrived
		arrivals []time.Time
	}
	var mu sync.Mutex
	streams := [3]map[webrtc.RTPCodecType]*stream{{}, {}, {}} // participant's, viewer's, H.264 viewer's
	peer := func(who int, video webrtc.RTPCodecParameters) *webrtc.PeerConnection {
		pc := testPeer(t, clientEngine(t, video), nil)
		for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
			if _, err := pc.AddTransceiverFromKind(kind, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
				t.Fatal(err)
			}
		}
		pc.OnTrack(func(track *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
			st := &stream{kind: track.Kind(), rate: track.Codec().ClockRate}
			mu.Lock()
			streams[who][st.kind] = st
			mu.Unlock()
			go func() {
				for {
					p, _, err := track.ReadRTP()
					if err != nil {
						return
					}
					now := time.Now()
					mu.Lock()
					st.packets, st.arrivals = append(st.packets, p.Timestamp), append(st.arrivals, now)
					mu.Unlock()
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
							st.reports = append(st.reports, sr)
							mu.Unlock()
						}
					}
				}
			}()
		})
		return pc
	}
	r := joinConnected(t, m, Participant, peer(0, videoCodecs[0]))
	mixMinus := onlySession(t, r).audioOut
	joinConnected(t, m, Viewer, peer(1, videoCodecs[0]))
	joinConnected(t, m, Viewer, peer(2, videoCodecs[1]))
	// pion reports every second, the first within one: three of each.
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		least := 3
		for who := range streams {
			for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
				if st := streams[who][kind]; st == nil {
					least = 0
				} else {
					least = min(least, len(st.reports))
				}
			}
		}
		mu.Unlock()
		if least == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("fewer than 3 sender reports on some stream in 10 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	epoch, ok := r.mixer.Epoch()
	if !ok {
		t.Fatal("the room's mixer has no epoch")
	}
	mu.Lock()
	defer mu.Unlock()
	for who, name := range []string{"participant", "viewer", "H.264 viewer"} {
		for kind, st := range streams[who] {
			track := map[webrtc.RTPCodecType][3]*clockTrack{
				webrtc.RTPCodecTypeVideo: {r.vp8.track, r.vp8.track, r.h264.track},
				webrtc.RTPCodecTypeAudio: {mixMinus, r.audio, r.audio},
			}[kind][who]
			at := func(sr *rtcp.SenderReport, ts uint32) time.Time { // the wall time of RTP time ts, by sr
				return ntpTime(sr.NTPTime).Add(time.Duration(float64(int32(ts-sr.RTPTime)) / float64(st.rate) * float64(time.Second)))
			}
			for _, sr := range st.reports {
				// pion writes the NTP time as float64 seconds: a microsecond.
				if off := at(sr, track.base).Sub(epoch); off < -100*time.Microsecond || off > 100*time.Microsecond {
					t.Errorf("%s's %v report: RTP time %d at %v is PTS 0 %v after the room's epoch, want 0",
						name, kind, sr.RTPTime, ntpTime(sr.NTPTime).Sub(epoch), off)
				}
			}
			late := 0
			for i, ts := range st.packets {
				// Of the room as it was before the packet arrived, and not
				// long before: well within a second on loopback.
				if wait := st.arrivals[i].Sub(at(st.reports[0], ts)); wait < 0 || wait > time.Second {
					if late++; late <= 3 {
						t.Errorf("%s's %v packet %d (RTP time %d) arrived %v after the moment its report maps it to",
							name, kind, i, ts, wait)
					}
				}
			}
			if len(st.packets) < 10 {
				t.Errorf("%s's %v: %d packets", name, kind, len(st.packets))
			}
		}
	}
}
