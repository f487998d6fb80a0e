package room

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// pliCounter is an Observer that counts the keyframe requests sent to
// senders.
type pliCounter struct {
	nopObserver
	sent atomic.Int64
}

func (c *pliCounter) PLISent() { c.sent.Add(1) }

// loseOnce is a sender's interceptor, nearest the wire, that drops the
// first sending of every nth video packet: its retransmission (on NACK,
// the same sequence number) goes through.
type loseOnce struct {
	interceptor.NoOp
	n       uint16
	mu      sync.Mutex
	dropped map[uint16]bool
	lost    atomic.Int64
	resent  atomic.Int64
}

func (l *loseOnce) NewInterceptor(string) (interceptor.Interceptor, error) { return l, nil }

func (l *loseOnce) BindLocalStream(info *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	if !strings.HasPrefix(strings.ToLower(info.MimeType), "video/") || strings.EqualFold(info.MimeType, webrtc.MimeTypeRTX) {
		return w
	}
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		l.mu.Lock()
		seq := h.SequenceNumber
		again := l.dropped[seq]
		drop := !again && seq%l.n == 3
		if drop {
			l.dropped[seq] = true
		}
		l.mu.Unlock()
		switch {
		case drop:
			l.lost.Add(1)
			return len(payload), nil
		case again:
			l.resent.Add(1)
		}
		return w.Write(h, payload, a)
	})
}

// TestSenderLossRepairedByRetransmissionLive: a sender that offers RTX (as
// every browser does) gets none in the answer, so it resends what the
// server's NACKs ask for in its media stream itself, under the same
// sequence numbers; the server's reader puts those back in place, and
// the participant's video goes on with no keyframe asked for.
func TestSenderLossRepairedByRetransmissionLive(t *testing.T) {
	obs := &pliCounter{}
	cfg := DefaultConfig()
	cfg.Observer = obs
	m := testManagerWith(t, cfg)

	me := clientEngine(t, videoCodecs[0])
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeRTX, ClockRate: 90000, SDPFmtpLine: "apt=96"},
		PayloadType:        97,
	}, webrtc.RTPCodecTypeVideo); err != nil {
		t.Fatal(err)
	}
	lose := &loseOnce{n: 10, dropped: map[uint16]bool{}}
	reg := &interceptor.Registry{}
	reg.Add(lose) // nearest the wire: the NACK responder has kept what it drops
	if err := webrtc.ConfigureNack(me, reg); err != nil {
		t.Fatal(err)
	}
	if err := webrtc.ConfigureRTCPReports(reg); err != nil {
		t.Fatal(err)
	}
	pc := testPeer(t, me, reg)
	track, sender := rtpTrack(t, pc, videoCodecs[0].RTPCodecCapability, "video", "client")
	go drainRTCP(sender.ReadRTCP) // pion's NACK responder sees the RTCP read
	r, answer := joinRoom(t, m, Participant, pc)
	if strings.Contains(strings.ToLower(answer), "rtx/90000") {
		t.Fatalf("the answer takes RTX:\n%s", answer)
	}
	for _, l := range strings.Split(answer, "\r\n") {
		if strings.HasPrefix(l, "a=rtcp-fb") || strings.HasPrefix(l, "a=rtpmap") {
			t.Log(l)
		}
	}
	sendStreams(t, nil, stream{track, "p01.ivf", 0, 600}) // 20 s
	videoShown(t, r, 640)
	start := obs.sent.Load()
	lostBefore := lose.lost.Load()
	time.Sleep(3 * time.Second)
	lost, resent := lose.lost.Load()-lostBefore, lose.resent.Load()
	plis := obs.sent.Load() - start
	t.Logf("lost %d packets in 3 s, %d resent in all; %d keyframe requests", lost, resent, plis)
	if lost < 3 || resent < lost {
		t.Fatalf("lost %d, resent %d: the server's NACKs did not bring the packets back", lost, resent)
	}
	if plis > 0 {
		t.Errorf("%d keyframe requests while every lost packet was resent", plis)
	}
}
