package main

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

type row struct {
	N                int
	MCU, FFmpeg, FF1 usage // FF1: ffmpeg with mcu's threads (one per decoder, one encoder thread); FFmpeg: its default threading
	LimitDecode      time.Duration
	LimitEncode      time.Duration
	// Per round, mcu's CPU over its peers' in the same round: the
	// FFmpeg CLI with mcu's threads, with its own, and the limit. The
	// table gives their medians and ranges, not ratios of medians, which
	// could pair a fast moment of the machine with a slow one.
	VsFF1, VsFF, VsLimit []float64
	// The quality, if measured (-quality).
	Quality           bool
	PSNRmcu, PSNRff   float64
	PSNRcomposites    float64 // mcu's composite against FFmpeg's: the same picture?
	OutputKbps, FFKbs float64
}

func (r row) limit() time.Duration { return r.LimitDecode + r.LimitEncode }

func benchN(mcu, self, dir string, clips [][2]string, n, seconds, runs int, quality bool) (row, error) {
	r := row{N: n}
	var parts []string
	var videos, audios []string
	for i := range n {
		c := clips[i%len(clips)]
		parts = append(parts, c[0]+"+"+c[1])
		videos = append(videos, c[0])
		audios = append(audios, c[1])
	}
	out := filepath.Join(dir, fmt.Sprintf("mcu-%d.webm", n))
	ffOut := filepath.Join(dir, fmt.Sprintf("ffmpeg-%d.webm", n))
	ff1Out := filepath.Join(dir, fmt.Sprintf("ffmpeg1-%d.webm", n))
	g := ffmpegGraph(videos, audios)
	// mcu's uncompressed composite: what the limit's encoder encodes, and
	// what mcu's output is compared with for quality.
	comp := filepath.Join(dir, fmt.Sprintf("mcu-%d.y4m", n))
	q := filepath.Join(dir, fmt.Sprintf("mcu-q-%d.webm", n))
	for _, f := range []string{comp, q} {
		os.Remove(f)
	}
	defer os.Remove(comp)
	defer os.Remove(q)
	log.Printf("N=%d: mcu's composite", n)
	if _, _, err := run(mcu, append([]string{"mix", "-q", "-o", q, "-y4m", comp}, parts...)...); err != nil {
		return r, err
	}
	// The jobs take turns, runs times, so that a slow patch of a noisy
	// machine hits all of them; each figure is the median of its runs. The
	// limit takes its turn too, with mcu's own codecs, each part in its own
	// process: measured at another time, on a machine whose speed drifts,
	// the ratio to it would say more about the drift than about mcu.
	var mcuRuns, ff1Runs, ffRuns []usage
	var decodes, encodes []time.Duration
	for i := range runs {
		for _, f := range []string{out, ffOut, ff1Out} {
			os.Remove(f)
		}
		log.Printf("N=%d run %d/%d: mcu mix, ffmpeg with mcu's codec threads, ffmpeg with its default threads, the limit", n, i+1, runs)
		u, _, err := run(mcu, append([]string{"mix", "-q", "-o", out}, parts...)...)
		if err != nil {
			return r, err
		}
		mcuRuns = append(mcuRuns, u)
		if u, _, err = run("ffmpeg", g.args(ff1Out, true)...); err != nil {
			return r, err
		}
		ff1Runs = append(ff1Runs, u)
		if u, _, err = run("ffmpeg", g.args(ffOut, false)...); err != nil {
			return r, err
		}
		ffRuns = append(ffRuns, u)
		_, stdout, err := run(self, limitDecodeArgs(videos, audios)...)
		if err != nil {
			return r, err
		}
		d, err := parseNanos(stdout)
		if err != nil {
			return r, fmt.Errorf("the limit's decoding: %w", err)
		}
		decodes = append(decodes, d)
		if _, stdout, err = run(self, "-limit-encode", comp, "-seconds", strconv.Itoa(seconds)); err != nil {
			return r, err
		}
		e, err := parseNanos(stdout)
		if err != nil {
			return r, fmt.Errorf("the limit's encoding: %w", err)
		}
		encodes = append(encodes, e)
		r.addRound(mcuRuns[i], ff1Runs[i], ffRuns[i], decodes[i]+encodes[i])
	}
	r.MCU, r.FF1, r.FFmpeg = median(mcuRuns), median(ff1Runs), median(ffRuns)
	r.LimitDecode, r.LimitEncode = medianOf(decodes), medianOf(encodes)
	if !quality {
		return r, nil
	}
	r.Quality = true
	// Quality: each output against its own uncompressed composite.
	ffComp := filepath.Join(dir, fmt.Sprintf("ffmpeg-%d.y4m", n))
	os.Remove(ffComp)
	defer os.Remove(ffComp)
	log.Printf("N=%d: FFmpeg's composite for PSNR", n)
	var err error
	if _, _, err = run("ffmpeg", g.rawArgs(ffComp)...); err != nil {
		return r, err
	}
	if r.PSNRmcu, err = psnr(out, comp); err != nil {
		return r, err
	}
	if r.PSNRff, err = psnr(ff1Out, ffComp); err != nil {
		return r, err
	}
	if r.PSNRcomposites, err = psnr(comp, ffComp); err != nil {
		return r, err
	}
	r.OutputKbps, r.FFKbs = kbps(out, seconds), kbps(ff1Out, seconds)
	return r, nil
}

