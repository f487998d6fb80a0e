package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"mcu/internal/mediatest"
	"mcu/internal/sched"
	"mcu/loadtest"
	"mcu/mixer"
)

// TestLoadReadsParticipantsAsMixDoes: mcu load takes its PARTICIPANT
// arguments as mcu mix does: a file whose name holds a "+" is one side of
// a pair, a pipe (which a looping sender could not read twice) and a file
// that is not media are refused before anything is sent.
func TestLoadReadsParticipantsAsMixDoes(t *testing.T) {
	dir := t.TempDir()
	plus := filepath.Join(dir, "a+b.ivf")
	data, err := os.ReadFile(mediatest.TestdataPath(t, "p01.ivf"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(plus, data, 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "pipe.ogg")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	ogg := mediatest.TestdataPath(t, "p01.ogg")
	// Nothing listens at this address: a load that gets past its arguments
	// fails to join, which is not a usage error.
	// -nice 0: load would lower every thread of this test binary, and the
	// tests after this one with it.
	base := []string{"-url", "http://127.0.0.1:1", "-n", "1", "-duration", "1s", "-cost", "0", "-nice", "0"}
	for _, tc := range []struct {
		arg   string
		usage string // the usage error wanted, or "" for none
	}{
		{plus + "+" + ogg, ""},
		{fifo, "not a regular file"},
		{plus + "+" + fifo, "not a regular file"},
		{mediatest.TestdataPath(t, "notmedia.txt"), "not a media file"},
	} {
		err := loadCommand(context.Background(), append(base, tc.arg), io.Discard, io.Discard)
		var ue usageError
		isUsage := errors.As(err, &ue)
		switch {
		case tc.usage == "" && isUsage:
			t.Errorf("%s: %v, want it read", tc.arg, err)
		case tc.usage != "" && (!isUsage || !strings.Contains(err.Error(), tc.usage)):
			t.Errorf("%s: %v, want a usage error saying %q", tc.arg, err, tc.usage)
		}
	}
}

// TestLoadTakesTheServersSettings: the server's settings given to load
// reach the load's configuration (for the codec cost and the checks),
// and without them it takes the server's defaults.
func TestLoadTakesTheServersSettings(t *testing.T) {
	run := runLoad
	t.Cleanup(func() { runLoad = run })
	var got loadtest.Config
	runLoad = func(_ context.Context, cfg loadtest.Config, _ io.Writer) (*loadtest.Result, error) {
		got = cfg
		return nil, errors.New("not run")
	}
	clip := mediatest.TestdataPath(t, "p01.ivf")
	base := []string{"-url", "http://127.0.0.1:1", "-nice", "0"}
	if err := loadCommand(context.Background(), append(base, clip), io.Discard, io.Discard); err == nil || err.Error() != "not run" {
		t.Fatalf("load: %v", err)
	}
	if v := got.Mixer.Video; got.Mixer.Voices != mixer.LiveVoices || v.Width != 1280 || v.Height != 720 || v.FPS != 30 || v.Bitrate != 1_500_000 || v.Speed != -6 {
		t.Errorf("defaults: voices %d, video %+v; want the server's", got.Mixer.Voices, v)
	}
	args := append(base, "-voices", "2", "-size", "640x360", "-fps", "15", "-bitrate", "800k", "-audio-bitrate", "32k", "-speed", "-8", clip)
	if err := loadCommand(context.Background(), args, io.Discard, io.Discard); err == nil || err.Error() != "not run" {
		t.Fatalf("load: %v", err)
	}
	if v := got.Mixer.Video; got.Mixer.Voices != 2 || v.Width != 640 || v.Height != 360 || v.FPS != 15 || v.Bitrate != 800_000 ||
		v.Speed != -8 || got.Mixer.Audio.Bitrate != 32_000 || v.KeyframeInterval != 75 {
		t.Errorf("%q: voices %d, video %+v, audio %d bit/s", args, got.Mixer.Voices, v, got.Mixer.Audio.Bitrate)
	}
}

// TestLoadNice: mcu load runs below the server it measures, at nice 10 by
// default or at -nice N, and -nice 0 leaves its priority as it was.
//
// Each case runs in a child (this test binary, told by MCU_LOAD_NICE_ARGS),
// as load lowers every thread of its process: the child first sets its
// threads to nice 1, so that leaving the priority shows, then runs load
// with arguments that stop it at the missing default clips, after it has
// applied -nice and before it sends anything, and prints each thread's nice.
func TestLoadNice(t *testing.T) {
	if args, ok := os.LookupEnv("MCU_LOAD_NICE_ARGS"); ok {
		loadNiceChild(args)
		return
	}
	for _, tc := range []struct {
		args string
		want int
	}{{"-nice 3", 3}, {"-nice 0", 1}, {"", 10}} {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestLoadNice$")
		cmd.Env = append(os.Environ(), "MCU_LOAD_NICE_ARGS="+tc.args)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("load %s: %v\n%s", tc.args, err, out)
		}
		var nices []string
		for line := range strings.Lines(string(out)) {
			if rest, ok := strings.CutPrefix(line, "skip: "); ok {
				t.Skipf("the child may not set its nice to 1: %s", rest)
			}
			if rest, ok := strings.CutPrefix(line, "nices:"); ok {
				nices = strings.Fields(rest)
			}
		}
		if len(nices) == 0 {
			t.Fatalf("load %s: no nice values in the child's output:\n%s", tc.args, out)
		}
		for _, n := range nices {
			if n != strconv.Itoa(tc.want) {
				t.Errorf("load %s: threads at nice %v, want all %d", tc.args, nices, tc.want)
				break
			}
		}
	}
}

// loadNiceChild is TestLoadNice's child: see there.
func loadNiceChild(args string) {
	if err := sched.Background(1); err != nil {
		fmt.Println("skip:", err)
		return
	}
	var stderr strings.Builder
	err := loadCommand(context.Background(), append(strings.Fields(args), "-url", "http://127.0.0.1:1", "-testdata", "/nonexistent"), io.Discard, &stderr)
	var ue usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "default clip") {
		fmt.Printf("load: %v, want the usage error for the missing default clips\n", err)
		return
	}
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print("nices:")
	for _, task := range tasks {
		b, err := os.ReadFile("/proc/self/task/" + task.Name() + "/stat")
		if err != nil {
			continue // ended since the listing
		}
		s := string(b)
		fmt.Print(" ", strings.Fields(s[strings.LastIndexByte(s, ')')+1:])[16])
	}
	fmt.Println()
	fmt.Print(stderr.String())
}
