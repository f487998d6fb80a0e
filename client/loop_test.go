package client

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"mcu/codec"
	"mcu/internal/mediatest"

	"github.com/pion/rtp/codecs"
)

// checkStream checks one stream's packets as received: sequence numbers
// without a gap or a jump, RTP times stepping by step (±tol ticks) from
// one picture/packet to the next, loop boundaries included, and RTP time
// following the wall clock (no drift) within slack.
func checkStream(t *testing.T, name string, pkts []fakePkt, clock float64, step, tol int64, slack time.Duration) {
	t.Helper()
	if len(pkts) < 20 {
		t.Fatalf("%s: %d packets received", name, len(pkts))
	}
	for i := 1; i < len(pkts); i++ {
		if d := pkts[i].pkt.SequenceNumber - pkts[i-1].pkt.SequenceNumber; d != 1 {
			t.Errorf("%s: packet %d: sequence number %d after %d (step %d)", name, i, pkts[i].pkt.SequenceNumber, pkts[i-1].pkt.SequenceNumber, int16(d))
		}
	}
	// First packet of each RTP time (a picture, or an audio packet).
	var ts []int64
	var at []time.Time
	var ext int64
	var last uint32
	for i, p := range pkts {
		if i == 0 {
			ext, last = 0, p.pkt.Timestamp
			ts, at = append(ts, 0), append(at, p.at)
			continue
		}
		d := int64(int32(p.pkt.Timestamp - last))
		last = p.pkt.Timestamp
		if d == 0 {
			continue
		}
		ext += d
		ts, at = append(ts, ext), append(at, p.at)
	}
	bad := 0
	for i := 1; i < len(ts); i++ {
		if d := ts[i] - ts[i-1]; d < step-tol || d > step+tol {
			bad++
			if bad < 10 {
				t.Errorf("%s: RTP time steps %d ticks (%.1f ms) at unit %d of %d (%.2f s in), want %d±%d", name, d, float64(d)/clock*1000, i, len(ts), at[i].Sub(at[0]).Seconds(), step, tol)
			}
		}
	}
	// RTP time vs arrival: the offset wall-media, relative to the least
	// (the least-delayed packet).
	offs := make([]time.Duration, len(ts))
	for i := range ts {
		media := time.Duration(float64(ts[i]) / clock * float64(time.Second))
		offs[i] = at[i].Sub(at[0]) - media
	}
	lo := slices.Min(offs)
	worst := time.Duration(0)
	for _, o := range offs {
		worst = max(worst, o-lo)
	}
	// The median offset in the first and in the last second.
	med := func(xs []time.Duration) time.Duration {
		s := slices.Clone(xs)
		slices.Sort(s)
		return s[len(s)/2]
	}
	n := len(offs) / 8
	first, lastm := med(offs[:n]), med(offs[len(offs)-n:])
	for i, o := range offs {
		if o-lo > 15*time.Millisecond {
			t.Logf("%s: unit %d (%.3f s in) late by %v", name, i, at[i].Sub(at[0]).Seconds(), o-lo)
		}
	}
	t.Logf("%s: %d packets, %d units, RTP %.3f s over %.3f s of arrivals; drift (median offset, end - start) %v, worst lateness %v",
		name, len(pkts), len(ts), float64(ts[len(ts)-1])/clock, at[len(at)-1].Sub(at[0]).Seconds(), lastm-first, worst)
	if d := lastm - first; d > slack || d < -slack {
		t.Errorf("%s: RTP time drifts %v against the wall clock over %.1f s", name, d, at[len(at)-1].Sub(at[0]).Seconds())
	}
}

