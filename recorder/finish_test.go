//go:build cgo

package recorder

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"mcu/internal/mediatest"
)

// killedRecording is a recording as a killed writer leaves it: 2.5 s
// written and its clusters flushed, never closed (what the file holds at
// a SIGKILL; TestWebMSurvivesKill kills a real writer).
func killedRecording(t *testing.T, path string) []byte {
	t.Helper()
	w, err := CreateWebM(path, WebMConfig{Width: 320, Height: 180, FPS: 30})
	if err != nil {
		t.Fatal(err)
	}
	if err := newClip(t).write(w, 2500*time.Millisecond, false); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	if err := os.WriteFile(path, data, 0o640); err != nil {
		t.Fatal(err)
	}
	return data
}

// TestFinishAll: a recording a killed server left unfinished (no Cues, no
// Duration: players cannot seek in it) is finished in place at the next
// start: the same blocks at the same times, then Cues and a Duration. A
// file written to lately, a finished one, one in a room folder that is a
// link, and the leftover of a finish cut short are handled as they must.
func TestFinishAll(t *testing.T) {
	dir := t.TempDir()
	room := filepath.Join(dir, "r")
	if err := os.Mkdir(room, 0o750); err != nil {
		t.Fatal(err)
	}
	killed := filepath.Join(room, "r-20260101T000001Z.webm")
	before := killedRecording(t, killed)
	killedInfo, _ := os.Stat(killed)
	if un, err := Unfinished(killed); err != nil || !un {
		t.Fatalf("a killed recording: unfinished %v, %v; want true", un, err)
	}
	if mediatest.WebMElements(before)[mediatest.EBMLCues] != 0 {
		t.Fatal("the killed recording has Cues already")
	}
	// A finished recording is left as it is.
	finished := filepath.Join(room, "r-20260101T000002Z.webm")
	w, err := CreateWebM(finished, WebMConfig{Width: 320, Height: 180, FPS: 30})
	if err != nil {
		t.Fatal(err)
	}
	if err := newClip(t).write(w, time.Second, false); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if un, err := Unfinished(finished); err != nil || un {
		t.Fatalf("a finished recording: unfinished %v, %v; want false", un, err)
	}
	finishedBytes, _ := os.ReadFile(finished)
	// An unfinished recording in a folder reached through a link: not
	// followed.
	elsewhere := t.TempDir()
	linked := filepath.Join(elsewhere, "l-20260101T000001Z.webm")
	killedRecording(t, linked)
	if err := os.Symlink(elsewhere, filepath.Join(dir, "l")); err != nil {
		t.Fatal(err)
	}
	// The leftover of a finish cut short.
	leftover := killed + finishingSuffix
	if err := os.WriteFile(leftover, before[:100], 0o640); err != nil {
		t.Fatal(err)
	}

	// Written to within quiet: another server may be writing it.
	now := time.Now()
	if got, _, err := FinishAll(context.Background(), dir, time.Minute, now, 0); err != nil || len(got) != 0 {
		t.Fatalf("FinishAll of files written just now: %v, %v; want nothing finished", got, err)
	}
	got, _, err := FinishAll(context.Background(), dir, time.Minute, now.Add(2*time.Minute), 0)
	if err != nil || len(got) != 1 || got[0] != killed {
		t.Fatalf("FinishAll: %v, %v; want %s finished", got, err, killed)
	}
	after, err := os.ReadFile(killed)
	if err != nil {
		t.Fatal(err)
	}
	if un, _ := Unfinished(killed); un {
		t.Error("the killed recording is still unfinished")
	}
	if mediatest.WebMElements(after)[mediatest.EBMLCues] != 1 {
		t.Error("the finished recording has no Cues")
	}
	// The same blocks at the same times.
	b0, b1 := mediatest.WebMBlocks(before), mediatest.WebMBlocks(after)
	if len(b1) != len(b0) || len(b0) < 100 {
		t.Fatalf("%d blocks after, %d before", len(b1), len(b0))
	}
	for i := range b0 {
		if b0[i].Track != b1[i].Track || b0[i].At != b1[i].At || b0[i].Key != b1[i].Key || string(b0[i].Data) != string(b1[i].Data) {
			t.Fatalf("block %d: track %d at %d ms (key %v), want track %d at %d ms (key %v) and the same bytes",
				i, b1[i].Track, b1[i].At, b1[i].Key, b0[i].Track, b0[i].At, b0[i].Key)
		}
	}
	p := ffprobe(t, killed)
	if p.Format.Duration == "" || p.Format.Duration == "N/A" {
		t.Errorf("no duration in the finished file: %+v", p.Format)
	}
	t.Logf("finished: %d blocks, duration %s", len(b1), p.Format.Duration)
	if fi, err := os.Stat(killed); err != nil || fi.Mode() != killedInfo.Mode() || !fi.ModTime().Equal(killedInfo.ModTime()) {
		t.Errorf("the finished file's mode and time: %v %v, %v; want the original's, %v %v", fi.Mode(), fi.ModTime(), err, killedInfo.Mode(), killedInfo.ModTime())
	}
	if b, _ := os.ReadFile(finished); string(b) != string(finishedBytes) {
		t.Error("a finished recording was written again")
	}
	if un, _ := Unfinished(linked); !un {
		t.Error("a recording in a folder reached through a link was finished")
	}
	if _, err := os.Stat(leftover); !os.IsNotExist(err) {
		t.Errorf("the leftover of a finish cut short is still there: %v", err)
	}
	// A second pass finds nothing more to do.
	if got, _, err := FinishAll(context.Background(), dir, time.Minute, now.Add(2*time.Minute), 0); err != nil || len(got) != 0 {
		t.Errorf("a second FinishAll: %v, %v; want nothing", got, err)
	}
}

func TestUnfinishedHead(t *testing.T) {
	ebml := []byte{0x1a, 0x45, 0xdf, 0xa3, 0x82, 0x42, 0x86}
	seg := []byte{0x18, 0x53, 0x80, 0x67}
	for _, tc := range []struct {
		name string
		size []byte
		want bool
	}{
		{"unknown in 8 bytes", []byte{0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, true},
		{"unknown in 1 byte", []byte{0xff}, true},
		{"a size in 8 bytes", []byte{0x01, 0, 0, 0, 0, 0, 0x10, 0}, false},
		{"a size in 1 byte", []byte{0x85}, false},
		{"all ones but one", []byte{0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe}, false},
		{"cut short", []byte{0x01, 0xff, 0xff}, false},
	} {
		b := append(append(append([]byte{}, ebml...), seg...), tc.size...)
		if got := unfinishedHead(b); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	if unfinishedHead([]byte("not a webm file at all")) {
		t.Error("text taken for an unfinished recording")
	}
}
