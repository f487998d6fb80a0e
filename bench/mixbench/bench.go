package main

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

type row struct {
	N                 int
	MCU, FFmpeg, FF1  usage // FF1: ffmpeg with mcu's encoder threads (1); FFmpeg: its default threading
	LimitDecode       time.Duration
	LimitEncode       time.Duration
	PSNRmcu, PSNRff   float64
	PSNRcomposites    float64 // mcu's composite against FFmpeg's: the same picture?
	OutputKbps, FFKbs float64
}

func (r row) limit() time.Duration { return r.LimitDecode + r.LimitEncode }

func benchN(mcu, self, dir string, clips [][2]string, n, seconds int, quality bool) (row, error) {
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
	for _, f := range []string{out, ffOut, ff1Out} {
		os.Remove(f)
	}
	var err error
	log.Printf("N=%d: mcu mix", n)
	if r.MCU, _, err = run(mcu, append([]string{"mix", "-q", "-o", out}, parts...)...); err != nil {
		return r, err
	}
	g := ffmpegGraph(videos, audios)
	log.Printf("N=%d: ffmpeg, encoder threads as mcu", n)
	if r.FF1, _, err = run("ffmpeg", g.args(ff1Out, true)...); err != nil {
		return r, err
	}
	log.Printf("N=%d: ffmpeg, default threads", n)
	if r.FFmpeg, _, err = run("ffmpeg", g.args(ffOut, false)...); err != nil {
		return r, err
	}
	if !quality {
		return r, nil
	}
	// Quality: each output against its own uncompressed composite.
	comp := filepath.Join(dir, fmt.Sprintf("mcu-%d.y4m", n))
	ffComp := filepath.Join(dir, fmt.Sprintf("ffmpeg-%d.y4m", n))
	q := filepath.Join(dir, fmt.Sprintf("mcu-q-%d.webm", n))
	for _, f := range []string{comp, ffComp, q} {
		os.Remove(f)
	}
	defer os.Remove(comp)
	defer os.Remove(ffComp)
	log.Printf("N=%d: composites for PSNR", n)
	if _, _, err = run(mcu, append([]string{"mix", "-q", "-o", q, "-y4m", comp}, parts...)...); err != nil {
		return r, err
	}
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
	// The limit, with mcu's own codecs, each part in its own process.
	log.Printf("N=%d: limit", n)
	_, stdout, err := run(self, append([]string{"-limit-decode"}, append(videos, audios...)...)...)
	if err != nil {
		return r, err
	}
	r.LimitDecode = parseNanos(stdout)
	_, stdout, err = run(self, "-limit-encode", comp, "-seconds", strconv.Itoa(seconds))
	if err != nil {
		return r, err
	}
	r.LimitEncode = parseNanos(stdout)
	return r, nil
}

func parseNanos(b []byte) time.Duration {
	n, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return time.Duration(n)
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
