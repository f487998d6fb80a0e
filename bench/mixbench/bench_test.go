package main

import (
	"math"
	"slices"
	"testing"
	"time"
)

// TestMeanPSNR guards the PSNR column: the frames' mean MSE converted to dB,
// as FFmpeg's average, not the mean of the frames' dB.
func TestMeanPSNR(t *testing.T) {
	// Two lines of an FFmpeg psnr stats_file.
	stats := "n:1 mse_avg:1.00 mse_y:1.00 mse_u:1.00 mse_v:1.00 psnr_avg:48.13 psnr_y:48.13 psnr_u:48.13 psnr_v:48.13\n" +
		"n:2 mse_avg:100.00 mse_y:100.00 mse_u:100.00 mse_v:100.00 psnr_avg:28.13 psnr_y:28.13 psnr_u:28.13 psnr_v:28.13\n"
	got, err := meanPSNR(stats)
	if err != nil {
		t.Fatal(err)
	}
	if want := 10 * math.Log10(255*255/50.5); math.Abs(got-want) > 1e-9 {
		t.Errorf("meanPSNR = %.4f dB, want %.4f", got, want)
	}
	if _, err := meanPSNR("n:1 psnr_avg:inf\n"); err == nil {
		t.Error("meanPSNR of a file without mse_avg gave no error")
	}
}

// TestAddRound guards the two CPU ratio columns: "mcu's threads" is mcu over
// FFmpeg run with mcu's threads, "default threads" over FFmpeg's own.
func TestAddRound(t *testing.T) {
	var r row
	r.addRound(usage{CPU: 6 * time.Second}, usage{CPU: 3 * time.Second}, usage{CPU: 4 * time.Second}, 12*time.Second)
	if !slices.Equal(r.VsFF1, []float64{2}) || !slices.Equal(r.VsFF, []float64{1.5}) || !slices.Equal(r.VsLimit, []float64{0.5}) {
		t.Errorf("VsFF1 %v, VsFF %v, VsLimit %v; want [2], [1.5], [0.5]", r.VsFF1, r.VsFF, r.VsLimit)
	}
}

// TestLimitDecodeArgs guards the limit's decode figure: it decodes the
// audio inputs as well as the video ones.
func TestLimitDecodeArgs(t *testing.T) {
	got := limitDecodeArgs([]string{"p01.ivf", "p02.ivf"}, []string{"p01.ogg", "p02.ogg"})
	if want := []string{"-limit-decode", "p01.ivf", "p02.ivf", "p01.ogg", "p02.ogg"}; !slices.Equal(got, want) {
		t.Errorf("limitDecodeArgs = %q, want %q", got, want)
	}
}
