package client

import (
	"context"
	"math"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4/pkg/media"

	"mcu/codec"
	"mcu/internal/mediatest"
)

// TestSendOnceStepsByWhatOpusCodes: every Opus packet of a clip goes out
// with the 20 ms it codes, the last one too, which the Ogg demuxer gives
// less (the stream's end trimmed), and the clip's length is a whole number
// of packets: the next loop then starts right after the last packet, its
// RTP time not overlapping it.
func TestSendOnceStepsByWhatOpusCodes(t *testing.T) {
	var samples []media.Sample
	write := func(s media.Sample) error { samples = append(samples, s); return nil }
	// A start long past: nothing waits.
	length, err := sendOnce(context.Background(), mediatest.TestdataPath(t, "p01.ogg"), codec.Audio, write, time.Now().Add(-time.Hour), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(samples) < 100 {
		t.Fatalf("%d packets sent", len(samples))
	}
	for i, s := range samples {
		if s.Duration != 20*time.Millisecond {
			t.Errorf("packet %d of %d sent as lasting %v, want the 20 ms it codes", i, len(samples), s.Duration)
		}
	}
	if want := time.Duration(len(samples)) * 20 * time.Millisecond; length != want {
		t.Errorf("the clip's length %v, want %v: %d packets of 20 ms", length, want, len(samples))
	}
}

// videoPackets reads the times (in the file's order) of a file's video
// packets, and when the last picture ends, as ffprobe sees them, counted
// from the file's start (its earliest stream's), as mcu reads files.
func videoPackets(t *testing.T, path string) (pts []time.Duration, end time.Duration) {
	t.Helper()
	probe := func(args ...string) string {
		out, err := exec.Command("ffprobe", append([]string{"-v", "error", "-of", "csv=p=0"}, append(args, path)...)...).Output()
		if err != nil {
			t.Fatalf("ffprobe %s: %v", path, err)
		}
		return string(out)
	}
	seconds := func(s string) time.Duration {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			t.Fatalf("ffprobe %s: %v", path, err)
		}
		return time.Duration(math.Round(f*1e6)) * time.Microsecond
	}
	start := seconds(probe("-show_entries", "format=start_time"))
	for line := range strings.Lines(probe("-select_streams", "v", "-show_entries", "packet=pts_time,duration_time")) {
		p, d, ok := strings.Cut(strings.TrimSpace(line), ",")
		if !ok {
			t.Fatalf("ffprobe %s: %q", path, line)
		}
		at := seconds(p) - start
		pts = append(pts, at)
		end = max(end, at+seconds(d))
	}
	return pts, end
}

