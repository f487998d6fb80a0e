package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestEncodeAloneLoadsBeforeTheClock guards the limit's encode figure: the
// copy of the composite into the encoder's picture is outside the clock, so
// the clock is not read before pic.Load has succeeded.
func TestEncodeAloneLoadsBeforeTheClock(t *testing.T) {
	// A 16x16 composite does not fit the encoder's picture, so Load fails
	// on the first frame.
	path := filepath.Join(t.TempDir(), "small.y4m")
	y4m := append([]byte("YUV4MPEG2 W16 H16 F30:1 Ip A1:1 C420jpeg\nFRAME\n"), make([]byte, 16*16+2*8*8)...)
	if err := os.WriteFile(path, y4m, 0o644); err != nil {
		t.Fatal(err)
	}
	reads := 0
	saved := cpuTime
	cpuTime = func() time.Duration { reads++; return 0 }
	defer func() { cpuTime = saved }()
	if _, err := encodeAlone(path, 1); err == nil {
		t.Fatal("encodeAlone took a 16x16 composite")
	}
	if reads != 0 {
		t.Errorf("the clock was read %d times before the picture was loaded", reads)
	}
}
