package loadtest

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// fakeProbe knows a few files by name: what streams they hold.
func fakeProbe(files map[string]string) Probe {
	return func(path string) (bool, bool, error) {
		kinds, ok := files[path]
		if !ok {
			return false, false, &fs.PathError{Op: "open", Path: path, Err: fs.ErrNotExist}
		}
		if kinds == "text" {
			return false, false, fmt.Errorf("%s: not media", path)
		}
		return strings.Contains(kinds, "v"), strings.Contains(kinds, "a"), nil
	}
}

func TestParseParticipant(t *testing.T) {
	probe := fakeProbe(map[string]string{
		"a.ivf": "v", "a.ogg": "a", "b.h264": "v", "both.webm": "va", "x+y.ivf": "v",
		"notes.txt": "text", "empty.ivf": "",
	})
	for _, tc := range []struct {
		arg  string
		want Clip
		err  string
	}{
		{arg: "a.ivf+a.ogg", want: Clip{Video: "a.ivf", Audio: "a.ogg"}},
		{arg: "a.ogg+a.ivf", want: Clip{Video: "a.ivf", Audio: "a.ogg"}},
		{arg: "b.h264+a.ogg", want: Clip{Video: "b.h264", Audio: "a.ogg"}},
		{arg: "a.ivf", want: Clip{Video: "a.ivf"}},
		{arg: "a.ogg", want: Clip{Audio: "a.ogg"}},
		{arg: "both.webm", want: Clip{Video: "both.webm", Audio: "both.webm"}},
		{arg: "x+y.ivf", want: Clip{Video: "x+y.ivf"}}, // exists as a whole: not split
		{arg: "a.ivf+b.h264", err: "two video files"},
		{arg: "a.ogg+both.webm", err: "two audio files"},
		{arg: "a.ivf+", err: "empty file name"},
		{arg: "missing.ivf", err: "not exist"},
		{arg: "notes.txt", err: "not media"},
		{arg: "empty.ivf", err: "neither video nor"},
	} {
		got, err := ParseParticipant(tc.arg, probe)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: error %v, want one saying %q", tc.arg, err, tc.err)
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("%q = %+v, %v; want %+v", tc.arg, got, err, tc.want)
		}
	}
}

func TestClipString(t *testing.T) {
	for _, tc := range []struct {
		c    Clip
		want string
	}{
		{Clip{"a.ivf", "a.ogg"}, "a.ivf+a.ogg"},
		{Clip{Video: "a.ivf"}, "a.ivf"},
		{Clip{Audio: "a.ogg"}, "a.ogg"},
		{Clip{"x.webm", "x.webm"}, "x.webm"},
	} {
		if got := tc.c.String(); got != tc.want {
			t.Errorf("%+v = %q, want %q", tc.c, got, tc.want)
		}
	}
}

func TestDefaultClipsAndAssign(t *testing.T) {
	clips := DefaultClips("td", 11)
	if len(clips) != 11 {
		t.Fatalf("%d clips", len(clips))
	}
	for k, want := range map[int]string{0: "p01", 8: "p09", 9: "p01", 10: "p02"} {
		if clips[k].Video != filepath.Join("td", want+".ivf") || clips[k].Audio != filepath.Join("td", want+".ogg") {
			t.Errorf("participant %d: %+v, want %s", k+1, clips[k], want)
		}
	}
	given := []Clip{{Video: "a"}, {Video: "b"}, {Video: "c"}}
	got := Assign(given, 7)
	for i, c := range got {
		if c != given[i%3] {
			t.Errorf("participant %d: %+v, want %+v", i+1, c, given[i%3])
		}
	}
	if Assign(nil, 3) != nil {
		t.Error("no clips gave clips")
	}
}

// The real probe on the repository's clips.
func TestProbeFile(t *testing.T) {
	c, err := ParseParticipant("../testdata/p01.ogg+../testdata/p01.ivf", ProbeFile)
	if err != nil {
		t.Fatal(err)
	}
	if c.Video != "../testdata/p01.ivf" || c.Audio != "../testdata/p01.ogg" {
		t.Errorf("got %+v", c)
	}
	if _, err := ParseParticipant("../testdata/notmedia.txt", ProbeFile); err == nil {
		t.Error("text file accepted")
	}
}
