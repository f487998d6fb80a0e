package e2e_test

// Helpers shared by the browser tests: fake media files, Chromium instances
// driven through DevTools, and the mcu REST API read from Go.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"mcu/codec"
	"mcu/internal/logbuf"
	"mcu/internal/mediatest"
)

func TestMain(m *testing.M) {
	codec.SetLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	os.Exit(m.Run())
}

// chromiumPath is Debian's Chromium; CI installs it.
const chromiumPath = "/usr/bin/chromium"

// Bounds of the steps: no step waits longer, whatever happens.
const (
	convertTimeout = 30 * time.Second // ffmpeg, for all clips together
	launchTimeout  = 20 * time.Second // start a browser and load the page
	joinTimeout    = 20 * time.Second // getUserMedia, join, connect
	apiTimeout     = 5 * time.Second  // one call to the mcu API from Go
	evalTimeout    = 10 * time.Second // one call into a page
)

// requireTools skips the test without Chromium (fails it when
// MCU_BROWSERS_EXPECTED is set, as make test sets it after installing the
// browsers), and fails it without ffmpeg (which every media test of the
// repository needs anyway).
func requireTools(t *testing.T) {
	t.Helper()
	requireBrowser(t, chromiumPath, "chromium")
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Fatalf("ffmpeg is needed to make the fake camera and microphone files: %v", err)
	}
}

// requireBrowser skips the test when the browser is not at path, or fails
// it if MCU_BROWSERS_EXPECTED is set: make test installs the browsers, so
// there a missing one is a broken setup, not a machine without browsers.
func requireBrowser(t *testing.T, path, pkg string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("MCU_BROWSERS_EXPECTED") != "" {
			t.Fatalf("no %s at %s (%v), though MCU_BROWSERS_EXPECTED is set", pkg, path, err)
		}
		t.Skipf("no %s at %s (%v); make test installs the %s package", pkg, path, err, pkg)
	}
}

// browserVersion is what the browser at path says its version is.
func browserVersion(path string) string {
	out, err := exec.Command(path, "--version").Output()
	if err != nil {
		return fmt.Sprintf("%s --version: %v", path, err)
	}
	return strings.TrimSpace(string(out))
}

// participants returns the rows of testdata/participants.tsv with these IDs.
func participants(t *testing.T, ids ...int) []mediatest.Participant {
	t.Helper()
	all := mediatest.Participants(t)
	var ps []mediatest.Participant
	for _, id := range ids {
		i := id - 1
		if i < 0 || i >= len(all) || all[i].ID != id {
			t.Fatalf("participant %d is not row %d of %s", id, id, mediatest.ParticipantsFile)
		}
		ps = append(ps, all[i])
	}
	return ps
}

// fakeCameraFPS is the frame rate of the fake cameras; see fakeMedia.
const fakeCameraFPS = 15

// mediaFiles are a participant's fake camera (Y4M) and microphone (WAV),
// the formats Chromium's fake capture devices read; Chromium plays them in
// a loop.
type mediaFiles struct{ video, audio string }