// TestSendOnceStepsOverTheLead: a stream that starts after the file's 0
// (p12.webm's video, 7 ms in) steps its RTP clock by the whole loop, lead
// included (and the file's audio, 7 ms before 0, which is the file's
// start), so that the next loop's packets are stamped as they are sent.
func TestSendOnceStepsOverTheLead(t *testing.T) {
	path := mediatest.TestdataPath(t, "p12.webm")
	pts, end := videoPackets(t, path)
	if pts[0] <= 0 {
		t.Fatalf("the clip's video starts at %v: no lead to test", pts[0])
	}
	var sum time.Duration
	n := 0
	write := func(s media.Sample) error { sum += s.Duration; n++; return nil }
	length, err := sendOnce(context.Background(), path, codec.Video, write, time.Now().Add(-time.Hour), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(pts) {
		t.Errorf("%d pictures sent of %d", n, len(pts))
	}
	// The loop lasts from the file's start to the end of its last picture.
	if length != end || sum != length {
		t.Errorf("a loop lasts %v and its pictures step the RTP clock by %v; the video ends at %v, %v after its first picture", length, sum, end, end-pts[0])
	}
}

// TestSendOnceWithBFrames: pictures sent in decoding order (B-frames, shown
// before one sent earlier) step the RTP clock forward, and a loop's steps
// still add up to its length: the clock does not run ahead of the sending.
func TestSendOnceWithBFrames(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.mp4")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=s=160x90:r=30:d=2",
		"-c:v", "libx264", "-bf", "3", "-g", "30", path).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	pts, end := videoPackets(t, path)
	var sum time.Duration
	var steps []time.Duration
	write := func(s media.Sample) error { sum += s.Duration; steps = append(steps, s.Duration); return nil }
	length, err := sendOnce(context.Background(), path, codec.Video, write, time.Now().Add(-time.Hour), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != len(pts) || len(steps) != 60 {
		t.Fatalf("%d pictures sent; the file has %d, ffmpeg was asked for 60", len(steps), len(pts))
	}
	if length != end || sum != length {
		t.Errorf("a loop lasts %v and its pictures step the RTP clock by %v; the video ends at %v", length, sum, end)
	}
	if !slices.ContainsFunc(pts[1:], func(p time.Duration) bool { return p < pts[0] }) && slices.IsSorted(pts) {
		t.Fatal("the file's pictures are in display order: no B-frames to test")
	}
	// Each picture's RTP time (the steps before it) is the latest time
	// shown so far; a picture shown before an earlier one steps 1 ms
	// (so k in a row are k ms ahead), which the next picture beyond the
	// latest makes up for. (The file's times are rounded to µs.)
	const rounding = 10 * time.Microsecond
	var at, hi time.Duration
	behind := 0 // pictures in a row shown before the latest
	for i, p := range pts {
		if p > hi || i == 0 {
			hi, behind = p, 0
		} else {
			behind++
		}
		if d := at - hi; d < -rounding || d > time.Duration(behind)*time.Millisecond+rounding {
			t.Errorf("picture %d (at %v in the file) stamped at %v, the latest picture so far at %v", i, p, at, hi)
		}
		if steps[i] <= 0 {
			t.Errorf("picture %d steps the clock by %v", i, steps[i])
		}
		at += steps[i]
	}
}

// TestSendOnceAudioStepsOverTheLead: sound that starts after the file's 0
// (here 100 ms after its video) steps its RTP clock by the whole loop, lead
// included, in its last packet: every other packet steps the 20 ms it
// codes, and the steps add up to the loop's length, the end of the last
// packet.
func TestSendOnceAudioStepsOverTheLead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lead.webm")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=s=160x90:r=30:d=1",
		"-f", "lavfi", "-i", "sine=f=440:d=1", "-af", "asetpts=PTS+0.1/TB", "-c:v", "libvpx", "-c:a", "libopus", path).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	probe := func(args ...string) float64 {
		out, err := exec.Command("ffprobe", append([]string{"-v", "error", "-of", "csv=p=0"}, append(args, path)...)...).Output()
		if err != nil {
			t.Fatalf("ffprobe %s: %v", path, err)
		}
		first, _, _ := strings.Cut(string(out), "\n")
		f, err := strconv.ParseFloat(strings.TrimSpace(first), 64)
		if err != nil {
			t.Fatalf("ffprobe %s: %q", path, out)
		}
		return f
	}
	// The sound's first packet, counted from the file's start (ffmpeg
	// moves it a little before the 100 ms, by the encoder's delay).
	seconds := probe("-select_streams", "a", "-show_entries", "packet=pts_time") - probe("-show_entries", "format=start_time")
	lead := time.Duration(math.Round(seconds*1e6)) * time.Microsecond
	if lead < 50*time.Millisecond {
		t.Fatalf("the clip's sound starts at %v: no lead to test", lead)
	}
	var steps []time.Duration
	var sum time.Duration
	write := func(s media.Sample) error { sum += s.Duration; steps = append(steps, s.Duration); return nil }
	length, err := sendOnce(context.Background(), path, codec.Audio, write, time.Now().Add(-time.Hour), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) < 40 {
		t.Fatalf("%d packets sent of about 50", len(steps))
	}
	for i, d := range steps[:len(steps)-1] {
		if d != 20*time.Millisecond {
			t.Errorf("packet %d of %d steps %v, want the 20 ms it codes", i, len(steps), d)
		}
	}
	end := lead + time.Duration(len(steps))*20*time.Millisecond
	if length != end || sum != length {
		t.Errorf("a loop lasts %v and its packets step the RTP clock by %v; want both %v: the sound's %v lead and %d packets of 20 ms",
			length, sum, end, lead, len(steps))
	}
}

// TestSoundLoopsWithThePicture: a participant's sound in a file beside
// their picture (p01.ogg, 153 packets of 20 ms, beside p01.ivf's 3 s)
// loops with the picture: each loop's packets step its RTP clock by the
// picture's length in all, so that over a long run sound and picture keep
// together (they drifted 60 ms apart a loop), and a sound shorter than the
// picture pauses until the picture's loop ends.
func TestSoundLoopsWithThePicture(t *testing.T) {
	ctx := context.Background()
	picture, err := streamLength(ctx, mediatest.TestdataPath(t, "p01.ivf"), codec.Video)
	if err != nil {
		t.Fatal(err)
	}
	sound, err := streamLength(ctx, mediatest.TestdataPath(t, "p01.ogg"), codec.Audio)
	if err != nil {
		t.Fatal(err)
	}
	if picture != 3*time.Second || sound <= picture {
		t.Fatalf("p01.ivf lasts %v and p01.ogg %v: want 3 s and a little more", picture, sound)
	}
	for _, period := range []time.Duration{picture, sound + 500*time.Millisecond} {
		var steps time.Duration
		write := func(s media.Sample) error { steps += s.Duration; return nil }
		length, err := sendOnce(ctx, mediatest.TestdataPath(t, "p01.ogg"), codec.Audio, write, time.Now().Add(-time.Hour), 0, period)
		if err != nil {
			t.Fatal(err)
		}
		if length != period || steps != period {
			t.Errorf("a loop of %v: the sound's loop is %v long and its packets step %v, want both %v", period, length, steps, period)
		}
	}
}
