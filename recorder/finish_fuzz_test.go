//go:build cgo

package recorder

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"mcu/codec"
)

// tinyKilled is a killed recording of a few 64x64 VP8 pictures and Opus
// packets: its bytes before Close.
func tinyKilled(t testing.TB, dir string) []byte {
	cfg := codec.DefaultVP8Config()
	cfg.Width, cfg.Height, cfg.Bitrate, cfg.KeyframeInterval = 64, 64, 100_000, 4
	v, err := codec.NewVP8Encoder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	a, err := codec.NewOpusEncoder(codec.DefaultOpusConfig())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "seed.webm")
	w, err := CreateWebM(path, WebMConfig{Width: 64, Height: 64, FPS: 30, ClusterDuration: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	pic := codec.NewFrame(64, 64)
	pcm := make([]int16, 1920)
	for i := range 8 {
		codec.FillRect(&pic.YCbCr, pic.Rect, uint8(20*i), 100, 170)
		f, err := v.Encode(&pic.YCbCr, time.Duration(i)*time.Second/30, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteVideo(f); err != nil {
			t.Fatal(err)
		}
		for j := range 2 {
			data, err := a.Encode(pcm)
			if err != nil {
				t.Fatal(err)
			}
			k := 2*i + j
			if err := w.WriteAudio(codec.EncodedFrame{Data: data, PTS: time.Duration(k) * 20 * time.Millisecond, Duration: 20 * time.Millisecond, Key: true}); err != nil {
				t.Fatal(err)
			}
		}
	}
	w.io.Flush()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	return data
}

// FuzzFinish: whatever file mcu finish (or FinishAll) is given, reading
// and rewriting it never panics or hangs.
func FuzzFinish(f *testing.F) {
	dir, err := os.MkdirTemp("", "finish-fuzz")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { os.RemoveAll(dir) })
	seed := tinyKilled(f, dir)
	f.Add(seed)
	f.Add(seed[:len(seed)/2])
	f.Fuzz(func(t *testing.T, data []byte) {
		d := t.TempDir()
		in := filepath.Join(d, "in.webm")
		if err := os.WriteFile(in, data, 0o640); err != nil {
			t.Fatal(err)
		}
		unfinishedHead(data)
		Unfinished(in)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		start := time.Now()
		Finish(ctx, in, func(cfg WebMConfig) (*WebMWriter, error) {
			return CreateWebM(filepath.Join(d, "out.webm"), cfg)
		})
		if el := time.Since(start); el > 5*time.Second {
			t.Fatalf("Finish took %v on %d bytes", el, len(data))
		}
		if fi, err := os.Stat(filepath.Join(d, "out.webm")); err == nil && fi.Size() > 4*int64(len(data))+64<<10 {
			t.Fatalf("finished file of %d bytes from %d", fi.Size(), len(data))
		}
	})
}