// fakeMedia converts each participant's clips, all at once: the VP8 clip to
// 640x360 raw video, the Opus clip to 48 kHz stereo PCM.
//
// The fake cameras run at fakeCameraFPS, half the clips' rate. The mix's
// frame rate does not depend on it (the server's clock drives the output),
// and on a two-core CI runner three browsers encoding 30 fps each, plus the
// server decoding them, leave too little CPU to measure the output's real
// time fairly: at 30 fps the browsers took a third more CPU and the mix
// arrived at 24 to 26 fps instead of 28 on an otherwise idle machine.
func fakeMedia(t *testing.T, people []mediatest.Participant) []mediaFiles {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), convertTimeout)
	defer cancel()
	files := make([]mediaFiles, len(people))
	errs := make([]error, 2*len(people))
	var wg sync.WaitGroup
	for i, p := range people {
		files[i] = mediaFiles{
			video: filepath.Join(dir, p.Name+".y4m"),
			audio: filepath.Join(dir, p.Name+".wav"),
		}
		video, audio := mediatest.TestdataPath(t, p.Name+".ivf"), mediatest.TestdataPath(t, p.Name+".ogg")
		wg.Go(func() {
			errs[2*i] = ffmpeg(ctx, video, files[i].video,
				"-vf", fmt.Sprintf("scale=640:360,fps=%d", fakeCameraFPS), "-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe")
		})
		wg.Go(func() {
			errs[2*i+1] = ffmpeg(ctx, audio, files[i].audio,
				"-ar", "48000", "-ac", "2", "-c:a", "pcm_s16le", "-f", "wav")
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return files
}

func ffmpeg(ctx context.Context, in, out string, args ...string) error {
	args = append([]string{"-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-i", in}, args...)
	cmd := exec.CommandContext(ctx, "ffmpeg", append(args, out)...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("ffmpeg %s: %w: %s", strings.Join(cmd.Args[1:], " "), err, msg)
	}
	return nil
}

// browser is one headless Chromium with one tab.
type browser struct {
	p        mediatest.Participant // whose camera and microphone it has
	ctx      context.Context       // the tab's chromedp context
	location string                // the session URL its join returned
	codec    string                // the join's videoCodec ("": the browser's own choice)
	console  logbuf.Buffer         // the page's console, for failures
	output   logbuf.Buffer         // Chromium's stdout and stderr, for failures
}

// consoleGrace lets the last console messages of a failing test arrive
// before the browser is closed.
const consoleGrace = 200 * time.Millisecond

// closeTimeout is how long a browser has to close when its test ends.
const closeTimeout = 10 * time.Second

// maxOutput is how much of Chromium's own output a failure shows: the end.
const maxOutput = 4000

// launch starts a Chromium whose camera and microphone play p's files,
// opens page in it and waits until the JavaScript expression ready is
// true. The browser is asked to close when the test ends (and killed if
// it has not within closeTimeout); if the test failed, its console (and
// the end of Chromium's output) go to the test log.
func launch(t *testing.T, p mediatest.Participant, media mediaFiles, page, ready string) *browser {
	t.Helper()
	return launchBrowser(t, p, media, page, ready, true)
}

// launchBrowser is launch; without fakeUI, Chromium asks for the camera
// and microphone as it would a person (no --use-fake-ui-for-media-stream),
// so that the permissions a test sets through DevTools are what
// getUserMedia meets.
func launchBrowser(t *testing.T, p mediatest.Participant, media mediaFiles, page, ready string, fakeUI bool) *browser {
	t.Helper()
	b := &browser{p: p}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", fakeUI),
		chromedp.Flag("use-file-for-fake-video-capture", media.video),
		chromedp.Flag("use-file-for-fake-audio-capture", media.audio),
		// The host may have nothing but loopback: let WebRTC use it.
		chromedp.Flag("allow-loopback-in-peer-connection", true),
		// Several browsers share the machine: keep Chromium from slowing
		// down the timers or the rendering of a page it thinks is hidden.
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.CombinedOutput(&b.output),
	}
	// Not t.Context(): it is cancelled before the cleanups run, and the
	// allocator would kill Chromium at once, its helper processes left
	// writing into the profile folder the test then removes.
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.WithoutCancel(t.Context()), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	b.ctx = ctx
	t.Cleanup(func() {
		if t.Failed() {
			time.Sleep(consoleGrace)
		}
		// chromedp.Cancel asks the browser to close and waits for it to
		// exit (cancel alone would kill it); past closeTimeout it is killed.
		closed := make(chan error, 1)
		go func() { closed <- chromedp.Cancel(ctx) }()
		select {
		case err := <-closed:
			if err != nil {
				t.Logf("closing %s's browser: %v", p.Name, err)
			}
		case <-time.After(closeTimeout):
			t.Logf("%s's browser did not close within %v: killed", p.Name, closeTimeout)
		}
		cancel()
		cancelAlloc()
		if t.Failed() {
			t.Logf("console of %s's browser:\n%s", p.Name, b.console.String())
			out := b.output.String()
			if len(out) > maxOutput {
				out = "..." + out[len(out)-maxOutput:]
			}
			t.Logf("output of %s's browser (the end):\n%s", p.Name, out)
		}
	})
	// The first Run starts the browser. It must not have a deadline of its
	// own (the browser would end with it), so it runs no action.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("%s: start Chromium: %v", p.Name, err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			where := ""
			if m.URL != "" {
				where = fmt.Sprintf(" (%s:%d)", m.URL, m.Line+1)
			}
			fmt.Fprintf(&b.console, "%s %s%s\n", m.Time.Format("15:04:05.000"), m, where)
		}
	}()
	step, cancelStep := context.WithTimeout(ctx, launchTimeout)
	defer cancelStep()
	if err := chromedp.Do(step, chromedp.Navigate(page), waitAction(ready)); err != nil {
		t.Fatalf("%s: load %s and wait for %s: %v", p.Name, page, ready, err)
	}
	return b
}

