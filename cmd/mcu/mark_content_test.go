package main

import (
	"testing"

	"mcu/offline"
)

// TestMarkContentReadsAListWithSpaces: -content "1, 3", as one types a
// list, marks participants 1 and 3, not a usage mistake.
func TestMarkContentReadsAListWithSpaces(t *testing.T) {
	parts := []offline.Participant{{Video: "a.ivf"}, {Video: "b.ivf"}, {Video: "c.ivf"}}
	if err := markContent(parts, "1, 3"); err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, false, true} {
		if parts[i].Content != want {
			t.Errorf("participant %d: content %v, want %v", i+1, parts[i].Content, want)
		}
	}
}
