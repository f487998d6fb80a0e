package loadtest

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"mcu/internal/testserver"
)

// liveMinFPS is the least mean frame rate the live test accepts: the mix
// is 30 fps, and 20 leaves room for a loaded machine and -race.
const liveMinFPS = 20

func TestLiveLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("live test")
	}
	if _, err := os.Stat("../testdata/p02.ivf"); err != nil {
		t.Skip("testdata clips missing:", err)
	}
	srv := testserver.Start(t, nil)
	cfg := DefaultConfig()
	cfg.URL, cfg.Room, cfg.N = srv.URL, "live", 2
	cfg.Duration = 3 * time.Second
	cfg.CostMedia = time.Second
	cfg.Clips = DefaultClips("../testdata", 2)
	var out strings.Builder
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	res, err := Run(ctx, cfg, &out)
	if err != nil {
		t.Fatal(err)
	}
	var summary strings.Builder
	res.WriteSummary(&summary)
	t.Logf("progress:\n%s%s", out.String(), summary.String())

	if res.Joined != 2 {
		t.Errorf("%d of 2 joined", res.Joined)
	}
	var fps float64
	for _, p := range res.Participants {
		fps += p.FPS / float64(len(res.Participants))
		if p.Freezes != 0 {
			t.Errorf("%s: %d freezes", p.Name, p.Freezes)
		}
		if p.FirstFrame <= 0 {
			t.Errorf("%s: no picture", p.Name)
		}
	}
	if fps < liveMinFPS {
		t.Errorf("mean fps %.1f, want at least %d", fps, liveMinFPS)
	}
	if c := res.Participants[0].Check; c == nil || c.Pictures == 0 || c.WrongSize != 0 {
		t.Errorf("decoded mix check: %+v", c)
	}
	if res.Room.Participants != 2 || res.Room.Frames == 0 {
		t.Errorf("the server's view of the room: %+v, %v", res.Room, res.RoomErr)
	}
	if res.Metrics.Tick.Count <= 0 || res.Metrics.Encode.Count <= 0 {
		t.Errorf("metrics not parsed: %d ticks, %d encodes", int(res.Metrics.Tick.Count), int(res.Metrics.Encode.Count))
	}
	// The server runs in this process, and /proc finds it from its port.
	if res.Server.PID != os.Getpid() || !res.Server.InProcess || res.Server.Source != "/proc" || res.Server.CPU <= 0 {
		t.Errorf("server usage %+v, want this process measured from /proc", res.Server)
	}
	if res.CostErr != nil || res.Cost.EncodeVideo <= 0 || res.Cost.Decode() <= 0 || res.Cost.EncodeAudio <= 0 {
		t.Errorf("codec cost %+v, %v", res.Cost, res.CostErr)
	}
	if len(res.LeaveErrors) > 0 {
		t.Errorf("leaving: %v", res.LeaveErrors)
	}
	if _, n, _ := srv.Rooms.Counts(); n != 0 {
		t.Errorf("%d participants still in the server after the run", n)
	}
}

func TestUnreachable(t *testing.T) {
	cfg := DefaultConfig()
	cfg.URL, cfg.Room, cfg.N, cfg.Clips = "http://127.0.0.1:1", "r", 1, []Clip{{Video: "x.ivf"}}
	if _, err := Run(context.Background(), cfg, io.Discard); err == nil || !strings.Contains(err.Error(), "not reachable") {
		t.Errorf("err %v", err)
	}
}
