package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"mcu/client"
	"mcu/codec"
	"mcu/internal/mediatest"
	"mcu/internal/testserver"
	"mcu/room"
)

// liveMinFPS is the least mean frame rate the live test accepts: the mix
// is 30 fps, and 20 leaves room for a loaded machine and -race.
const liveMinFPS = 20

// liveConfig starts a server and returns a load of two participants in
// room, sending the first two testdata clips; it skips the test in short
// mode.
func liveConfig(t *testing.T, room string) (*testserver.Server, Config) {
	t.Helper()
	if testing.Short() {
		t.Skip("live test")
	}
	srv := testserver.Start(t, nil)
	cfg := DefaultConfig()
	cfg.URL, cfg.Room, cfg.N = srv.URL, room, 2
	cfg.Clips = DefaultClips(testdataDir(t), 2)
	return srv, cfg
}

// runLive runs the load cfg (within 25 s), logs its progress and summary,
// and returns its result and summary.
func runLive(t *testing.T, cfg Config) (*Result, string) {
	t.Helper()
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
	return res, summary.String()
}

func TestLiveLoad(t *testing.T) {
	srv, cfg := liveConfig(t, "live")
	// The window measured starts settle (2 s) after the last join, at a
	// whole second of the run: with 6 s, joins slow under -race have until
	// about 3 s.
	cfg.Duration = 6 * time.Second
	cfg.CostMedia = time.Second
	res, summary := runLive(t, cfg)

	if res.Joined != 2 {
		t.Errorf("%d of 2 joined", res.Joined)
	}
	if !res.Steady || res.Window <= 0 || res.Window > res.Elapsed-settle {
		t.Errorf("measured window %v (steady %v) of a %v run: want one starting %v after the last join", res.Window, res.Steady, res.Elapsed, settle)
	}
	// Frame rates and freezes depend on the machine having CPU to spare:
	// say how busy it was when they fail.
	others := "machine load unknown"
	if wall := res.Window.Seconds(); res.MachineCPU > 0 && wall > 0 {
		others = fmt.Sprintf("other processes used %.2f cores of %d", (res.MachineCPU-res.SelfCPU).Seconds()/wall, runtime.NumCPU())
	}
	var fps float64
	for _, p := range res.Participants {
		fps += p.FPS / float64(len(res.Participants))
		if p.Freezes != 0 {
			t.Errorf("%s: %d freezes (%s)", p.Name, p.Freezes, others)
		}
		if p.FirstFrame <= 0 {
			t.Errorf("%s: no picture", p.Name)
		}
		// Loopback loses nothing: every picture but the first (counted
		// from the marker before it) comes whole.
		if p.Frames > 0 && p.WholeFrames < p.Frames-2 {
			t.Errorf("%s: %d of %d pictures came whole on loopback", p.Name, p.WholeFrames, p.Frames)
		}
	}
	if !strings.Contains(summary, "pictures that came whole (every packet): min ") {
		t.Errorf("the summary does not say how many pictures came whole:\n%s", summary)
	}
	if fps < liveMinFPS {
		t.Errorf("mean fps %.1f, want at least %d (%s)", fps, liveMinFPS, others)
	}
	if c := res.Participants[0].Check; c == nil || c.Pictures == 0 || c.WrongSize != 0 {
		t.Errorf("decoded mix check: %+v", c)
	}
	if res.Room.Participants != 2 || res.Room.Frames == 0 {
		t.Errorf("the server's view of the room: %+v, %v", res.Room, res.RoomErr)
	}
	// The room's counters cover the window only, not the joins before it:
	// the room is read just before the window opens and just after it
	// closes, so allow a second for those reads on a busy machine, well
	// under the 3 s of joins and settling before the window.
	if limit := uint64((res.Window + time.Second).Seconds() * float64(res.Room.FPS)); res.Room.FPS <= 0 || res.Room.Frames > limit {
		t.Errorf("the room made %d frames at %d fps in a window of %v, want at most %d", res.Room.Frames, res.Room.FPS, res.Window, limit)
	}
	if res.Metrics.Tick.Count <= 0 || res.Metrics.Encode.Count <= 0 {
		t.Errorf("metrics not parsed: %d ticks, %d encodes", int(res.Metrics.Tick.Count), int(res.Metrics.Encode.Count))
	}
	// The server runs in this process, and /proc finds it from its port.
	if res.Server.PID != os.Getpid() || !res.Server.InProcess || res.Server.Source != "/proc" || res.Server.CPU <= 0 {
		t.Errorf("server usage %+v, want this process measured from /proc", res.Server)
	}
	// The server's cores are its CPU over the measured window, not the whole run.
	if cores := res.Server.CPU.Seconds() / res.Window.Seconds(); res.Server.Wall != res.Window || res.Server.Cores() != cores {
		t.Errorf("server wall %v, %.3f cores; want the window %v and %.3f cores", res.Server.Wall, res.Server.Cores(), res.Window, cores)
	}
	if res.CostErr != nil || res.Cost.EncodeVideo <= 0 || res.Cost.Decode() <= 0 || res.Cost.EncodeAudio <= 0 || res.Cost.EncodeH264 != 0 {
		t.Errorf("codec cost %+v, %v: want no H.264 encode in it", res.Cost, res.CostErr)
	}
	if strings.Contains(summary, "+ H.264") || strings.Contains(summary, "in H.264") {
		t.Errorf("a load without H.264 receivers speaks of H.264:\n%s", summary)
	}
	if len(res.LeaveErrors) > 0 {
		t.Errorf("leaving: %v", res.LeaveErrors)
	}
	if _, n, _ := srv.Rooms.Counts(); n != 0 {
		t.Errorf("%d participants still in the server after the run", n)
	}
}

