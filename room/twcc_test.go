package room

import (
	"errors"
	"io"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
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

// summary is what the feedback so far says, over all its packets: the
// sequence numbers it covers, those it reports arrived, and its packets.
func (l *feedbackLog) summary() (covered, received map[uint16]bool, pkts []*rtcp.TransportLayerCC) {
	l.mu.Lock()
	defer l.mu.Unlock()
	covered, received = map[uint16]bool{}, map[uint16]bool{}
	for _, fb := range l.pkts {
		seq, left := fb.BaseSequenceNumber, int(fb.PacketStatusCount)
		status := func(sym uint16) {
			if left > 0 {
				covered[seq] = true
				if sym != rtcp.TypeTCCPacketNotReceived {
					received[seq] = true
				}
				seq, left = seq+1, left-1
			}
		}
		for _, c := range fb.PacketChunks {
			switch c := c.(type) {
			case *rtcp.RunLengthChunk:
				for range c.RunLength {
					status(c.PacketStatusSymbol)
				}
			case *rtcp.StatusVectorChunk:
				for _, sym := range c.SymbolList {
					status(sym)
				}
			}
		}
	}
	return covered, received, append([]*rtcp.TransportLayerCC(nil), l.pkts...)
}

// seqs is a set of sequence numbers from first to last, but those left out.
func seqs(first, last uint16, except ...uint16) map[uint16]bool {
	m := map[uint16]bool{}
	for s := first; s <= last; s++ {
		m[s] = true
	}
	for _, s := range except {
		delete(m, s)
	}
	return m
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
// packets covered, the same arrived, about the same stream. A packet whose
// number is damaged is still read here (pion's refuses it, which takes a
// media packet for a broken extension). The arrival times are in the
// feedback's units: an interceptor 10 s old reports a reference time 10 s
// from its start.
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
	// 100 to 110 covered, all but 106 arrived.
	wantCovered, wantReceived := seqs(100, 110), seqs(100, 110, 106)
	for i, f := range []interceptor.Factory{twccFactory{interval: interval}, pionFactory} {
		name := [...]string{"mcu", "pion"}[i]
		ic, err := f.NewInterceptor("")
		if err != nil {
			t.Fatal(err)
		}
		var log feedbackLog
		ic.BindRTCPWriter(log.writer())
		if i == 0 {
			ic.(*twccFeedback).start = time.Now().Add(-10 * time.Second)
			readAll(t, ic, append(pkts, twccPacket(t, 1234, 111, true)))
		} else {
			readAll(t, ic, pkts)
		}
		var covered, received map[uint16]bool
		var fbs []*rtcp.TransportLayerCC
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(interval) {
			if covered, received, fbs = log.summary(); len(received) >= len(wantReceived) {
				break
			}
		}
		if err := ic.Close(); err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(covered, wantCovered) || !maps.Equal(received, wantReceived) {
			t.Errorf("%s: feedback covers %v, arrived %v; want %v and %v", name, slices.Sorted(maps.Keys(covered)),
				slices.Sorted(maps.Keys(received)), slices.Sorted(maps.Keys(wantCovered)), slices.Sorted(maps.Keys(wantReceived)))
		}
		for _, fb := range fbs {
			if fb.MediaSSRC != 1234 {
				t.Errorf("%s: feedback about SSRC %d, want 1234", name, fb.MediaSSRC)
			}
			// The reference time counts 64 ms units.
			if ref := time.Duration(fb.ReferenceTime) * 64 * time.Millisecond; i == 0 && (ref < 9*time.Second || ref > 11*time.Second) {
				t.Errorf("%s: reference time %v from the start, want about 10 s", name, ref)
			}
		}
	}
}

// started reports whether the feedback has seen a numbered packet.
func (t *twccFeedback) hasStarted() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.started
}

// closeWithin closes ic, failing if it takes more than 5 s.
func closeWithin(t *testing.T, ic interceptor.Interceptor) {
	t.Helper()
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
}

// TestTWCCFeedbackIdleAndClose: no feedback before the first numbered
// packet; none after Close, which ends the goroutine, also when no packet
// ever came (a viewer) or it is closed before its writer is bound.
func TestTWCCFeedbackIdleAndClose(t *testing.T) {
	before := runtime.NumGoroutine()
	for _, bindFirst := range []bool{true, false} { // no packet at all
		ic, err := twccFactory{interval: time.Millisecond}.NewInterceptor("")
		if err != nil {
			t.Fatal(err)
		}
		var log feedbackLog
		if bindFirst {
			ic.BindRTCPWriter(log.writer())
			closeWithin(t, ic)
		} else {
			closeWithin(t, ic)
			ic.BindRTCPWriter(log.writer())
			closeWithin(t, ic)
		}
	}

	const interval = 10 * time.Millisecond
	ic, err := twccFactory{interval: interval}.NewInterceptor("")
	if err != nil {
		t.Fatal(err)
	}
	var log feedbackLog
	ic.BindRTCPWriter(log.writer())
	readAll(t, ic, [][]byte{twccPacket(t, 1234, -1, false)}) // unnumbered
	time.Sleep(5 * interval)
	if covered, _, _ := log.summary(); len(covered) != 0 {
		t.Fatalf("feedback about %d packets before any was numbered", len(covered))
	}
	if ic.(*twccFeedback).hasStarted() {
		t.Fatal("the feedback started without a numbered packet")
	}
	readAll(t, ic, [][]byte{twccPacket(t, 1234, 7, false)})
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(interval) {
		if covered, _, _ := log.summary(); len(covered) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no feedback within 5 s")
		}
	}
	closeWithin(t, ic)
	readAll(t, ic, [][]byte{twccPacket(t, 1234, 8, false)}) // read after Close: recorded, never sent
	time.Sleep(5 * interval)
	if covered, _, _ := log.summary(); len(covered) != 1 {
		t.Errorf("feedback about %d packets, sent after Close", len(covered))
	}
	closeWithin(t, ic) // twice
	// Every feedback goroutine has ended (the runtime's own come and go:
	// a few seconds to settle).
	for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > before; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines, %d before", runtime.NumGoroutine(), before)
		}
	}
}

