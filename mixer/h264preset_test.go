package mixer

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"mcu/codec"
)

// TestH264PresetAtTheFirstStepOnly: the H.264 output takes strainPreset
// as soon as the VP8 encoder runs one step faster than its configured
// speed (not only further), and its own preset again once the VP8 encoder
// is back at its configured speed.
func TestH264PresetAtTheFirstStepOnly(t *testing.T) {
	cfg := testConfig().Video
	opened := presetsOpened(t)
	run := func(startSpeed, pictures int) []string {
		opened()
		enc, err := codec.NewVP8Encoder(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer enc.Close()
		if err := enc.SetSpeed(startSpeed); err != nil {
			t.Fatal(err)
		}
		st := &stats{}
		st.speed.Store(int64(startSpeed))
		// Every picture early: a step back after calmSeconds windows of 5.
		gov := &speedGovernor{base: cfg.Speed, fastest: cfg.Speed - 3*speedStep, interval: time.Hour, window: make([]time.Duration, 0, 5)}
		p, err := newEncodePipe(enc, &capture{}, st, slog.New(slog.DiscardHandler), true, func(error) {}, gov, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range pictures {
			c, err := p.buffer(context.Background(), true)
			if err != nil {
				t.Fatal(err)
			}
			p.submit(encodeJob{c: c, pts: time.Duration(i) * time.Second / time.Duration(cfg.FPS), key: i == 0, bitrate: cfg.Bitrate, h264: true})
		}
		if err := p.close(); err != nil {
			t.Fatal(err)
		}
		return opened()
	}
	// One step faster, for fewer pictures than a step back takes.
	if got := run(cfg.Speed-speedStep, 10); !slices.Equal(got, []string{strainPreset}) {
		t.Errorf("one step faster than configured: H.264 encoders opened with %v, want [%s]", got, strainPreset)
	}
	// One step faster, then back (after calmSeconds windows of 5 pictures).
	if got := run(cfg.Speed-speedStep, 5*calmSeconds+10); !slices.Equal(got, []string{strainPreset, cfg.H264().Preset}) {
		t.Errorf("one step faster, then back: H.264 encoders opened with %v, want [%s %s]", got, strainPreset, cfg.H264().Preset)
	}
}

// TestH264ConfiguredUltrafastIsNotReopened: an output configured with
// strainPreset itself has nothing to change under strain: its encoder
// opens once, whatever the strain, and only its first picture is a
// keyframe.
func TestH264ConfiguredUltrafastIsNotReopened(t *testing.T) {
	opened := presetsOpened(t)
	cfg := testConfig().Video
	cfg.Width, cfg.Height = 320, 180
	hc := cfg.H264()
	hc.Preset = strainPreset
	out := &capture{}
	st := &stats{}
	runH264(t, hc, out, st, []bool{false, true, false, true, true, false})
	keys := 0
	for _, f := range out.video {
		if f.Key {
			keys++
		}
	}
	if n := len(opened()); n != 1 || keys != 1 || st.h264Presets.Load() != 0 {
		t.Errorf("configured %s: encoder opened %d times, %d keyframes, %d preset changes; want 1, 1, 0", strainPreset, n, keys, st.h264Presets.Load())
	}
}

// presetsOpened has the H.264 encoders opened until the test ends record
// their presets, and returns what takes the presets opened since its last
// call.
func presetsOpened(t *testing.T) (take func() []string) {
	var mu sync.Mutex
	var presets []string
	open := newH264Encoder
	t.Cleanup(func() { newH264Encoder = open })
	newH264Encoder = func(c codec.H264Config) (*codec.H264Encoder, error) {
		mu.Lock()
		presets = append(presets, c.Preset)
		mu.Unlock()
		return codec.NewH264Encoder(c)
	}
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		p := presets
		presets = nil
		return p
	}
}

// runH264 offers a 320x180 canvas to an H.264 output of hc, offline (it
// waits for its encoder), once per element of strained, telling it
// whether the machine is short of CPU, and ends the output.
func runH264(t *testing.T, hc codec.H264Config, out Output, st *stats, strained []bool) {
	t.Helper()
	h := &h264Pipe{cfg: hc, out: out, stats: st, log: slog.New(slog.DiscardHandler),
		fail: func(err error) { t.Errorf("output failed: %v", err) }, block: true}
	pic, err := codec.NewPicture(320, 180)
	if err != nil {
		t.Fatal(err)
	}
	defer pic.Free()
	cv := newCanvas(pic, 0)
	for i, fast := range strained {
		h.offer(encodeJob{c: cv, pts: time.Duration(i) * time.Second / 30, bitrate: hc.Bitrate}, fast)
	}
	h.stop()
	h.wait()
}
