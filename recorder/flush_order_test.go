//go:build cgo

package recorder

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mcu/internal/mediatest"
)

// checkBlockOrder reports cluster timecodes that go back, and blocks
// written after a block of the other track that is later by more than
// slack.
func checkBlockOrder(t *testing.T, path string, slack int64) (backClusters, late int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blocks := mediatest.WebMBlocks(data)
	lastCluster, prevCTC := -1, int64(-1)
	maxAbs := map[int]int64{}
	worst := int64(0)
	for i, b := range blocks {
		if b.Cluster != lastCluster {
			if b.Timecode < prevCTC {
				backClusters++
				if backClusters <= 3 {
					t.Logf("cluster %d timecode %d ms after cluster timecode %d ms", b.Cluster, b.Timecode, prevCTC)
				}
			}
			lastCluster, prevCTC = b.Cluster, b.Timecode
		}
		for tr, m := range maxAbs {
			if tr != b.Track && m-b.At > slack {
				late++
				worst = max(worst, m-b.At)
				if late <= 3 {
					t.Logf("block %d (track %d at %d ms) written after track %d's block at %d ms", i, b.Track, b.At, tr, m)
				}
			}
		}
		maxAbs[b.Track] = max(maxAbs[b.Track], b.At)
	}
	t.Logf("%d blocks, %d clusters; %d clusters going back; %d blocks behind the other track by > %d ms (worst %d ms)",
		len(blocks), lastCluster+1, backClusters, late, slack, worst)
	return backClusters, late
}

func ffmpegWarnings(t *testing.T, path string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, _ := exec.CommandContext(ctx, "ffmpeg", "-v", "warning", "-nostdin", "-i", path, "-f", "null", "-").CombinedOutput()
	return strings.TrimSpace(string(out))
}

// recordWithLag writes 8 s: audio every 20 ms on time; video at 30 fps
// handed to the writer lag after the audio of its time, missing from
// pauseFrom to pauseTo (a keyframe on resume).
func recordWithLag(t *testing.T, reproducible bool, lag, pauseFrom, pauseTo time.Duration) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), fmt.Sprintf("r%v.webm", reproducible))
	w, err := CreateWebM(path, WebMConfig{Width: 320, Height: 180, FPS: 30, Reproducible: reproducible})
	if err != nil {
		t.Fatal(err)
	}
	c := newClip(t)
	const total = 8 * time.Second
	vi, ai := 0, 0
	resumed := false
	for {
		vt, at := time.Duration(vi)*time.Second/30, time.Duration(ai)*20*time.Millisecond
		if vt >= total && at >= total {
			break
		}
		if vt < total && (vt+lag <= at || at >= total) {
			f, err := c.videoFrame(vi)
			if err != nil {
				t.Fatal(err)
			}
			vi++
			if vt >= pauseFrom && vt < pauseTo {
				continue
			}
			if vt >= pauseTo && !resumed && pauseTo > pauseFrom {
				resumed = true
				if f, err = c.video.Encode(&c.pic.YCbCr, vt, true); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.WriteVideo(f); err != nil {
				t.Fatal(err)
			}
			continue
		}
		f, err := c.audioFrame(ai)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteAudio(f); err != nil {
			t.Fatal(err)
		}
		ai++
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestFlushOrder: the picture handed to the writer late (the
// encoder's latency) — steadily, by more than the 500 ms interleave
// limit, or after a 2 s pause. The blocks are in time order, as in a
// reproducible file (no flush: the control), and clusters never go back;
// only pictures coming late after a pause (whose sound went to the disk
// meanwhile) are written after sound later than them, those of the lag
// (300 ms: 8 pictures).
func TestFlushOrder(t *testing.T) {
	for _, tc := range []struct {
		name                string
		lag, pause0, pause1 time.Duration
		late                int // blocks allowed out of order beyond the control's
	}{
		{"video 1.5 s late", 1500 * time.Millisecond, 0, 0, 0},
		{"video 600 ms late", 600 * time.Millisecond, 0, 0, 0},
		{"video 60 ms late, 2 s pause", 60 * time.Millisecond, 2 * time.Second, 4 * time.Second, 0},
		{"video 300 ms late, 2 s pause", 300 * time.Millisecond, 2 * time.Second, 4 * time.Second, 9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var back, late [2]int
			for i, repro := range []bool{true, false} {
				path := recordWithLag(t, repro, tc.lag, tc.pause0, tc.pause1)
				back[i], late[i] = checkBlockOrder(t, path, 40)
				t.Logf("reproducible=%v ffmpeg warnings: %q", repro, ffmpegWarnings(t, path))
			}
			if back[1] > back[0] {
				t.Errorf("%d cluster timecodes go back (reproducible control: %d)", back[1], back[0])
			}
			if late[1] > late[0]+tc.late {
				t.Errorf("%d blocks written after the other track's later blocks (reproducible control: %d)", late[1], late[0])
			}
		})
	}
}
