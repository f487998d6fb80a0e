package mixer

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"mcu/audio"
	"mcu/codec"
	"mcu/layout"
)

// TestLiveChurn: a live room whose participants join and leave, and
// whose layout switches, while the mixer runs in real time, their decoders
// putting pictures (of changing sizes, as the tile tells them) and sound
// from their own goroutines. Run with -race.
func TestLiveChurn(t *testing.T) {
	cfg := testConfig()
	cfg.Live = true
	cfg.Voices = 2
	m, err := New(cfg, &capture{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	runDone := make(chan error, 1)
	go func() { runDone <- m.Run(ctx, RealTime(), 0) }()
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for k := 0; ctx.Err() == nil; k++ {
				id := fmt.Sprint("w", w, "-", k)
				v, a := NewLiveVideo(), NewLiveAudio()
				if err := m.Add(Participant{ID: id, Name: id, Video: v, Audio: a, MixMinus: k%2 == 0}); err != nil {
					return
				}
				end := time.Now().Add(time.Duration(20+rng.IntN(200)) * time.Millisecond)
				pcm := make([]int16, audio.FrameLen)
				for i := 0; time.Now().Before(end) && ctx.Err() == nil; i++ {
					f := v.Buffer()
					w, h := 1+rng.IntN(700), 1+rng.IntN(400)
					sw, sh := w, h
					if size, aspect, ok := v.Box(); ok && !size.Empty() && rng.IntN(2) == 0 {
						_, p := InTile(w, h, size, aspect)
						if p.X > 0 && p.Y > 0 {
							w, h = p.X, p.Y
						}
					}
					f.Resize(w, h)
					f.SourceWidth, f.SourceHeight = sw, sh
					codec.FillRect(&f.YCbCr, f.Rect, byte(i), 128, 128)
					v.Put(f)
					for j := range audio.FrameSamples {
						s := int16(8000 * math.Sin(float64(i*audio.FrameSamples+j)/10))
						pcm[2*j], pcm[2*j+1] = s, s
					}
					a.Push(pcm)
					m.Voice(id)
					if rng.IntN(10) == 0 {
						m.SetLayout(layout.Mode(rng.IntN(2)))
					}
					time.Sleep(5 * time.Millisecond)
				}
				m.Remove(id)
			}
		}()
	}
	wg.Wait()
	if err := <-runDone; err != nil && ctx.Err() == nil {
		t.Fatal(err)
	}
}
