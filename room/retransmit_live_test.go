package room

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
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

// loseInKeyframe is a sender's interceptor, nearest the wire, that drops
// the first sending of the second packet of every VP8 keyframe.
type loseInKeyframe struct {
	interceptor.NoOp
	mu      sync.Mutex
	key     int // the keyframe's first packet's number; -1 before one
	dropped map[uint16]bool
	lost    atomic.Int64
	resent  atomic.Int64
}

func (l *loseInKeyframe) NewInterceptor(string) (interceptor.Interceptor, error) { return l, nil }

func (l *loseInKeyframe) BindLocalStream(info *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	if !strings.EqualFold(info.MimeType, webrtc.MimeTypeVP8) {
		return w
	}
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		var vp8 codecs.VP8Packet
		frame, err := vp8.Unmarshal(payload)
		l.mu.Lock()
		seq := h.SequenceNumber
		if err == nil && vp8.S == 1 && vp8.PID == 0 && len(frame) > 0 && frame[0]&1 == 0 {
			l.key = int(seq)
		}
		again := l.dropped[seq]
		drop := !again && l.key >= 0 && seq == uint16(l.key)+1
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

// TestRetransmissionBehindAKeyframe: a sender loses the second packet of
// each keyframe once; its resend comes after the rest of the keyframe,
// over 64 packets (a busy 640x360 keyframe is a hundred at 1200 bytes;
// here the clip's small keyframe is cut into 16-byte pieces). It must be
// taken: SRTP's replay window refused it (pion keeps 64 by default), and
// every keyframe cost a keyframe request and a frozen tile.
func TestRetransmissionBehindAKeyframe(t *testing.T) {
	obs := &pliCounter{}
	cfg := DefaultConfig()
	cfg.Observer = obs
	m := testManagerWith(t, cfg)

	me := clientEngine(t, videoCodecs[0])
	lose := &loseInKeyframe{key: -1, dropped: map[uint16]bool{}}
	reg := &interceptor.Registry{}
	reg.Add(lose)
	if err := webrtc.ConfigureNack(me, reg); err != nil {
		t.Fatal(err)
	}
	if err := webrtc.ConfigureRTCPReports(reg); err != nil {
		t.Fatal(err)
	}
	pc := testPeer(t, me, reg)
	track, sender := rtpTrack(t, pc, videoCodecs[0].RTPCodecCapability, "video", "client")
	go drainRTCP(sender.ReadRTCP)
	r, _ := joinRoom(t, m, Participant, pc)

	clip := clipFrames(t, "p01.ivf", 30) // a keyframe, then 29 pictures
	p := rtp.NewPacketizer(12+1+16, 96, 0, &codecs.VP8Payloader{}, rtp.NewRandomSequencer(), 90000)
	if n := len(p.Packetize(clip[0], 3000)); n < 70 {
		t.Fatalf("the keyframe is %d packets: the resend would not come 64 behind", n)
	}
	done := make(chan struct{})
	stopped := make(chan struct{})
	t.Cleanup(func() { close(done); <-stopped })
	go func() {
		defer close(stopped)
		tick := time.NewTicker(time.Second / 30)
		defer tick.Stop()
		for i := 0; ; i++ {
			for _, pkt := range p.Packetize(clip[i%len(clip)], 3000) {
				track.WriteRTP(pkt)
			}
			select {
			case <-tick.C:
			case <-done:
				return
			}
		}
	}()
	videoShown(t, r, 640)
	start, lostBefore := obs.sent.Load(), lose.lost.Load()
	time.Sleep(3 * time.Second) // three keyframes
	lost, resent, plis := lose.lost.Load()-lostBefore, lose.resent.Load(), obs.sent.Load()-start
	t.Logf("lost %d keyframe packets in 3 s, %d resent in all; %d keyframe requests", lost, resent, plis)
	if lost < 2 || resent < lost {
		t.Fatalf("lost %d, resent %d: the server's NACKs did not bring the packets back", lost, resent)
	}
	if plis > 0 {
		t.Errorf("%d keyframe requests while every lost packet was resent", plis)
	}
}