func sendToFakePeer(t *testing.T, opts Options, d time.Duration) *fakePeer {
	t.Helper()
	peer := fakeStart(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	opts.Server, opts.Room = peer.srv.URL, "r"
	if opts.Endpoint == "" {
		opts.Endpoint = WHIP
	}
	c, err := Connect(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Connected():
	case <-time.After(10 * time.Second):
		c.Close()
		t.Fatal("not connected")
	}
	time.Sleep(d)
	if err := c.Leave(ctx); err != nil {
		t.Log("leave:", err)
	}
	if err := c.Err(); err != nil {
		t.Errorf("sending: %v", err)
	}
	return peer
}

// TestLoopVP8Opus: p01.ivf and p01.ogg (3 s each) sent over three
// loop boundaries.
func TestLoopVP8Opus(t *testing.T) {
	t.Parallel()
	peer := sendToFakePeer(t, Options{Video: mediatest.TestdataPath(t, "p01.ivf"), Audio: mediatest.TestdataPath(t, "p01.ogg")}, 5*time.Second) // past the 3 s clips' first loop
	checkStream(t, "video", peer.packets("video"), 90000, 3000, 2, 30*time.Millisecond)
	checkStream(t, "audio", peer.packets("audio"), 48000, 960, 0, 30*time.Millisecond)
	// The sound (153 packets, 3.06 s) loops with the picture (3 s): its
	// first packet comes again 3 s of RTP time later, not 3.06 s.
	audio := peer.packets("audio")
	again := slices.IndexFunc(audio[1:], func(p fakePkt) bool { return bytes.Equal(p.pkt.Payload, audio[0].pkt.Payload) })
	if again < 0 {
		t.Errorf("the sound's first packet never came again in %d packets", len(audio))
	} else if d := audio[again+1].pkt.Timestamp - audio[0].pkt.Timestamp; d != 3*48000 {
		t.Errorf("the sound's second loop starts %d ticks (%.3f s) after its first, want the picture's 3 s", d, float64(d)/48000)
	}
	// The first picture sent is the clip's first, a keyframe.
	var vp8 codecs.VP8Packet
	first := peer.packets("video")[0]
	payload, err := vp8.Unmarshal(first.pkt.Payload)
	if err != nil || vp8.S != 1 || !codec.IsKeyframe(codec.VP8, payload) {
		t.Errorf("the first video packet received is not the start of a keyframe (seq %d)", first.pkt.SequenceNumber)
	}
}

// TestLoopOpusFrames: Opus of 10, 40 and 60 ms packets, looped.
func TestLoopOpusFrames(t *testing.T) {
	t.Parallel()
	for _, ms := range []int{10, 40, 60} {
		t.Run(fmt.Sprint(ms), func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "a.ogg")
			if out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=f=440:r=48000:d=2", "-ac", "2",
				"-c:a", "libopus", "-frame_duration", fmt.Sprint(ms), path).CombinedOutput(); err != nil {
				t.Fatalf("ffmpeg: %v %s", err, out)
			}
			peer := sendToFakePeer(t, Options{Audio: path}, 5*time.Second)
			checkStream(t, "audio", peer.packets("audio"), 48000, int64(48*ms), 0, 30*time.Millisecond)
		})
	}
}

// TestLoopH264: p01.h264 (Annex B, SPS and PPS before each IDR):
// every IDR is preceded, at its RTP time, by a STAP-A of SPS and PPS.
func TestLoopH264(t *testing.T) {
	t.Parallel()
	checkH264Keyframes(t, mediatest.TestdataPath(t, "p01.h264"))
}

// TestLoopH264MP4: H.264 in MP4 (SPS and PPS in the header only),
// with B-frames: SPS/PPS before each IDR, as the Annex B filter adds them.
func TestLoopH264MP4(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "b.mp4")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=s=160x90:r=30:d=2",
		"-c:v", "libx264", "-bf", "2", "-g", "30", "-pix_fmt", "yuv420p", path).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	checkH264Keyframes(t, path)
}

// checkH264Keyframes sends path (an IDR a second) for a few seconds and
// checks that every IDR follows a STAP-A of its SPS and PPS.
func checkH264Keyframes(t *testing.T, path string) {
	const sent = 5 * time.Second
	peer := sendToFakePeer(t, Options{Video: path}, sent)
	pkts := peer.packets("video")
	if filepath.Ext(path) == ".h264" {
		checkStream(t, "video", pkts, 90000, 3000, 2, 30*time.Millisecond)
	}
	idrs := 0
	for i, p := range pkts {
		pl := p.pkt.Payload
		if len(pl) < 2 {
			continue
		}
		idr := pl[0]&0x1f == 5 || (pl[0]&0x1f == 28 && pl[1]&0x80 != 0 && pl[1]&0x1f == 5)
		if !idr {
			continue
		}
		idrs++
		ok := false
		for j := i - 1; j >= 0 && pkts[j].pkt.Timestamp == p.pkt.Timestamp; j-- {
			q := pkts[j].pkt.Payload
			if len(q) > 0 && q[0]&0x1f == 24 {
				var types []byte
				for k := 1; k+2 < len(q); {
					n := int(q[k])<<8 | int(q[k+1])
					types = append(types, q[k+2]&0x1f)
					k += 2 + n
				}
				ok = slices.Contains(types, 7) && slices.Contains(types, 8)
			}
		}
		if !ok {
			t.Errorf("IDR at packet %d (ts %d) without a STAP-A of SPS and PPS before it", i, p.pkt.Timestamp)
		}
	}
	if want := int(sent/time.Second) - 1; idrs < want { // the last second may be cut short
		t.Errorf("%d IDRs in %v of a clip with one a second, want %d or more", idrs, sent, want)
	}
	t.Logf("%d IDRs", idrs)
}