// TestLiveLoadH264: with -h264 1 the first participant, sending VP8,
// takes the mix in H.264 and decodes it; the other keeps VP8; the codec
// cost counts the H.264 encode, and the server's stages show it.
func TestLiveLoadH264(t *testing.T) {
	_, cfg := liveConfig(t, "live-h264")
	cfg.Duration, cfg.CostMedia, cfg.H264 = 6*time.Second, time.Second, 1
	res, summary := runLive(t, cfg)
	if res.Joined != 2 || res.Participants[0].Codec != codec.H264 || res.Participants[1].Codec != codec.VP8 {
		t.Errorf("%d of 2 joined, receiving %v and %v: want H264 and VP8", res.Joined, res.Participants[0].Codec, res.Participants[1].Codec)
	}
	if c := res.Participants[0].Check; c == nil || c.Pictures == 0 || c.WrongSize != 0 {
		t.Errorf("decoded H.264 mix check: %+v", c)
	}
	if res.CostErr != nil || res.Cost.EncodeH264 <= 0 || res.Cost.Total() != res.Cost.Decode()+res.Cost.EncodeVideo+res.Cost.EncodeH264+res.Cost.EncodeAudio {
		t.Errorf("codec cost %+v, %v: want an H.264 encode in it", res.Cost, res.CostErr)
	}
	if v := res.Metrics.StageCPU["h264_encode"]; v <= 0 {
		t.Errorf("the server's h264_encode stage: %v", v)
	}
	for _, want := range []string{"1 asking for the mix in H.264, 1 receiving it", "+ H.264 ", "decoded mix (H264) at load-01", "H.264 encode "} {
		if !strings.Contains(summary, want) {
			t.Errorf("the summary does not say %q", want)
		}
	}
}

func TestUnreachable(t *testing.T) {
	cfg := DefaultConfig()
	cfg.URL, cfg.Room, cfg.N, cfg.Clips = "http://127.0.0.1:1", "r", 1, []Clip{{Video: "x.ivf"}}
	if _, err := Run(context.Background(), cfg, io.Discard); err == nil || !strings.Contains(err.Error(), "not reachable") {
		t.Errorf("err %v", err)
	}
}

// A full room refuses the second participant; the run goes on with the
// first, and the refusal is reported.
func TestLiveRoomFull(t *testing.T) {
	if testing.Short() {
		t.Skip("live test")
	}
	srv := testserver.Start(t, func(c *room.Config) { c.MaxParticipants = 1 })
	cfg := DefaultConfig()
	cfg.URL, cfg.Room, cfg.N = srv.URL, "full", 2
	cfg.Duration, cfg.Decoders, cfg.CostMedia = 2*time.Second, 0, 0
	cfg.Clips = DefaultClips(testdataDir(t), 1)
	var out strings.Builder
	res, err := Run(context.Background(), cfg, &out)
	if err != nil {
		t.Fatal(err)
	}
	var se *client.StatusError
	if res.Joined != 1 || !errors.As(res.Participants[1].JoinErr, &se) || se.Code != http.StatusTooManyRequests {
		t.Errorf("joined %d, second join error %v; want 1 and HTTP 429", res.Joined, res.Participants[1].JoinErr)
	}
	if !strings.Contains(out.String(), "load-02: join failed") {
		t.Errorf("the failure was not reported:\n%s", out.String())
	}
}

// Nobody can join (the clip is not media): Run says so.
func TestLiveNoneJoined(t *testing.T) {
	srv := testserver.Start(t, nil)
	cfg := DefaultConfig()
	cfg.URL, cfg.Room, cfg.N = srv.URL, "none", 1
	cfg.Duration, cfg.CostMedia = time.Second, 0
	cfg.Clips = []Clip{{Video: mediatest.TestdataPath(t, "notmedia.txt")}}
	res, err := Run(context.Background(), cfg, io.Discard)
	if !errors.Is(err, ErrNoneJoined) || res == nil || res.Joined != 0 || res.Participants[0].JoinErr == nil {
		t.Errorf("err %v, result %+v", err, res)
	}
}

