package main

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"mcu/client"
	"mcu/internal/logbuf"
	"mcu/internal/mediatest"
	"mcu/internal/testserver"
)

// TestView: mcu view watches a room's mix in VP8, or in H.264 with -codec
// h264, and says so with a line a second and the totals; its flags are
// checked; a join that fails, and a session the server ends, exit 1.
func TestView(t *testing.T) {
	srv := testserver.Start(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	p, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "view", Name: "p01",
		Video: mediatest.TestdataPath(t, "p01.ivf"), Audio: mediatest.TestdataPath(t, "p01.ogg")})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	total := regexp.MustCompile(`(\d+) pictures of the mix in (\w+) \(([\d.]+) fps\), (\d+) keyframes, (\d+) freezes`)
	for _, c := range []struct{ flag, want string }{{"vp8", "VP8"}, {"h264", "H264"}} {
		var out, errOut bytes.Buffer
		if code := run(ctx, []string{"view", "-url", srv.URL + "/", "-room", "view", "-codec", c.flag, "-duration", "3s"}, &out, &errOut); code != 0 {
			t.Fatalf("-codec %s: exit %d: %s", c.flag, code, errOut.String())
		}
		t.Logf("-codec %s:\n%s", c.flag, out.String())
		m := total.FindStringSubmatch(out.String())
		if m == nil {
			t.Fatalf("-codec %s: no totals in:\n%s", c.flag, out.String())
		}
		pictures, _ := strconv.Atoi(m[1])
		fps, _ := strconv.ParseFloat(m[3], 64)
		if pictures < 60 || m[2] != c.want || fps < 25 || fps > 31 || m[4] == "0" || m[5] != "0" {
			t.Errorf("-codec %s: %d pictures in %s at %.1f fps, %s keyframes, %s freezes: want 60 or more in %s at ~30 fps, a keyframe, no freeze",
				c.flag, pictures, m[2], fps, m[4], m[5], c.want)
		}
		if n := strings.Count(out.String(), " fps  "); n != 3 {
			t.Errorf("-codec %s: %d lines a second in 3 s from the join, want 3", c.flag, n)
		}
		// It left: the room keeps encoding H.264 for a viewer still in it.
		eventually(t, 2*time.Second, func() error {
			room, err := srv.Rooms.Room("view")
			if err != nil {
				return err
			}
			if info := room.Info(); info.Viewers != 0 || info.Mixer.H264Receivers != 0 {
				return fmt.Errorf("after mcu view: %d viewers, %d H.264 receivers in the room", info.Viewers, info.Mixer.H264Receivers)
			}
			return nil
		})
	}
	for _, bad := range [][]string{{"-codec", "vp9"}, {"extra"}, {"-duration", "-1s"}, {"-nosuchflag"}} {
		var out, errOut bytes.Buffer
		if code := run(ctx, append([]string{"view", "-url", srv.URL, "-room", "view"}, bad...), &out, &errOut); code != 2 {
			t.Errorf("mcu view %v: exit %d, want 2 (%s)", bad, code, errOut.String())
		}
	}
	// Watching until interrupted, it notices the server end its session:
	// the totals, then exit 1 saying so.
	var out, errOut logbuf.Buffer
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"view", "-url", srv.URL, "-room", "view"}, &out, &errOut) }()
	eventually(t, 10*time.Second, func() error {
		if n := strings.Count(out.String(), " fps  "); n < 1 {
			return fmt.Errorf("%d lines a second from mcu view", n)
		}
		return nil
	})
	cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
	defer ccancel()
	closed := time.Now()
	if err := srv.Rooms.Close(cctx); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-code:
		t.Logf("mcu view ended %v after the server began to close", time.Since(closed).Round(time.Millisecond))
		if c != 1 || !strings.Contains(errOut.String(), "the server ended the session") || total.FindString(out.String()) == "" {
			t.Errorf("a session the server ended: exit %d, %q, totals %q", c, errOut.String(), total.FindString(out.String()))
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("mcu view still watching 10 s after the server ended its session:\n%s", out.String())
	}
	var noOut, noErr bytes.Buffer
	if code := run(ctx, []string{"view", "-url", "http://127.0.0.1:1", "-room", "view", "-duration", "2s"}, &noOut, &noErr); code != 1 ||
		!strings.Contains(noErr.String(), "join view as a viewer") {
		t.Errorf("a server that is not there: exit %d, %q", code, noErr.String())
	}
}

// eventually retries check until it passes or within is up.
func eventually(t *testing.T, within time.Duration, check func() error) {
	t.Helper()
	end := time.Now().Add(within)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(end) {
			t.Error(err)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}
