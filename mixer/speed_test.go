package mixer

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"mcu/codec"
)

// TestSpeedGovernor: over each second of pictures, a 90th percentile of
// encode times above 60 % of the frame interval steps the speed up by two,
// to the fastest allowed; ten seconds in a row under 30 % step it back by
// two, to the configured speed; anything in between restarts the count. A
// keyframe now and then (a few slow pictures in a second) is not a
// strain.
func TestSpeedGovernor(t *testing.T) {
	const fps = 30
	interval := time.Second / fps
	strained := interval * 7 / 10 // 70 %
	middle := interval / 2        // 50 %
	easy := interval / 5          // 20 %
	type second struct {
		wall      time.Duration
		slow      int // pictures of the second at 3x the interval, last
		wantSpeed int // after the second
	}
	for _, tc := range []struct {
		name    string
		seconds []second
	}{
		{"strained, to the fastest and no further", []second{
			{strained, 0, -8}, {strained, 0, -10}, {strained, 0, -12}, {strained, 0, -12}}},
		{"a keyframe a second is no strain", []second{
			{easy, 2, -6}, {easy, 2, -6}, {easy, 3, -8}}}, // 3 of 30 reach the 90th percentile
		{"at ease for ten seconds, a step back", append(append([]second{{strained, 0, -8}, {strained, 0, -10}},
			slices.Repeat([]second{{easy, 0, -10}}, 9)...), second{easy, 0, -8})},
		{"a second between the two restarts the count", append(append(append([]second{{strained, 0, -8}},
			slices.Repeat([]second{{easy, 0, -8}}, 9)...), second{middle, 0, -8}),
			append(slices.Repeat([]second{{easy, 0, -8}}, 9), second{easy, 0, -6}, second{easy, 0, -6})...)},
		{"never slower than configured", slices.Repeat([]second{{easy, 0, -6}}, 25)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newSpeedGovernor(-6, -12, fps)
			speed := -6
			now := time.Now()
			for i, s := range tc.seconds {
				var p90 time.Duration
				for k := range fps {
					wall := s.wall
					if k >= fps-s.slow {
						wall = 3 * interval
					}
					now = now.Add(interval)
					next, q := g.observe(now, wall, speed)
					if k < fps-1 && (next != speed || q != 0) {
						t.Fatalf("second %d, picture %d: speed %d (p90 %v) before the second was over", i, k, next, q)
					}
					speed, p90 = next, q
				}
				if p90 == 0 {
					t.Fatalf("second %d: no 90th percentile at its end", i)
				}
				if speed != s.wantSpeed {
					t.Fatalf("after second %d (p90 %v): speed %d, want %d", i, p90, speed, s.wantSpeed)
				}
			}
		})
	}
	// An encoder far behind, a picture every 400 ms: the window is a
	// second's, three pictures.
	g := newSpeedGovernor(-6, -12, fps)
	now, speed, steps := time.Now(), -6, 0
	for k := range 6 {
		now = now.Add(400 * time.Millisecond)
		next, p90 := g.observe(now, 400*time.Millisecond, speed)
		if next != speed {
			steps++
			if k != 2 && k != 5 || p90 != 400*time.Millisecond {
				t.Errorf("picture %d (p90 %v): a step before a second had passed", k, p90)
			}
		}
		speed = next
	}
	if speed != -10 || steps != 2 {
		t.Errorf("a picture every 400 ms for 2.4 s: speed %d after %d steps, want -10 after 2", speed, steps)
	}
	if g := newSpeedGovernor(-6, -6, fps); g != nil {
		t.Error("a governor with no faster speed to go to")
	}
	if g := newSpeedGovernor(-12, -6, fps); g != nil {
		t.Error("a governor whose fastest speed is slower than the configured one")
	}
}

// speedObserver counts the speed steps it is told of.
type speedObserver struct {
	stageObserver
	faster, slower atomic.Int64
}

func (o *speedObserver) EncoderSpeed(faster bool) {
	if faster {
		o.faster.Add(1)
	} else {
		o.slower.Add(1)
	}
}