// TestAnswerTakesAudioIntoTransportCC: the server's answer negotiates
// transport-cc for a participant's sound as well as their video (the
// feedback and the transport-wide-cc header extension on the audio m-line),
// since a browser's congestion control counts every packet it sends.
func TestAnswerTakesAudioIntoTransportCC(t *testing.T) {
	m := testManager(t)
	vp8, opus := videoCodecs[0], audioCodec
	vp8.RTCPFeedback = []webrtc.RTCPFeedback{{Type: webrtc.TypeRTCPFBTransportCC}}
	opus.RTCPFeedback = []webrtc.RTCPFeedback{{Type: webrtc.TypeRTCPFBTransportCC}}
	me := &webrtc.MediaEngine{}
	if err := me.RegisterCodec(vp8, webrtc.RTPCodecTypeVideo); err != nil {
		t.Fatal(err)
	}
	if err := me.RegisterCodec(opus, webrtc.RTPCodecTypeAudio); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		if err := me.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: sdp.TransportCCURI}, kind); err != nil {
			t.Fatal(err)
		}
	}
	pc := testPeer(t, me, nil)
	for _, c := range []webrtc.RTPCodecCapability{opus.RTPCodecCapability, vp8.RTPCodecCapability} {
		sampleTrack(t, pc, c, c.MimeType, "client")
	}
	_, answer := joinRoom(t, m, Participant, pc)
	var desc sdp.SessionDescription
	if err := desc.UnmarshalString(answer); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"audio", "video"} {
		var feedback, extension bool
		found := false
		for _, md := range desc.MediaDescriptions {
			if md.MediaName.Media != kind {
				continue
			}
			found = true
			for _, a := range md.Attributes {
				switch {
				case a.Key == "rtcp-fb" && strings.HasSuffix(a.Value, " transport-cc"):
					feedback = true
				case a.Key == "extmap" && strings.HasSuffix(a.Value, " "+sdp.TransportCCURI):
					extension = true
				}
			}
		}
		if !found || !feedback || !extension {
			t.Errorf("the answer's %s m-line: present %v, transport-cc feedback %v, transport-wide-cc extension %v; want all",
				kind, found, feedback, extension)
		}
	}
}

// TestTWCCJumpsConfirmed: transport-wide numbers that jump by thousands at
// every packet are not recorded (pion's recorder would mark each number
// between as not received: tens of thousands of writes a packet); a jump
// the next packet follows is recorded, from a recorder started afresh.
func TestTWCCJumpsConfirmed(t *testing.T) {
	ic, err := twccFactory{interval: time.Hour}.NewInterceptor("")
	if err != nil {
		t.Fatal(err)
	}
	defer ic.Close()
	tf := ic.(*twccFeedback)
	covered := func() (base uint16, count uint16) {
		t.Helper()
		tf.mu.Lock()
		defer tf.mu.Unlock()
		for _, p := range tf.recorder.BuildFeedbackPacket() {
			if fb, ok := p.(*rtcp.TransportLayerCC); ok {
				return fb.BaseSequenceNumber, fb.PacketStatusCount
			}
		}
		return 0, 0
	}
	for seq := range uint16(100) {
		tf.record(1, seq)
	}
	if base, n := covered(); base != 0 || n != 100 {
		t.Fatalf("0 to 99 in order: feedback from %d for %d, want from 0 for 100", base, n)
	}

	// Numbers thousands from 99 and from each other.
	for k := range 1000 {
		tf.record(1, uint16(99+2000+k*7919%60000))
	}
	if base, n := covered(); n != 0 {
		t.Errorf("numbers jumping by thousands at every packet: feedback from %d for %d, want nothing recorded", base, n)
	}
	tf.record(1, 99+8000) // out of reach of the last recorded (99)...
	tf.record(1, 99+8001) // ...and followed: a new start
	tf.record(1, 99+8002)
	if base, n := covered(); base != 99+8001 || n != 2 {
		t.Errorf("a jump followed by the next packets: feedback from %d for %d, want from %d for 2", base, n, 99+8001)
	}
	tf.record(1, 99+8003+10) // ten lost: within reach
	if base, n := covered(); base != 99+8003 || n != 11 {
		t.Errorf("ten lost: feedback from %d for %d, want from %d for 11", base, n, 99+8003)
	}
}