// waitAction polls until the JavaScript expression is true.
func waitAction(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tgt *chromedp.Target) error {
		// The context bounds the wait: chromedp's own 30 s would cut
		// longer ones short.
		_, err := chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(0))(ctx, tgt)
		return err
	})
}

// eval runs a JavaScript expression in the page, waits for the promise it
// returns (if any), and decodes the result.
func eval[T any](t *testing.T, b *browser, timeout time.Duration, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: %s: %v", b.p.Name, expr, err)
	}
	return v
}

// do runs actions in the page, within timeout.
func do(t *testing.T, b *browser, timeout time.Duration, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %s: %v", b.p.Name, what, err)
	}
}

// waitFor waits until the JavaScript expression is true in the page.
func waitFor(t *testing.T, b *browser, timeout time.Duration, expr string) {
	t.Helper()
	do(t, b, timeout, "wait for "+expr, waitAction(expr))
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func sameOrigin(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && ua.Scheme == ub.Scheme && ua.Host == ub.Host
}

// roomInfo is the part of GET /api/rooms/{room} the tests read.
type roomInfo struct {
	Layout       string            `json:"layout"`
	Spotlight    string            `json:"spotlight"`
	Participants []participantInfo `json:"participants"`
	Locked       bool              `json:"locked"`
	Recording    *struct {
		Path string `json:"path"`
	} `json:"recording"`
	Mixer mixerInfo `json:"mixer"`
}

// participantInfo is one participant of a roomInfo.
type participantInfo struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Content    bool      `json:"content"`
	Owner      string    `json:"owner"`
	AudioCodec string    `json:"audio_codec"`
	Muted      bool      `json:"muted"`
	Joined     time.Time `json:"joined"`
	VideoCodec string    `json:"video_codec"`
	MixCodec   string    `json:"mix_codec"`
	Width      int       `json:"width"`
	Height     int       `json:"height"`
}

// mixerInfo is what the server says about its output.
type mixerInfo struct {
	Frames     int    `json:"frames"`
	LateTicks  int    `json:"late_ticks"`
	Dropped    int    `json:"dropped_frames"`
	EncodeMean string `json:"encode_mean"`
}

// getRoom reads a room's state; found is false on 404.
func getRoom(t *testing.T, server, room string) (info roomInfo, found bool) {
	t.Helper()
	return getRoomWithToken(t, server, "", room)
}

// getRoomWithToken is getRoom from a server that needs token (none sent
// if it is empty).
func getRoomWithToken(t *testing.T, server, token, room string) (info roomInfo, found bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), apiTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, server+"/api/rooms/"+room, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusNotFound {
		return info, false
	}
	if res.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(res.Body)
		t.Fatalf("GET /api/rooms/%s: %s: %s", room, res.Status, body)
	}
	if err := json.NewDecoder(res.Body).Decode(&info); err != nil {
		t.Fatalf("GET /api/rooms/%s: %v", room, err)
	}
	return info, true
}