// limitDecodeArgs makes this command decode every input, video and audio,
// for the limit.
func limitDecodeArgs(videos, audios []string) []string {
	return append([]string{"-limit-decode"}, append(videos, audios...)...)
}

// addRound adds one round's ratios of mcu's CPU to its peers': FFmpeg with
// mcu's threads (ff1), with its own (ff), and the limit.
func (r *row) addRound(mcu, ff1, ff usage, limit time.Duration) {
	r.VsFF1 = append(r.VsFF1, ratio(mcu.CPU, ff1.CPU))
	r.VsFF = append(r.VsFF, ratio(mcu.CPU, ff.CPU))
	r.VsLimit = append(r.VsLimit, ratio(mcu.CPU, limit))
}

// parseNanos reads the CPU time a limit's child prints, in nanoseconds:
// its whole output.
func parseNanos(b []byte) (time.Duration, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("the child printed %q, not its CPU time in nanoseconds", b)
	}
	return time.Duration(n), nil
}

func kbps(path string, seconds int) float64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return float64(st.Size()*8) / float64(seconds) / 1000
}

// psnr of a's video against b's, with FFmpeg's psnr filter, frame by frame
// in order: containers start their streams at slightly different times
// (WebM's video may start a few ms in), which would otherwise make the
// filter pair the wrong frames.
func psnr(a, b string) (float64, error) {
	_, _, err := run("ffmpeg", "-hide_banner", "-loglevel", "error", "-i", a, "-i", b,
		"-lavfi", "[0:v]setpts=N/(30*TB)[a];[1:v]setpts=N/(30*TB)[b];[a][b]psnr=stats_file="+a+".psnr.log", "-f", "null", "-")
	if err != nil {
		return 0, err
	}
	defer os.Remove(a + ".psnr.log")
	// The summary goes to the log at info level; recompute from the stats.
	data, err := os.ReadFile(a + ".psnr.log")
	if err != nil {
		return 0, err
	}
	return meanPSNR(string(data))
}

var mseRE = regexp.MustCompile(`mse_avg:([0-9.]+)`)

// meanPSNR averages the per-frame MSE of a psnr stats file and converts it,
// as FFmpeg's "average" does.
func meanPSNR(stats string) (float64, error) {
	var sum float64
	var n int
	for _, m := range mseRE.FindAllStringSubmatch(stats, -1) {
		v, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			return 0, err
		}
		sum += v
		n++
	}
	if n == 0 {
		return 0, fmt.Errorf("no PSNR statistics")
	}
	return mseToPSNR(sum / float64(n)), nil
}

// median takes the median of each figure of the runs separately.
func median(runs []usage) usage {
	var wall, cpu, rss []time.Duration
	for _, u := range runs {
		wall, cpu, rss = append(wall, u.Wall), append(cpu, u.CPU), append(rss, time.Duration(u.PeakRSS))
	}
	return usage{Wall: medianOf(wall), CPU: medianOf(cpu), PeakRSS: int64(medianOf(rss))}
}

// spread is the median of v and its range, as "0.80 (0.77–0.82)".
func spread(v []float64) string {
	if len(v) == 0 {
		return "-"
	}
	if len(v) == 1 {
		return fmt.Sprintf("%.2f", v[0])
	}
	return fmt.Sprintf("%.2f (%.2f–%.2f)", medianOf(v), slices.Min(v), slices.Max(v))
}

func medianOf[T time.Duration | float64](v []T) T {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}
