package recorder

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"mcu/internal/mediatest"
)

// TestWebMSaysBT601: the recording's video track says its pictures are
// BT.601 in video range (a Colour element), as the mix is: unlabelled, a
// 1280x720 recording plays in mpv, VLC or Kodi as BT.709 (their guess for
// video 1280 wide or more), its greens 30 levels off.
func TestWebMSaysBT601(t *testing.T) {
	p := probeSecond(t)
	v, ok := p.Video()
	if !ok {
		t.Fatal("no video")
	}
	if v.ColorSpace != "smpte170m" || v.ColorRange != "tv" || v.ColorPrimaries != "smpte170m" || v.ColorTransfer != "smpte170m" {
		t.Errorf("the video track says matrix %q, range %q, primaries %q, transfer %q: want smpte170m, tv, smpte170m, smpte170m",
			v.ColorSpace, v.ColorRange, v.ColorPrimaries, v.ColorTransfer)
	}
}

// TestWebMTracksAreDefault: both tracks of a recording are marked as the
// ones to play. Marked 0 (FFmpeg's muxer left alone writes the flag as
// its streams' disposition, none here), players that honour the flag,
// mkvmerge-made playlists and some TVs, pick no track.
func TestWebMTracksAreDefault(t *testing.T) {
	p := probeSecond(t)
	if len(p.Streams) != 2 {
		t.Fatalf("%d streams, want 2", len(p.Streams))
	}
	for _, s := range p.Streams {
		if !s.Default {
			t.Errorf("the %s track is not marked default", s.CodecType)
		}
	}
}

// probeSecond records a second of the test clip and probes the file.
func probeSecond(t *testing.T) mediatest.Probe {
	t.Helper()
	path := filepath.Join(t.TempDir(), "out.webm")
	w, err := CreateWebM(path, WebMConfig{Width: 320, Height: 180, FPS: 30})
	if err != nil {
		t.Fatal(err)
	}
	if err := newClip(t).write(w, time.Second, false); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	p, err := mediatest.ProbeFile(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
