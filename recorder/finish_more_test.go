//go:build cgo

package recorder

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"mcu/internal/diskspace"
	"mcu/internal/mediatest"
)

// quietKilled writes a killed recording at dir/room/name, its mtime an
// hour ago (a killed server's file, long quiet).
func quietKilled(t *testing.T, dir, room, name string) (string, []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, room), 0o750); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, room, name)
	data := killedRecording(t, path)
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	return path, data
}

// markUnfinished makes a finished WebM file look as a killed writer left
// it: its Segment's size unknown.
func markUnfinished(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	seg := bytes.Index(data, []byte{0x18, 0x53, 0x80, 0x67})
	if seg < 0 || data[seg+4] != 0x01 {
		t.Fatalf("no 8-byte Segment size in %s", path)
	}
	copy(data[seg+4:], []byte{0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	if err := os.WriteFile(path, data, 0o640); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(path, old, old)
}

func streamsOf(t *testing.T, path string) []string {
	t.Helper()
	var s []string
	for _, st := range ffprobe(t, path).Streams {
		s = append(s, st.CodecName)
	}
	return s
}

// TestFinishForeignTracksKept: WebM files in a room folder that mcu did
// not write (a camera's dump by ffmpeg: VP8 with Vorbis sound, or with a
// second audio track), their Segment size unknown, keep every track:
// FinishAll finishes only files named and made as recordings are.
func TestFinishForeignTracksKept(t *testing.T) {
	dir := t.TempDir()
	room := filepath.Join(dir, "cam")
	os.MkdirAll(room, 0o750)
	cases := map[string][]string{
		"cam.webm": {"-f", "lavfi", "-i", "testsrc=size=320x180:rate=30", "-f", "lavfi", "-i", "sine=f=440",
			"-t", "2", "-c:v", "libvpx", "-c:a", "libvorbis"},
		"cam-20260101T000001Z.webm": {"-f", "lavfi", "-i", "testsrc=size=320x180:rate=30", "-f", "lavfi", "-i", "sine=f=440",
			"-f", "lavfi", "-i", "sine=f=880", "-t", "2", "-map", "0", "-map", "1", "-map", "2", "-c:v", "libvpx", "-c:a", "libopus"},
	}
	want := map[string][]string{}
	for name, args := range cases {
		path := filepath.Join(room, name)
		args = append(append([]string{"-v", "error", "-y"}, args...), "-f", "webm", path)
		if out, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
			t.Fatalf("ffmpeg: %v\n%s", err, out)
		}
		markUnfinished(t, path)
		want[name] = streamsOf(t, path)
	}
	got, _, err := FinishAll(context.Background(), dir, time.Minute, time.Now(), 0)
	t.Logf("FinishAll: %v, %v", got, err)
	for name, w := range want {
		if s := streamsOf(t, filepath.Join(room, name)); len(s) != len(w) {
			t.Errorf("%s: streams %v after FinishAll, %v before", name, s, w)
		}
	}
}

// TestFinishLiveRecordingKept: a recording being written (this server's,
// or another's sharing the folder) whose room's picture stalled for
// longer than quiet is left alone (its writer holds the file's lock): a
// copy renamed over it would send everything written afterwards, and its
// trailer, to the unlinked file.
func TestFinishLiveRecordingKept(t *testing.T) {
	dir := t.TempDir()
	rec, err := Start(dir, "room", time.Now(), WebMConfig{Width: 320, Height: 180, FPS: 30}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	c := newClip(t)
	vi, ai := 0, 0
	feed := func(until time.Duration) {
		for {
			vt, at := time.Duration(vi)*time.Second/30, time.Duration(ai)*20*time.Millisecond
			if vt >= until && at >= until {
				return
			}
			if vt <= at {
				f, err := c.videoFrame(vi)
				if err != nil {
					t.Fatal(err)
				}
				rec.Video(f)
				vi++
			} else {
				f, err := c.audioFrame(ai)
				if err != nil {
					t.Fatal(err)
				}
				rec.Audio(f)
				ai++
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
	feed(2 * time.Second)
	time.Sleep(300 * time.Millisecond) // the room's encoder stalls
	got, _, err := FinishAll(context.Background(), dir, 200*time.Millisecond, time.Now(), 0)
	t.Logf("FinishAll during the stall: %v, %v", got, err)
	feed(5 * time.Second)
	path, err := rec.Stop()
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	video := 0
	for _, b := range mediatest.WebMBlocks(data) {
		if b.Track == 1 {
			video++
		}
	}
	if video < 140 {
		t.Errorf("the recording holds %d pictures, want 150 (5 s at 30 fps)", video)
	}
}

// TestFinishCancelIsQuick: a stop (SIGTERM) during FinishAll ends it at
// once: no file under way or still to come is given a trailer and synced
// (a slow disk here) before it is removed.
func TestFinishCancelIsQuick(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"r-20260101T000001Z.webm", "r-20260101T000002Z.webm", "r-20260101T000003Z.webm"} {
		quietKilled(t, dir, "r", n)
	}
	replaceSync(t, func(f *os.File, real func(*os.File) error) error {
		time.Sleep(2 * time.Second) // a slow disk: a GB-sized file's dirty pages
		return real(f)
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // SIGTERM came
	start := time.Now()
	got, _, err := FinishAll(ctx, dir, time.Minute, time.Now(), 0)
	if d := time.Since(start); d > time.Second {
		t.Errorf("FinishAll cancelled took %v (%v, %v); want it to stop at once", d, got, err)
	}
}

// TestFinishLeavesOthersTemp: two servers sharing the folder start
// together and finish the same file: the second leaves it, and the first's
// .finishing file, alone.
func TestFinishLeavesOthersTemp(t *testing.T) {
	dir := t.TempDir()
	killed, _ := quietKilled(t, dir, "r", "r-20260101T000001Z.webm")
	theirs := []byte("another server's finish under way")
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	name := filepath.Join("r", "r-20260101T000001Z.webm")
	defer otherServerFinishing(t, root, name, theirs)()
	_, err = finishLocked(context.Background(), root, name, killed)
	t.Logf("finishInPlace: %v", err)
	if b, err := os.ReadFile(killed + finishingSuffix); err != nil || !bytes.Equal(b, theirs) {
		t.Errorf("the other server's .finishing file: %q, %v; want it untouched", b, err)
	}
}

// TestFinishKeepsModeAndTime: the finished file keeps the original's mode
// (an operator's chmod, say 0644 for a web server to serve the
// recordings) and time (the meeting's end, for retention by mtime).
func TestFinishKeepsModeAndTime(t *testing.T) {
	dir := t.TempDir()
	killed, _ := quietKilled(t, dir, "r", "r-20260101T000001Z.webm")
	if err := os.Chmod(killed, 0o644); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(killed)
	if _, _, err := FinishAll(context.Background(), dir, time.Minute, time.Now(), 0); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(killed)
	if after.Mode() != before.Mode() {
		t.Errorf("mode %v after, %v before", after.Mode(), before.Mode())
	}
	if !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("mtime %v after, %v before", after.ModTime(), before.ModTime())
	}
}

// TestFinishKeepsMinFree: a file whose copy would take the disk below
// -record-min-free is not finished, so a live recording on the same disk
// goes on taking frames (under the minimum it would stop for good). The
// disk's free space is faked: 300 MiB less what the .finishing files
// take, and a finish is held at its final sync (a slow disk).
func TestFinishKeepsMinFree(t *testing.T) {
	dir := t.TempDir()
	_, data := quietKilled(t, dir, "old", "old-20260101T000001Z.webm")
	const base = 300 << 20
	realFree := diskspace.Free
	t.Cleanup(func() { diskspace.Free = realFree })
	diskspace.Free = func(string) (uint64, bool) {
		used := uint64(0)
		filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
			if err == nil && filepath.Ext(p) == finishingSuffix {
				used += uint64(fi.Size())
			}
			return nil
		})
		return base - used, true
	}
	minFree := uint64(base - len(data)/2)
	hold, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	replaceSync(t, func(f *os.File, real func(*os.File) error) error {
		if filepath.Ext(f.Name()) == finishingSuffix {
			once.Do(func() { close(hold) })
			<-release
		}
		return real(f)
	})
	rec, err := Start(dir, "room", time.Now(), WebMConfig{Width: 320, Height: 180, FPS: 30, MinFree: minFree}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, _, err := FinishAll(context.Background(), dir, time.Minute, time.Now(), minFree)
		done <- err
	}()
	var finishErr error
	finished := false
	select {
	case <-hold:
	case finishErr = <-done:
		finished = true
		t.Logf("FinishAll done before its sync: %v", finishErr)
	}
	c := newClip(t)
	for i := range 90 {
		f, _ := c.videoFrame(i)
		rec.Video(f)
		time.Sleep(time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	close(release)
	if !finished {
		finishErr = <-done
	}
	t.Logf("FinishAll: %v", finishErr)
	if err := rec.Err(); err != nil {
		t.Errorf("the live recording stopped taking frames while a file was finished: %v", err)
	}
	rec.Stop()
}

// TestFinishDamagedClusterKept: a recording with one damaged cluster in
// the middle (its Timestamp read far later than it was) is left as it is:
// the writer would refuse each frame after that cluster as out of order,
// and a copy ending there would replace the whole file.
func TestFinishDamagedClusterKept(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "r"), 0o750)
	path := filepath.Join(dir, "r", "r-20260101T000001Z.webm")
	w, err := CreateWebM(path, WebMConfig{Width: 320, Height: 180, FPS: 30})
	if err != nil {
		t.Fatal(err)
	}
	if err := newClip(t).write(w, 8*time.Second, false); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	w.Close()
	var clusters []int
	for i := 0; i+4 < len(data); i++ {
		if string(data[i:i+4]) == "\x1f\x43\xb6\x75" {
			clusters = append(clusters, i)
		}
	}
	mid := clusters[len(clusters)/2]
	for i := mid + 4; i < mid+20; i++ {
		if data[i] == 0xe7 { // the cluster's Timestamp
			data[i+2] = 0x7f
			break
		}
	}
	os.WriteFile(path, data, 0o640)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(path, old, old)
	before := len(mediatest.WebMBlocks(data))
	got, _, err := FinishAll(context.Background(), dir, time.Minute, time.Now(), 0)
	t.Logf("FinishAll: %v, %v", got, err)
	after, _ := os.ReadFile(path)
	if n := len(mediatest.WebMBlocks(after)); n < before {
		t.Errorf("%d blocks after FinishAll, %d before", n, before)
	}
}

// otherServerFinishing: another server holds the recording's lock and
// has created its .finishing file.
func otherServerFinishing(t *testing.T, root *os.Root, name string, theirs []byte) func() {
	f, err := root.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := lockFile(f); !ok || err != nil {
		t.Fatal("lock", err)
	}
	if err := root.WriteFile(name+finishingSuffix, theirs, 0o640); err != nil {
		t.Fatal(err)
	}
	return func() { f.Close() }
}
