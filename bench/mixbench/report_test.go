package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

// TestPrintTableRealTimeFactor guards the table's "× real time": seconds of
// media over mcu's wall time, not its CPU time.
func TestPrintTableRealTimeFactor(t *testing.T) {
	r := row{N: 4, MCU: usage{Wall: 2 * time.Second, CPU: 4 * time.Second}}
	out := captureStdout(t, func() { printTable([]row{r}, 10, 3) })
	if want := "| 4 | 2.00 s (5.00x) | 4.00 s |"; !strings.Contains(out, want) {
		t.Errorf("the table has no %q:\n%s", want, out)
	}
}

// captureStdout returns what f prints to os.Stdout.
func captureStdout(t *testing.T, f func()) string {
	t.Helper()
	tmp, err := os.CreateTemp(t.TempDir(), "stdout")
	if err != nil {
		t.Fatal(err)
	}
	defer tmp.Close()
	saved := os.Stdout
	os.Stdout = tmp
	defer func() { os.Stdout = saved }()
	f()
	b, err := os.ReadFile(tmp.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestNoQualityNoPSNR: with -quality=false nothing of the quality is
// measured, and the table says so rather than print a PSNR of 0.00 dB,
// composites agreeing at 0 dB and outputs of 0 kbit/s.
func TestNoQualityNoPSNR(t *testing.T) {
	r := row{N: 4, MCU: usage{Wall: 2 * time.Second, CPU: 4 * time.Second}} // what benchN returns with quality false
	out := captureStdout(t, func() { printTable([]row{r}, 10, 3) })
	for _, bad := range []string{"0.00 / 0.00", "agree at", "kbit/s (mcu)"} {
		if strings.Contains(out, bad) {
			t.Errorf("unmeasured quality printed as %q:\n%s", bad, out)
		}
	}
	if !strings.Contains(out, "| - |\n") {
		t.Errorf("the PSNR column of a run without -quality is not \"-\":\n%s", out)
	}
	r.Quality, r.PSNRmcu, r.PSNRff, r.PSNRcomposites, r.OutputKbps, r.FFKbs = true, 32.61, 32.58, 38, 1480, 1500
	out = captureStdout(t, func() { printTable([]row{r}, 10, 3) })
	for _, want := range []string{"| 32.61 / 32.58 |", "agree at 38.0 dB", "1480 kbit/s (mcu)"} {
		if !strings.Contains(out, want) {
			t.Errorf("the quality measured is not printed as %q:\n%s", want, out)
		}
	}
}

// TestLimitOutputRead: the limit's child prints its CPU time in
// nanoseconds and nothing else; anything else (a library's notice, nothing)
// is an error, never a limit of 0 and a ratio of 0 in the table.
func TestLimitOutputRead(t *testing.T) {
	if d, err := parseNanos([]byte("1234567\n")); err != nil || d != 1234567 {
		t.Errorf("parseNanos(1234567) = %v, %v", d, err)
	}
	for _, out := range []string{"libvpx: some notice\n1234567\n", "", "0\n", "-5\n"} {
		if d, err := parseNanos([]byte(out)); err == nil {
			t.Errorf("parseNanos(%q) = %v, no error", out, d)
		}
	}
}

// TestPeakRSSRounded: ru_maxrss is in KiB; the table rounds it to MiB, as
// the load tool does (68.99 MiB is 69).
func TestPeakRSSRounded(t *testing.T) {
	r := row{N: 9, MCU: usage{Wall: 2 * time.Second, CPU: 4 * time.Second, PeakRSS: 68*1024 + 1013}}
	out := captureStdout(t, func() { printTable([]row{r}, 10, 3) })
	if !strings.Contains(out, "| 69 MiB |") {
		t.Errorf("a peak of %.2f MiB is not printed as 69 MiB:\n%s", float64(r.MCU.PeakRSS)/1024, out)
	}
}

// TestMedianAndSpread pins the figures and ratio columns: an odd count's
// middle value, an even count's mean of the two middle ones, and the
// range beside the median.
func TestMedianAndSpread(t *testing.T) {
	if got := medianOf([]float64{0.9, 0.7, 0.8}); got != 0.8 {
		t.Errorf("median of three = %v, want 0.8", got)
	}
	if got := medianOf([]time.Duration{4, 1, 3, 2}); got != 2 {
		t.Errorf("median of four durations = %v, want 2 (the mean of 2 and 3, truncated)", got)
	}
	if got := medianOf([]float64{4, 1, 3, 2}); got != 2.5 {
		t.Errorf("median of four = %v, want 2.5", got)
	}
	if got := spread([]float64{0.83, 0.77, 0.80}); got != "0.80 (0.77–0.83)" {
		t.Errorf("spread = %q", got)
	}
	u := median([]usage{{Wall: 3, CPU: 10, PeakRSS: 7}, {Wall: 1, CPU: 30, PeakRSS: 9}, {Wall: 2, CPU: 20, PeakRSS: 8}})
	if u != (usage{Wall: 2, CPU: 20, PeakRSS: 8}) {
		t.Errorf("median usage = %+v", u)
	}
}
