//go:build cgo

package codec

import (
	"io"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// After maxDecodeErrors errors in a row the decoder starts over with a
// fresh context (it forgets the stream's size); errors with pictures
// between them do not add up.
func TestDecoderRestartsAfterErrorsInARow(t *testing.T) {
	key := firstPacket(t, "../testdata/p01.ivf").Data
	bad := []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0xff, 0xff, 0xff, 0xff}
	f := &Frame{}
	good := func(d *VideoDecoder) {
		t.Helper()
		if err := d.Send(key, 0); err != nil {
			t.Fatal(err)
		}
		if ok, err := d.Receive(f); !ok || err != nil {
			t.Fatalf("keyframe: %v %v", ok, err)
		}
	}
	d := newTestDecoder(t, VP8)
	good(d)
	px := d.Pixels()
	for i := range maxDecodeErrors {
		if err := d.Send(bad, 0); err == nil {
			t.Fatalf("bad frame %d taken", i)
		}
		d.Receive(f)
		if d.Pixels() != px {
			t.Fatalf("errors with pictures between them restarted the decoder")
		}
		good(d) // a picture between errors
	}
	for range maxDecodeErrors {
		d.Send(bad, 0)
		d.Receive(f)
	}
	if d.Pixels() != 0 {
		t.Errorf("%d errors in a row did not restart the decoder", maxDecodeErrors)
	}
	good(d)
}

// A decoder that starts at an H.264 recovery point (an intra-refresh
// stream, no IDR) holds back recovery_frame_cnt pictures; an IDR picture
// during that time ends the holding back.
func TestDecoderHidesUntilRecovered(t *testing.T) {
	aus, start, hide := refreshClip(t)
	count := func(seq [][]byte) int {
		return countFrom(t, nil, seq)
	}
	// A decoder that has seen the stream's IDR before a loss.
	lossAt := start - 7
	if lossAt < 2 {
		t.Fatalf("recovery point at %d: too early", start)
	}
	seq0 := aus[start:]
	if got, want := countFrom(t, aus[:lossAt], seq0), len(seq0)-hide; got != want {
		t.Errorf("after an IDR and a loss, from the recovery point (%d to recover): %d pictures of %d, want %d", hide, got, len(seq0), want)
	}
	// The IDR (the stream's first picture) right after the recovery point:
	// everything from it is shown.
	withIDR := append([][]byte{aus[start]}, aus[:hide+5]...)
	if got, want := count(withIDR), len(withIDR)-1; got != want {
		t.Errorf("an IDR after the recovery point: %d pictures, want %d", got, want)
	}
}

// A fresh decoder (a participant joining an intra-refresh stream, or a
// decoder restarted after errors) that starts at a recovery point holds
// back recovery_frame_cnt pictures, not twice as many: FFmpeg already
// holds them back itself in a context that has seen no IDR.
func TestFreshDecoderHidesOnce(t *testing.T) {
	aus, start, hide := refreshClip(t)
	count := func(seq [][]byte) int { return countFrom(t, nil, seq) }
	seq := aus[start:]
	if got, want := count(seq), len(seq)-hide; got != want {
		t.Errorf("a fresh decoder from the recovery point (%d to recover): %d pictures of %d, want %d", hide, got, len(seq), want)
	}
}

// countFrom decodes before (counting nothing), then tells the decoder
// frames were lost and decodes seq, and counts the pictures of seq.
func countFrom(t *testing.T, before, seq [][]byte) int {
	d := newTestDecoder(t, H264)
	f := &Frame{}
	drain := func() int {
		n := 0
		for {
			ok, _ := d.Receive(f)
			if !ok {
				return n
			}
			n++
		}
	}
	for i, au := range before {
		if err := d.Send(au, time.Duration(i)); err != nil {
			t.Fatalf("before: %v", err)
		}
		drain()
	}
	d.WaitKeyframe()
	n := 0
	for i, au := range seq {
		d.Send(au, time.Duration(1000+i))
		n += drain()
	}
	d.Flush()
	return n + drain()
}

// refreshClip is an intra-refresh H.264 clip's access units, the first
// recovery point after its IDR, and its recovery_frame_cnt.
func refreshClip(t *testing.T) (aus [][]byte, start, hide int) {
	clip := filepath.Join(t.TempDir(), "refresh.h264")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x180:rate=30", "-frames:v", "60",
		"-c:v", "libx264", "-bf", "0", "-x264-params", "intra-refresh=1:keyint=20", "-f", "h264", clip).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	in, err := OpenInput(clip)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	for {
		p, err := in.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		aus = append(aus, p.Data)
	}
	start = -1
	for i, au := range aus {
		if n, ok := H264RecoveryPoint(au); ok && i > 0 && !IsKeyframe(H264, au) {
			start, hide = i, n
			break
		}
	}
	if start < 0 || hide == 0 {
		t.Fatalf("no recovery point with frames to recover in %d access units", len(aus))
	}
	return aus, start, hide
}
