package main

import (
	"fmt"
	"os"
	"time"
)

func secs(d time.Duration) string { return fmt.Sprintf("%.2f", d.Seconds()) }

// mib is a peak RSS in KiB (ru_maxrss) in MiB, rounded as the load tool
// rounds it.
func mib(kib int64) int64 { return (kib + 512) / 1024 }

func printRow(r row) {
	fmt.Fprintf(os.Stderr, "N=%d  mcu %ss wall %ss cpu %d MiB | ffmpeg(1 thread per codec) %ss %ss %d MiB | ffmpeg(default) %ss %ss %d MiB | limit %ss\n",
		r.N, secs(r.MCU.Wall), secs(r.MCU.CPU), mib(r.MCU.PeakRSS), secs(r.FF1.Wall), secs(r.FF1.CPU), mib(r.FF1.PeakRSS),
		secs(r.FFmpeg.Wall), secs(r.FFmpeg.CPU), mib(r.FFmpeg.PeakRSS), secs(r.limit()))
}

// printTable prints the results as a Markdown table for the README.
func printTable(rows []row, seconds, runs int) {
	fmt.Printf("\n%d s of busy 640x360 VP8 per participant → 1280x720 30 fps VP8 + Opus; each figure the median of %d runs, each ratio the median (and range) of the runs' own ratios\n\n", seconds, runs)
	fmt.Println("| N | mcu wall (× real time) | mcu CPU | mcu peak RSS | FFmpeg CLI wall / CPU / RSS (mcu's threads) | FFmpeg CLI wall / CPU / RSS (default threads) | CPU mcu/FFmpeg, mcu's threads | CPU mcu/FFmpeg, default threads | limit CPU (decode + encode) | CPU mcu/limit | PSNR mcu / FFmpeg (dB) |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		rt := float64(seconds) / r.MCU.Wall.Seconds()
		fmt.Printf("| %d | %s s (%.2fx) | %s s | %d MiB | %s s / %s s / %d MiB | %s s / %s s / %d MiB | %s | %s | %s s (%s + %s) | %s | %s |\n",
			r.N, secs(r.MCU.Wall), rt, secs(r.MCU.CPU), mib(r.MCU.PeakRSS),
			secs(r.FF1.Wall), secs(r.FF1.CPU), mib(r.FF1.PeakRSS),
			secs(r.FFmpeg.Wall), secs(r.FFmpeg.CPU), mib(r.FFmpeg.PeakRSS),
			spread(r.VsFF1), spread(r.VsFF),
			secs(r.limit()), secs(r.LimitDecode), secs(r.LimitEncode), spread(r.VsLimit),
			psnrs(r))
	}
	fmt.Println()
	for _, r := range rows {
		if !r.Quality {
			continue
		}
		fmt.Printf("N=%d: composites agree at %.1f dB PSNR (mcu's against FFmpeg's); output %.0f kbit/s (mcu) and %.0f kbit/s (FFmpeg)\n",
			r.N, r.PSNRcomposites, r.OutputKbps, r.FFKbs)
	}
}

// psnrs is the PSNR column: "-" where the quality was not measured.
func psnrs(r row) string {
	if !r.Quality {
		return "-"
	}
	return fmt.Sprintf("%.2f / %.2f", r.PSNRmcu, r.PSNRff)
}

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
