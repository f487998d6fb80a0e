// Command mixbench measures `mcu mix` side by side with the FFmpeg CLI doing
// the same job on the same busy clips: decode N inputs, scale them into the
// same grid, mix the audio, encode VP8 with the same real-time settings and
// Opus, write WebM. For each N it prints wall time, CPU time and peak memory
// of both, their ratios, the "limit" (decoding every input alone plus
// encoding the output alone, with mcu's codecs), and the PSNR of each output
// against its own uncompressed composite.
//
//	go run ./bench/mixbench -mcu bin/mcu [-n 4,9,16] [-seconds 10] [-runs 3]
package main

import (
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	log.SetFlags(0)
	mcu := flag.String("mcu", "bin/mcu", "the mcu binary to measure")
	ns := flag.String("n", "4,9,16", "participant counts")
	seconds := flag.Int("seconds", 10, "clip length")
	runs := flag.Int("runs", 3, "runs of each measurement; the median is reported")
	dir := flag.String("dir", "", "work folder (default: a temporary one, removed after)")
	quality := flag.Bool("quality", true, "also measure PSNR against the uncompressed composites")
	limitDecode := flag.Bool("limit-decode", false, "internal: decode the files given as arguments and print the CPU time")
	limitEncode := flag.String("limit-encode", "", "internal: encode this YUV4MPEG2 file with mcu's encoder and print the CPU time")
	flag.Parse()

	switch {
	case *limitDecode:
		cpu, err := decodeAlone(flag.Args())
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(cpu.Nanoseconds())
		return
	case *limitEncode != "":
		cpu, err := encodeAlone(*limitEncode, *seconds)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(cpu.Nanoseconds())
		return
	}

	work := *dir
	if work == "" {
		var err error
		if work, err = os.MkdirTemp("", "mixbench-"); err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(work)
	}
	clips, err := makeClips(work, *seconds)
	if err != nil {
		log.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		log.Fatal(err)
	}
	var rows []row
	for _, s := range strings.Split(*ns, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			log.Fatalf("bad -n %q", s)
		}
		r, err := benchN(*mcu, self, work, clips, n, *seconds, max(*runs, 1), *quality)
		if err != nil {
			log.Fatal(err)
		}
		rows = append(rows, r)
		printRow(r)
	}
	printTable(rows, *seconds, max(*runs, 1))
}

// makeClips writes the busy benchmark clips (not committed) with the
// testdata script and returns the participants' (video, audio) files.
func makeClips(dir string, seconds int) ([][2]string, error) {
	script := filepath.Join("scripts", "make-testdata.sh")
	var clips [][2]string
	for i := 1; i <= 9; i++ {
		clips = append(clips, [2]string{filepath.Join(dir, fmt.Sprintf("p%02d.ivf", i)), filepath.Join(dir, fmt.Sprintf("p%02d.ogg", i))})
	}
	if _, err := os.Stat(clips[8][1]); err == nil {
		// Clips made earlier for another length would make every
		// real-time factor and bitrate wrong.
		got, err := clipSeconds(clips[0][0])
		if err != nil {
			return nil, err
		}
		if math.Abs(got-float64(seconds)) > 0.5 {
			return nil, fmt.Errorf("the clips in %s last %.1f s, not the %d s of -seconds: remove them, or give -seconds %.0f", dir, got, seconds, got)
		}
		return clips, nil
	}
	log.Printf("making busy clips in %s", dir)
	cmd := exec.Command(script, "--busy", dir, "--seconds", strconv.Itoa(seconds))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s: %w", script, err)
	}
	return clips, nil
}

// clipSeconds is how long a clip lasts, by ffprobe.
func clipSeconds(path string) (float64, error) {
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path).Output()
	if err != nil {
		return 0, fmt.Errorf("ffprobe %s: %w", path, err)
	}
	return strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
}

// usage is what one process cost.
type usage struct {
	Wall, CPU time.Duration
	PeakRSS   int64 // KiB
}

// run executes a command and measures it; stdout is returned.
func run(name string, args ...string) (usage, []byte, error) {
	cmd := exec.Command(name, args...)
	var out strings.Builder
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr
	start := time.Now()
	err := cmd.Run()
	u := usage{Wall: time.Since(start)}
	if cmd.ProcessState != nil {
		u.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			u.PeakRSS = ru.Maxrss
		}
	}
	if err != nil {
		return u, nil, fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return u, []byte(out.String()), nil
}
