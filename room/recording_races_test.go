package room

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"mcu/internal/mediatest"
)

// TestConcurrentStarts: of eight starts at once, one makes the
// recording; the others are refused ErrRecording.
func TestConcurrentStarts(t *testing.T) {
	m := testManager(t)
	r, err := m.reserve("many", Viewer, false)
	if err != nil {
		t.Fatal(err)
	}
	defer m.endJoin(r, Viewer)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, paths := 0, map[string]bool{}
	for range 8 {
		wg.Go(func() {
			p, err := r.StartRecording()
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
				paths[p] = true
			case !errors.Is(err, ErrRecording):
				t.Errorf("start: %v", err)
			}
		})
	}
	wg.Wait()
	if ok != 1 {
		t.Errorf("%d starts made a recording, want 1", ok)
	}
	if _, err := r.StopRecording(); err != nil {
		t.Error(err)
	}
	ents, _ := os.ReadDir(filepath.Join(m.cfg.RecordDir, "many"))
	if len(ents) != 1 {
		t.Errorf("%d files, want 1", len(ents))
	}
}

// TestStartStopStart: starts and stops back to back, with the room's
// state read meanwhile, each give a file of its own, all finalized.
func TestStartStopStart(t *testing.T) {
	m := testManager(t)
	r, err := m.reserve("flip", Viewer, false)
	if err != nil {
		t.Fatal(err)
	}
	defer m.endJoin(r, Viewer)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for ctx.Err() == nil {
			r.Info()
			time.Sleep(time.Millisecond)
		}
	})
	seen := map[string]bool{}
	for i := range 6 {
		p, err := r.StartRecording()
		if err != nil {
			t.Fatalf("start %d: %v", i, err)
		}
		if seen[p] {
			t.Errorf("start %d: %s again", i, p)
		}
		seen[p] = true
		sp, err := r.StopRecording()
		if err != nil || sp != p {
			t.Errorf("stop %d: (%q, %v), want (%q, nil)", i, sp, err, p)
		}
		data, err := os.ReadFile(p)
		if err != nil || mediatest.WebMElements(data)[mediatest.EBMLCues] == 0 {
			t.Errorf("recording %d not finalized: %v", i, err)
		}
	}
	cancel()
	wg.Wait()
}

// TestReopenedRoomRecordsBesideTheClosing: a room's last one leaves
// while its recording is finalized slowly; a room of the same name opens
// and records within the same second: its file is another, and both end
// finalized.
func TestReopenedRoomRecordsBesideTheClosing(t *testing.T) {
	m := testManager(t)
	_, older, _, gate := leaveRecording(t, m, "again")
	fresh, err := m.reserve("again", Viewer, false)
	if err != nil {
		t.Fatal(err)
	}
	newer, err := fresh.StartRecording()
	if err != nil {
		t.Fatal(err)
	}
	if newer == older {
		t.Fatalf("both recordings in %s", newer)
	}
	t.Logf("%s and %s", filepath.Base(older), filepath.Base(newer))
	waitCluster(t, newer)
	close(gate)
	if p, err := m.StopRecording("again"); err != nil || p != newer {
		t.Errorf("stop: (%q, %v), want (%q, nil)", p, err, newer)
	}
	m.endJoin(fresh, Viewer)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{older, newer} {
		data, err := os.ReadFile(p)
		if err != nil || mediatest.WebMElements(data)[mediatest.EBMLCues] == 0 {
			t.Errorf("%s not finalized: %v", p, err)
		}
	}
}

// TestStartUnderMinFree: a start with the disk under RecordMinFree is
// refused ErrLowDisk and leaves nothing on the disk.
func TestStartUnderMinFree(t *testing.T) {
	cfg := DefaultConfig()
	cfg.RecordMinFree = 1 << 62
	m := testManagerWith(t, cfg)
	r, err := m.reserve("full", Viewer, false)
	if err != nil {
		t.Fatal(err)
	}
	defer m.endJoin(r, Viewer)
	if _, err := r.StartRecording(); !errors.Is(err, ErrLowDisk) {
		t.Errorf("start: %v, want ErrLowDisk", err)
	}
	if ents, _ := os.ReadDir(m.cfg.RecordDir); len(ents) != 0 {
		t.Errorf("%d entries left in the record folder", len(ents))
	}
	if _, err := r.StopRecording(); !errors.Is(err, ErrNotRecording) {
		t.Errorf("stop: %v, want ErrNotRecording", err)
	}
}
