package loadtest

import (
	"path/filepath"
	"testing"
)

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
