package room

import (
	"context"
	"image"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"

	"mcu/layout"
	"mcu/mixer"
)

// chanTrack serves the packets sent on ch, and io.EOF once it is closed.
type chanTrack struct{ ch chan []byte }

func (c *chanTrack) Read(b []byte) (int, interceptor.Attributes, error) {
	p, ok := <-c.ch
	if !ok {
		return 0, nil, io.EOF
	}
	return copy(b, p), nil, nil
}

// countHandler counts log records whose message contains sub.
type countHandler struct {
	sub string
	n   *atomic.Int64
}

func (h countHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h countHandler) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, h.sub) {
		h.n.Add(1)
	}
	return nil
}
func (h countHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h countHandler) WithGroup(string) slog.Handler      { return h }

// TestSimulcastOneDecoderAtATime: a simulcast sender has one stream
// decoded at a time (the place, videoActive), so that its decoding costs
// what one camera's does (pace, per videoIn). A hostile sender makes each
// of its streams unfit once (a keyframe larger than the assembler holds,
// which marks the stream unfit for unfitFor), then sends good frames on
// both, interleaved. Then, at every packet, the stream that sent it finds
// the one holding the place "gone" (unfit) and itself free to take it
// (mayTake: no stream qualifies), so both readers stay active and both
// decoders decode every frame; each packet switches the place and logs it.
func TestSimulcastOneDecoderAtATime(t *testing.T) {
	var switched atomic.Int64
	s := &Session{ID: "x", room: &Room{log: slog.New(countHandler{"simulcast stream switched", &switched}), obs: nopObserver{}}, video: mixer.NewLiveVideo()}
	s.video.SetBox(layout.Size{W: 640, H: 360}, layout.Fill)
	clip := clipFrames(t, "p01.ivf", 30)

	type reader struct {
		track   *webrtc.TrackRemote
		probe   *videoInProbe
		ch      chan []byte
		handled chan struct{}
		pkts    [][]byte
		done    chan struct{}
	}
	mk := func() *reader {
		r := &reader{track: &webrtc.TrackRemote{}, probe: newVideoInProbe(t, map[uint8]string{96: "video/VP8"}),
			ch: make(chan []byte), handled: make(chan struct{}), done: make(chan struct{})}
		sender := &switchingSender{seq: rtp.NewRandomSequencer()}
		r.pkts = sender.packets(t, 96, &codecs.VP8Payloader{}, append(outgrowingVP8(0), clip...))
		place := &simulcastPlace{
			take:  func(now time.Time, pkt []byte, mime string) bool { return s.videoActive(r.track, now, pkt, mime) },
			held:  func() bool { return s.videoCurrent.Load() == r.track },
			unfit: func(now time.Time) { s.videoSizes.markUnfit(r.track, now) },
		}
		go func() {
			defer close(r.done)
			readVideoPackets(&chanTrack{r.ch}, vp8, r.probe.in, place, func(int, time.Time) { r.handled <- struct{}{} })
		}()
		return r
	}
	a, b := mk(), mk()
	send := func(r *reader, n int) {
		for range n {
			r.ch <- r.pkts[0]
			r.pkts = r.pkts[1:]
			<-r.handled
		}
	}
	huge := len(a.pkts) - len(packetize(t, rtp.NewRandomSequencer(), 96, &codecs.VP8Payloader{}, clip, nil))
	send(a, huge) // A's keyframe, too large: A unfit
	send(b, huge) // B takes the place; its keyframe too large: B unfit
	before, interleaved := switched.Load(), len(a.pkts)+len(b.pkts)
	for len(a.pkts) > 0 || len(b.pkts) > 0 { // then both send a good clip, interleaved
		send(a, min(1, len(a.pkts)))
		send(b, min(1, len(b.pkts)))
	}
	close(a.ch)
	close(b.ch)
	<-a.done
	<-b.done
	pa, pb := a.probe.take()[image.Pt(640, 360)], b.probe.take()[image.Pt(640, 360)]
	t.Logf("pictures decoded: stream A %d, stream B %d (of %d frames each); place switched %d times while interleaving",
		pa, pb, len(clip), switched.Load()-before)
	if pa > 0 && pb > 0 && pa+pb > len(clip)+2 {
		t.Errorf("both streams decoded at once: %d + %d pictures of a %d-frame clip: one sender, two decoders", pa, pb, len(clip))
	}
	if n := switched.Load() - before; n > 4 {
		t.Errorf("the place switched %d times (an Info log line each) over %d interleaved packets", n, interleaved)
	}
}
