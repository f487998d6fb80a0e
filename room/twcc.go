package room

import (
	"math/rand/v2"
	"sync"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// twccInterval is how often a participant gets transport-cc feedback about
// the packets that arrived since the last (pion's default, and browsers').
const twccInterval = 100 * time.Millisecond

// configureTWCC makes the server answer senders' transport-wide sequence
// numbers with transport-cc feedback, which browsers' congestion control
// runs on, as webrtc.ConfigureTWCCSender does, with a lighter interceptor.
// pion's hands every packet's arrival over an unbuffered channel to the
// goroutine that sends the feedback, so that each RTP packet read wakes it
// (and waits while it is busy): at 9 people, 940 goroutine wake-ups a
// second, one in six of the server's. Here the reading goroutine records
// the arrival itself under a lock, and the feedback goroutine wakes only
// every interval, to send.
func configureTWCC(m *webrtc.MediaEngine, reg *interceptor.Registry) error {
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		m.RegisterFeedback(webrtc.RTCPFeedback{Type: webrtc.TypeRTCPFBTransportCC}, kind)
		if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: sdp.TransportCCURI}, kind); err != nil {
			return err
		}
	}
	reg.Add(twccFactory{interval: twccInterval})
	return nil
}

type twccFactory struct{ interval time.Duration }

func (f twccFactory) NewInterceptor(string) (interceptor.Interceptor, error) {
	ssrc := rand.Uint32()
	return &twccFeedback{interval: f.interval, start: time.Now(), ssrc: ssrc, recorder: twcc.NewRecorder(ssrc),
		first: make(chan struct{}), done: make(chan struct{})}, nil
}

// A transport-wide number more than twccJump from the last one recorded,
// either way, is recorded only once the next packet's follows it (within
// twccFollow), and then with a recorder started afresh: pion's recorder
// marks every number between the last and a new one as not received, a
// write each, so a sender whose numbers jumped by ~32,000 at every packet
// made each cost tens of thousands of writes. A sender back after an
// outage of over a thousand packets (a second or two of video) loses the
// feedback of one packet.
const (
	twccJump   = 1024
	twccFollow = 64
)

// twccFeedback is one PeerConnection's transport-cc feedback: the
// arrivals of its remote streams' packets, recorded as they are read, sent
// back every interval from the first packet on (when there is something
// new to report).
type twccFeedback struct {
	interceptor.NoOp
	interval time.Duration
	start    time.Time

	mu       sync.Mutex
	ssrc     uint32         // the feedback's sender SSRC
	recorder *twcc.Recorder // not safe on its own
	last     uint16         // the last number recorded, if recorded
	recorded bool
	jumped   uint16 // a number that jumped, not recorded, if jumping
	jumping  bool
	started  bool // first is closed
	closed   bool
	first    chan struct{} // closed at the first packet recorded
	done     chan struct{} // closed by Close
	wg       sync.WaitGroup
}

// BindRTCPWriter starts the goroutine that sends the feedback (pion binds
// one writer per PeerConnection).
func (t *twccFeedback) BindRTCPWriter(w interceptor.RTCPWriter) interceptor.RTCPWriter {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.closed {
		t.wg.Add(1)
		go t.loop(w)
	}
	return w
}

// BindRemoteStream records the arrival of each packet of a stream that
// carries transport-wide sequence numbers, when it is read.
func (t *twccFeedback) BindRemoteStream(info *interceptor.StreamInfo, reader interceptor.RTPReader) interceptor.RTPReader {
	var id uint8
	for _, e := range info.RTPHeaderExtensions {
		if e.URI == sdp.TransportCCURI && e.ID > 0 && e.ID < 256 {
			id = uint8(e.ID)
			break
		}
	}
	if id == 0 {
		return reader
	}
	ssrc := info.SSRC
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n, a, err := reader.Read(b, a)
		if err != nil {
			return n, a, err
		}
		if a == nil {
			a = interceptor.Attributes{}
		}
		h, err := a.GetRTPHeader(b[:n])
		if err != nil {
			return n, a, err
		}
		// A packet with no number, or a damaged one, is still media: it
		// is passed on, not counted.
		var ext rtp.TransportCCExtension
		if raw := h.GetExtension(id); raw != nil && ext.Unmarshal(raw) == nil {
			t.record(ssrc, ext.TransportSequence)
		}
		return n, a, nil
	})
}

func (t *twccFeedback) record(ssrc uint32, seq uint16) {
	arrival := time.Since(t.start).Microseconds()
	t.mu.Lock()
	defer t.mu.Unlock()
	if d := int16(seq - t.last); t.recorded && (d > twccJump || d < -twccJump) {
		if f := int16(seq - t.jumped); !t.jumping || f > twccFollow || f < -twccFollow {
			t.jumped, t.jumping = seq, true
			return
		}
		t.recorder = twcc.NewRecorder(t.ssrc)
	}
	t.last, t.recorded, t.jumping = seq, true, false
	t.recorder.Record(ssrc, seq, arrival)
	if !t.started {
		t.started = true
		close(t.first)
	}
}

// loop sends the feedback every interval from the first packet on.
func (t *twccFeedback) loop(w interceptor.RTCPWriter) {
	defer t.wg.Done()
	select {
	case <-t.first:
	case <-t.done:
		return
	}
	tick := time.NewTicker(t.interval)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
		case <-t.done:
			return
		}
		t.mu.Lock()
		pkts := t.recorder.BuildFeedbackPacket()
		t.mu.Unlock()
		if len(pkts) > 0 {
			// A write fails while the connection is down or closing; the
			// next feedback is sent all the same (as pion's does).
			_, _ = w.Write(pkts, nil)
		}
	}
}

// Close stops the feedback and waits for its goroutine.
func (t *twccFeedback) Close() error {
	t.mu.Lock()
	if !t.closed {
		t.closed = true
		close(t.done)
	}
	t.mu.Unlock()
	t.wg.Wait()
	return nil
}
