package main

import (
	"slices"
	"testing"
)

// TestSameThreadsMeansOneThreadEach: the FFmpeg CLI "with mcu's threads"
// decodes each input on one thread, Opus with libopus as mcu does, runs
// its filter graph on one thread and encodes on one; with its own threads
// it is given none of these. Its filters left on their own threads (one
// pool per CPU) cost it 8–12 % more CPU for the same file, and flattered
// mcu's ratio by as much.
func TestSameThreadsMeansOneThreadEach(t *testing.T) {
	g := ffmpegGraph([]string{"a.ivf", "b.ivf"}, []string{"a.ogg", "b.ogg"})
	count := func(args []string, opt, val string) int {
		n := 0
		for i := 0; i+1 < len(args); i++ {
			if args[i] == opt && args[i+1] == val {
				n++
			}
		}
		return n
	}
	same, own := g.args("o.webm", true), g.args("o.webm", false)
	if n := count(same, "-threads", "1"); n != 5 { // 4 decoders and the encoder
		t.Errorf("mcu's threads: %d × -threads 1, want 5: %q", n, same)
	}
	if count(same, "-filter_complex_threads", "1") != 1 {
		t.Errorf("mcu's threads: the filter graph not held to one thread: %q", same)
	}
	// The input options: what comes before the filter graph.
	inputs := func(args []string) []string { return args[:slices.Index(args, "-filter_complex")] }
	if n := count(inputs(same), "-c:a", "libopus"); n != 2 {
		t.Errorf("mcu's threads: %d Opus inputs decoded by libopus, want 2: %q", n, same)
	}
	for i, a := range inputs(same) {
		if a == "-c:a" && (same[i+2] != "-i" || same[i+3] != "a.ogg" && same[i+3] != "b.ogg") {
			t.Errorf("mcu's threads: -c:a not just before an Ogg input: %q", same)
		}
	}
	if slices.Contains(own, "-threads") || slices.Contains(own, "-filter_complex_threads") || count(inputs(own), "-c:a", "libopus") > 0 {
		t.Errorf("its own threads: %q", own)
	}
}