// TestLiveLossy: with one of two participants losing every fourth packet
// of the mix, the server lowers the mix's bitrate, and the summary says
// so; the participant that decodes is not the lossy one. A run with more
// decoders and lossy participants than people is refused.
func TestLiveLossy(t *testing.T) {
	srv, cfg := liveConfig(t, "lossy")
	cfg.Lossy, cfg.Duration, cfg.CostMedia = 2, 5*time.Second, 0
	if _, err := Run(context.Background(), cfg, io.Discard); err == nil || !strings.Contains(err.Error(), "lossy") {
		t.Errorf("1 decoder and 2 lossy participants of 2: %v, want an error", err)
	}
	cfg.Lossy = 1
	// The server's /metrics says, while the mix is lowered, that one room is.
	watch, stopWatch := context.WithCancel(context.Background())
	lowered := make(chan float64, 1)
	go func() {
		most := -1.0
		defer func() { lowered <- most }()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			if sc, err := scrape(watch, srv.URL); err == nil {
				if v, ok := sc.Value("mcu_rooms_bitrate_lowered"); ok {
					most = max(most, v)
				}
			}
			select {
			case <-watch.Done():
				return
			case <-tick.C:
			}
		}
	}()
	res, err := Run(context.Background(), cfg, io.Discard)
	stopWatch()
	most := <-lowered
	if err != nil {
		t.Fatal(err)
	}
	if most != 1 {
		t.Errorf("mcu_rooms_bitrate_lowered at most %v during the run, want 1", most)
	}
	var summary strings.Builder
	res.WriteSummary(&summary)
	if res.Room.MaxBitrate != 1_500_000 || res.Room.Bitrate <= 0 || res.Room.Bitrate >= res.Room.MaxBitrate {
		t.Errorf("the mix at %d of %d bit/s after 5 s with a lossy receiver, want lowered\n%s", res.Room.Bitrate, res.Room.MaxBitrate, summary.String())
	}
	if want := fmt.Sprintf("the mix's target bitrate %d of 1500 kbit/s", res.Room.Bitrate/1000); !strings.Contains(summary.String(), want) {
		t.Errorf("the summary lacks %q:\n%s", want, summary.String())
	}
	if c := res.Participants[0].Check; c == nil || c.Pictures == 0 {
		t.Errorf("the decoding participant's check: %+v", c)
	}
}

// testdataDir is the repository's testdata folder.
func testdataDir(t *testing.T) string {
	return filepath.Dir(mediatest.TestdataPath(t, "p01.ivf"))
}

// TestLiveToken: against a server that needs a token, the participants
// join and the room's state is read with it; without it nobody joins.
func TestLiveToken(t *testing.T) {
	const token = "load-test-token-0123"
	srv := testserver.StartWithToken(t, nil, token)
	cfg := DefaultConfig()
	cfg.URL, cfg.Room, cfg.N = srv.URL, "token", 1
	cfg.Duration, cfg.Decoders, cfg.CostMedia = 2*time.Second, 0, 0
	cfg.Clips = DefaultClips(testdataDir(t), 1)
	cfg.Duration = 4 * time.Second // longer than settle after the joins
	res, err := Run(context.Background(), cfg, io.Discard)
	if !errors.Is(err, ErrNoneJoined) {
		t.Errorf("without the token: %v, want nobody joined", err)
	}
	// Its figures are of the whole run, not of a steady window opened
	// after joins that all failed (one second or less, at the run's end).
	if res == nil {
		t.Fatal("without the token: no result")
	}
	if res.Steady || res.window() < cfg.Duration {
		t.Errorf("without the token: the figures' window %v (steady %v), want the whole run of %v or more", res.window(), res.Steady, cfg.Duration)
	}
	cfg.Token, cfg.Duration = token, 2*time.Second
	res, err = Run(context.Background(), cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if res.Joined != 1 || res.Room.MaxBitrate != 1_500_000 {
		t.Errorf("with the token: %d joined, the room's max bitrate %d; want 1 and the room's state read", res.Joined, res.Room.MaxBitrate)
	}
}

// TestLiveLoadH264BeyondLevel: a canvas beyond the level the load's H.264
// receivers say (here 1280x720 at 60 fps, past level 3.1's macroblocks
// a second) is sent to them smaller, as the server logs; the decoder's
// check takes the size sent, not the canvas, for a mix that is right.
func TestLiveLoadH264BeyondLevel(t *testing.T) {
	if testing.Short() {
		t.Skip("live test")
	}
	srv := testserver.Start(t, func(c *room.Config) { c.Mixer.Video.FPS, c.Mixer.Video.KeyframeInterval = 60, 300 })
	cfg := DefaultConfig()
	cfg.URL, cfg.Room, cfg.N = srv.URL, "live-h264-level", 1
	cfg.Clips = DefaultClips(testdataDir(t), 1)
	cfg.Duration, cfg.CostMedia, cfg.H264 = 4*time.Second, 0, 1
	cfg.Mixer.Video.FPS = 60
	res, summary := runLive(t, cfg)
	want := costH264(cfg.Mixer.Video)
	c := res.Participants[0].Check
	if c == nil || c.Pictures == 0 || c.Width != want.Width || c.Height != want.Height {
		t.Fatalf("decoded H.264 mix check: %+v; want pictures of %dx%d", c, want.Width, want.Height)
	}
	if !c.OK() || strings.Contains(summary, "NOT OK") {
		t.Errorf("the H.264 mix at the level's size is taken for a wrong one: %+v\n%s", c, summary)
	}
}