// TestEncodePipeGovernsSpeed: the encoder's goroutine gives the governor
// each picture's encode time and applies its choice to the running
// encoder, counted in the stats and told to the observer. Here the frame
// interval the governor knows is a nanosecond (every picture is late), then
// an hour (every picture is early).
func TestEncodePipeGovernsSpeed(t *testing.T) {
	cfg := testConfig().Video
	h264 := false // the pictures go to an H.264 output too
	run := func(gov *speedGovernor, startSpeed, pictures int) (*codec.VP8Encoder, *stats, *speedObserver) {
		enc, err := codec.NewVP8Encoder(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := enc.SetSpeed(startSpeed); err != nil {
			t.Fatal(err)
		}
		obs := &speedObserver{stageObserver: stageObserver{spans: map[Stage]int{}}}
		st := &stats{obs: obs}
		st.speed.Store(int64(startSpeed))
		p, err := newEncodePipe(enc, &capture{}, st, slog.Default(), true, func(error) {}, gov, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		for i := range pictures {
			c, err := p.buffer(ctx, true)
			if err != nil {
				t.Fatal(err)
			}
			p.submit(encodeJob{c: c, pts: time.Duration(i) * time.Second / time.Duration(cfg.FPS), key: i == 0, bitrate: cfg.Bitrate, h264: h264})
		}
		speed := enc.Config().Speed
		if err := p.close(); err != nil {
			t.Fatal(err)
		}
		if got := int(st.speed.Load()); got != speed {
			t.Errorf("stats say speed %d, the encoder runs at %d", got, speed)
		}
		return enc, st, obs
	}
	window := func(interval time.Duration) *speedGovernor {
		return &speedGovernor{base: cfg.Speed, fastest: -12, interval: interval, window: make([]time.Duration, 0, 5)}
	}

	// Late: 4 windows of 5 pictures, 3 steps to -12.
	_, st, obs := run(window(time.Nanosecond), cfg.Speed, 20)
	if got := st.speed.Load(); got != -12 {
		t.Errorf("late pictures: speed %d, want -12", got)
	}
	if st.speedUps.Load() != 3 || obs.faster.Load() != 3 || st.speedDowns.Load() != 0 || obs.slower.Load() != 0 {
		t.Errorf("late pictures: %d steps up (observer %d), %d down (%d); want 3 up", st.speedUps.Load(), obs.faster.Load(), st.speedDowns.Load(), obs.slower.Load())
	}

	// Early, from -12: a step back every 10 windows, to the configured speed.
	_, st, obs = run(window(time.Hour), -12, 5*10*3+5)
	if got := st.speed.Load(); got != int64(cfg.Speed) {
		t.Errorf("early pictures: speed %d, want %d", got, cfg.Speed)
	}
	if st.speedDowns.Load() != 3 || obs.slower.Load() != 3 || st.speedUps.Load() != 0 {
		t.Errorf("early pictures: %d steps down (observer %d), %d up; want 3 down", st.speedDowns.Load(), obs.slower.Load(), st.speedUps.Load())
	}

	// Late, with an H.264 output: its encoder opens again with
	// strainPreset once the VP8 encoder has stepped up, and only then.
	opened := presetsOpened(t)
	h264 = true
	if _, st, _ = run(window(time.Nanosecond), cfg.Speed, 20); !slices.Equal(opened(), []string{cfg.H264().Preset, strainPreset}) || st.h264Presets.Load() != 1 {
		t.Errorf("late pictures with H.264: %d preset changes counted, and the encoders opened not with %s then %s", st.h264Presets.Load(), cfg.H264().Preset, strainPreset)
	}
}

// noiseSource gives a new picture of noise at every tick, the costliest
// thing to encode: a few of them, taken in turn.
type noiseSource struct {
	frames []*codec.Frame
	seq    uint64
}

func newNoiseSource(w, h int) *noiseSource {
	s := &noiseSource{}
	rng := rand.NewChaCha8([32]byte{7})
	for range 3 {
		f := codec.NewFrame(w, h)
		rng.Read(f.Y)
		rng.Read(f.Cb)
		rng.Read(f.Cr)
		s.frames = append(s.frames, f)
	}
	return s
}

func (s *noiseSource) VideoAt(context.Context, time.Duration) (*codec.Frame, error) {
	s.seq++
	f := s.frames[s.seq%uint64(len(s.frames))]
	f.Seq = s.seq
	return f, nil
}

// TestLiveEncoderSpeedsUpUnderStrain: a live mixer whose encoder cannot
// keep up (a canvas of noise at 60 fps: its pictures take several times
// the 17 ms between them, some 35 ms each on the development machine) steps its speed up, and says so; offline, the
// same mix keeps the configured speed, whatever the machine (the output
// must not depend on it).
func TestLiveEncoderSpeedsUpUnderStrain(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Video.Width, cfg.Video.Height, cfg.Video.FPS, cfg.Video.KeyframeInterval = 1280, 720, 60, 600
	cfg.StrainSpeed = -12
	noise := newNoiseSource(cfg.Video.Width, cfg.Video.Height)
	run := func(live bool, clock Clock, until time.Duration, done func(*Mixer) bool) (Stats, *speedObserver) {
		c := cfg
		c.Live = live
		obs := &speedObserver{stageObserver: stageObserver{spans: map[Stage]int{}}}
		c.Observer = obs
		m, err := New(c, &capture{})
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Add(Participant{ID: "noise", Video: noise}); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		defer cancel()
		ran := make(chan error, 1)
		go func() { ran <- m.Run(ctx, clock, until) }()
		if done != nil {
			for !done(m) && ctx.Err() == nil {
				time.Sleep(20 * time.Millisecond)
			}
			cancel()
		}
		if err := <-ran; err != nil && ctx.Err() == nil {
			t.Fatal(err)
		}
		return m.Stats(), obs
	}

	st, obs := run(true, RealTime(), 0, func(m *Mixer) bool { return m.Stats().SpeedUps >= 2 })
	t.Logf("live: %d pictures, encode mean %v; speed %d after %d steps up", st.VideoFrames, st.Encode.Mean(), st.Speed, st.SpeedUps)
	if st.SpeedUps < 2 || st.Speed > -10 || obs.faster.Load() != int64(st.SpeedUps) || st.SpeedDowns != 0 {
		t.Errorf("live, strained: speed %d after %d steps up (observer: %d) and %d down; want at least 2 up, to -10 or faster",
			st.Speed, st.SpeedUps, obs.faster.Load(), st.SpeedDowns)
	}

	// Offline: 40 pictures, over a second of encoding; no step.
	st, obs = run(false, AsFastAsPossible(), 40*time.Second/60, nil)
	t.Logf("offline: %d pictures, encode mean %v; speed %d", st.VideoFrames, st.Encode.Mean(), st.Speed)
	if st.VideoFrames < 40 || st.Speed != cfg.Video.Speed || st.SpeedUps+st.SpeedDowns != 0 || obs.faster.Load() != 0 {
		t.Errorf("offline: %d pictures at speed %d after %d steps; want 40 or more, all at %d", st.VideoFrames, st.Speed, st.SpeedUps+st.SpeedDowns, cfg.Video.Speed)
	}
}
