package room

import (
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
)

const testTWCCID = 5

// twccPacket is an RTP packet of ssrc numbered seq for transport-cc (no
// number when seq < 0; a one-byte, damaged, extension when damaged).
func twccPacket(t *testing.T, ssrc uint32, seq int, damaged bool) []byte {
	t.Helper()
	p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: uint16(seq), SSRC: ssrc}, Payload: []byte{1, 2, 3}}
	if seq >= 0 {
		ext, err := (&rtp.TransportCCExtension{TransportSequence: uint16(seq)}).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if damaged {
			ext = ext[:1]
		}
		if err := p.SetExtension(testTWCCID, ext); err != nil {
			t.Fatal(err)
		}
	}
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// feedbackLog collects the feedback an interceptor writes.
type feedbackLog struct {
	mu   sync.Mutex
	pkts []*rtcp.TransportLayerCC
}

func (l *feedbackLog) writer() interceptor.RTCPWriter {
	return interceptor.RTCPWriterFunc(func(pkts []rtcp.Packet, _ interceptor.Attributes) (int, error) {
		l.mu.Lock()
		defer l.mu.Unlock()
		for _, p := range pkts {
			if fb, ok := p.(*rtcp.TransportLayerCC); ok {
				l.pkts = append(l.pkts, fb)
			}
		}
		return len(pkts), nil
	})
}

// summary is what the feedback so far says: the first sequence number it
// covers, how many packets it covers, and how many of them arrived.
func (l *feedbackLog) summary() (base uint16, covered, received int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, fb := range l.pkts {
		if i == 0 {
			base = fb.BaseSequenceNumber
		}
		covered += int(fb.PacketStatusCount)
		received += len(fb.RecvDeltas)
	}
	return base, covered, received
}

// readAll reads packets through an interceptor's remote stream until they
// run out, checking each comes through whole.
func readAll(t *testing.T, ic interceptor.Interceptor, pkts [][]byte) {
	t.Helper()
	info := &interceptor.StreamInfo{SSRC: 1234,
		RTPHeaderExtensions: []interceptor.RTPHeaderExtension{{URI: sdp.TransportCCURI, ID: testTWCCID}}}
	i := 0
	src := interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		if i == len(pkts) {
			return 0, nil, io.EOF
		}
		i++
		return copy(b, pkts[i-1]), a, nil
	})
	r := ic.BindRemoteStream(info, src)
	buf := make([]byte, 1500)
	for k := range pkts {
		n, _, err := r.Read(buf, nil)
		if err != nil || n != len(pkts[k]) {
			t.Fatalf("packet %d: %d bytes, %v", k, n, err)
		}
	}
	if _, _, err := r.Read(buf, nil); !errors.Is(err, io.EOF) {
		t.Fatalf("after the packets: %v", err)
	}
}

// TestTWCCFeedbackAsPion: the same packets (reordered, with a gap, one
// unnumbered) give the same feedback as pion's own interceptor: the same
// first number, the same packets covered, the same arrived. A packet whose
// number is damaged is still read here (pion's refuses it, which takes a
// media packet for a broken extension).
func TestTWCCFeedbackAsPion(t *testing.T) {
	var pkts [][]byte
	for _, seq := range []int{100, 101, 103, 102, 104, 107, 108, 109, 110, 105} {
		pkts = append(pkts, twccPacket(t, 1234, seq, false))
	}
	pkts = append(pkts, twccPacket(t, 1234, -1, false))

	const interval = 20 * time.Millisecond
	pionFactory, err := twcc.NewSenderInterceptor(twcc.SendInterval(interval))
	if err != nil {
		t.Fatal(err)
	}
	var got [2][3]int
	for i, f := range []interceptor.Factory{twccFactory{interval: interval}, pionFactory} {
		ic, err := f.NewInterceptor("")
		if err != nil {
			t.Fatal(err)
		}
		var log feedbackLog
		ic.BindRTCPWriter(log.writer())
		if i == 0 {
			readAll(t, ic, append(pkts, twccPacket(t, 1234, 111, true)))
		} else {
			readAll(t, ic, pkts)
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			base, covered, received := log.summary()
			got[i] = [3]int{int(base), covered, received}
			if covered >= 11 || time.Now().After(deadline) {
				break
			}
			time.Sleep(interval)
		}
		if err := ic.Close(); err != nil {
			t.Fatal(err)
		}
	}
	// 100 to 110: 11 packets covered, 10 arrived (106 never did).
	if want := [3]int{100, 11, 10}; got[0] != want || got[1] != want {
		t.Errorf("feedback (first, covered, arrived): mcu %v, pion %v, want %v", got[0], got[1], want)
	}
}

// TestTWCCFeedbackIdleAndClose: no feedback, and no ticking, before the
// first numbered packet; none after Close, which ends the goroutine.
func TestTWCCFeedbackIdleAndClose(t *testing.T) {
	const interval = 10 * time.Millisecond
	ic, err := twccFactory{interval: interval}.NewInterceptor("")
	if err != nil {
		t.Fatal(err)
	}
	var log feedbackLog
	ic.BindRTCPWriter(log.writer())
	readAll(t, ic, [][]byte{twccPacket(t, 1234, -1, false)}) // unnumbered
	time.Sleep(5 * interval)
	if _, covered, _ := log.summary(); covered != 0 {
		t.Fatalf("feedback about %d packets before any was numbered", covered)
	}
	if ic.(*twccFeedback).started {
		t.Fatal("the feedback started without a numbered packet")
	}
	readAll(t, ic, [][]byte{twccPacket(t, 1234, 7, false)})
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, covered, _ := log.summary(); covered == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no feedback within 5 s")
		}
		time.Sleep(interval)
	}
	closed := make(chan error)
	go func() { closed <- ic.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	readAll(t, ic, [][]byte{twccPacket(t, 1234, 8, false)}) // read after Close: recorded, never sent
	time.Sleep(5 * interval)
	if _, covered, _ := log.summary(); covered != 1 {
		t.Errorf("feedback about %d packets, sent after Close", covered)
	}
	if err := ic.Close(); err != nil { // twice
		t.Fatal(err)
	}
}
