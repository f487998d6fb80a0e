package mixer

import (
	"fmt"
	"testing"

	"mcu/layout"
)

// TestSpeakerChangeKeepsOthersInPlace: in the speaker layout, a new
// speaker and the last one trade places; everyone else's thumbnail stays
// where it was. Laid out afresh in join order without the speaker, the
// thumbnails between the two each moved one place at every change of
// speaker, several times a minute in a lively meeting.
func TestSpeakerChangeKeepsOthersInPlace(t *testing.T) {
	m, err := New(testConfig(), &capture{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.scaler.Close()
	for i := range 6 {
		if err := m.Add(Participant{ID: fmt.Sprint("p", i)}); err != nil {
			t.Fatal(err)
		}
	}
	m.sync(0)
	m.audio.speaker = m.members[0].slot
	m.updateCells(layout.Speaker)
	for _, next := range []int{3, 1, 5, 3} {
		before := append([]layout.Rect(nil), m.cells...)
		last := m.speakerIndex()
		m.audio.speaker = m.members[next].slot
		m.updateCells(layout.Speaker)
		if m.cells[next] != before[last] || m.cells[last] != before[next] {
			t.Errorf("speaker %d after %d: they have cells %v and %v, want each other's %v and %v", next, last, m.cells[next], m.cells[last], before[last], before[next])
		}
		for i := range m.cells {
			if i != next && i != last && m.cells[i] != before[i] {
				t.Errorf("speaker %d after %d: participant %d moved from %v to %v", next, last, i, before[i], m.cells[i])
			}
		}
	}
	// Someone joining lays the strip out afresh, in join order.
	if err := m.Add(Participant{ID: "p6"}); err != nil {
		t.Fatal(err)
	}
	m.sync(0)
	m.updateCells(layout.Speaker)
	want := layout.SpeakerCells(7, m.speakerIndex(), m.canvasSize())
	for i := range want {
		if m.cells[i] != want[i] {
			t.Errorf("after a join participant %d has %v, want %v", i, m.cells[i], want[i])
		}
	}
}
