package room

import (
	"context"
	"errors"
	"testing"
	"time"
)

func testManager(t *testing.T) *Manager {
	t.Helper()
	cfg := DefaultConfig()
	cfg.RecordDir = t.TempDir()
	cfg.Mixer.Video.Width, cfg.Mixer.Video.Height = 320, 180
	m, err := NewManager(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := m.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	return m
}

// TestJoinInFlightKeepsRoomOpen: a room stays open while any join, a
// viewer's too, is being negotiated, even when everyone else leaves or
// fails meanwhile; it closes once the last join is done with it.
func TestJoinInFlightKeepsRoomOpen(t *testing.T) {
	for _, kind := range []Kind{Viewer, Participant, Publisher} {
		t.Run(kind.String(), func(t *testing.T) {
			m := testManager(t)
			r, err := m.reserve("x", kind)
			if err != nil {
				t.Fatal(err)
			}
			m.closeIfEmpty(r) // as when the last session leaves, or another join fails
			if got, err := m.Room("x"); err != nil || got != r {
				t.Fatalf("room closed under a %s join in flight: %v", kind, err)
			}
			r.mu.Lock()
			r.unreserve(kind)
			r.mu.Unlock()
			m.closeIfEmpty(r)
			if _, err := m.Room("x"); !errors.Is(err, ErrNotFound) {
				t.Errorf("room still open after its only join ended: %v", err)
			}
			if _, err := r.StartRecording(); !errors.Is(err, ErrNotFound) {
				t.Errorf("recording started in a closed room: %v", err)
			}
		})
	}
}
