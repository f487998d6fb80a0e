package mixer

import (
	"context"
	"fmt"
	"image"
	"testing"
	"time"

	"mcu/layout"
)

// TestContentShownLargeAndWhole: a shared screen takes the speaker
// layout's large tile from the active speaker, and is fitted whole into
// it (bars beside a 4:3 screen) while the cameras are cropped to fill
// their tiles as configured. Before, a share was a camera like any other:
// a thumbnail in the strip, its edges (menus, text) cut off.
func TestContentShownLargeAndWhole(t *testing.T) {
	cfg := testConfig()
	cfg.Aspect = layout.Fill
	cfg.Layout = layout.Speaker
	m, tap := tappedMixer(t, cfg, 500*time.Millisecond)
	cameras := [][3]uint8{{81, 90, 240}, {145, 54, 34}}
	for i, c := range cameras {
		p := Participant{ID: fmt.Sprint("cam", i), Video: &colourSource{y: c[0], cb: c[1], cr: c[2], w: 320, h: 240}}
		if i == 0 {
			p.Audio = &toneSource{hz: 440, amp: 0.3} // the active speaker
		}
		if err := m.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	screen := [3]uint8{170, 166, 16}
	if err := m.Add(Participant{ID: "screen", Video: &colourSource{y: screen[0], cb: screen[1], cr: screen[2], w: 400, h: 300}, Content: true}); err != nil {
		t.Fatal(err)
	}
	run(t, m, time.Second)
	img := tap.got[500*time.Millisecond]
	if img == nil {
		t.Fatal("no canvas at 0.5 s")
	}
	cells := layout.SpeakerCells(3, 2, layout.Size{W: cfg.Video.Width, H: cfg.Video.Height})
	large := cells[2]
	if y := lumaAt(img, large); int(y) < int(screen[0])-3 || int(y) > int(screen[0])+3 {
		t.Errorf("the large tile's centre has luma %d, want the screen's %d (the speaker's is %d)", y, screen[0], cameras[0][0])
	}
	// Fitted: a 4:3 screen in the wide tile leaves bars at its sides.
	dst, _ := layout.Place(layout.Size{W: 400, H: 300}, large, layout.Fit)
	if dst.W >= large.W {
		t.Fatalf("the screen fills the tile's width (%v in %v): the test shows nothing", dst, large)
	}
	if y := img.Y[(large.Y+large.H/2)*img.YStride+large.X+2]; y > 20 {
		t.Errorf("the large tile's left edge has luma %d, want a black bar beside the whole screen", y)
	}
	if y := img.Y[(dst.Y+dst.H/2)*img.YStride+dst.X+2]; int(y) < int(screen[0])-3 || int(y) > int(screen[0])+3 {
		t.Errorf("the screen's own left edge has luma %d, want %d", y, screen[0])
	}
	// The cameras, in the strip, filled as configured: no bars.
	for i, c := range cameras {
		cell := cells[i]
		if y := img.Y[(cell.Y+cell.H/2)*img.YStride+cell.X+1]; int(y) < int(c[0])-3 || int(y) > int(c[0])+3 {
			t.Errorf("camera %d's tile edge has luma %d, want its colour %d (cropped to fill)", i, y, c[0])
		}
	}
}

// TestContentLayoutFollowsTheShare: a room in the grid goes to the
// speaker layout when the first share comes, stays while any share is
// on, and goes back when the last one ends, unless the layout was set
// meanwhile, which holds; a room already in the speaker layout stays
// there. Of two shares, the newest is shown large.
func TestContentLayoutFollowsTheShare(t *testing.T) {
	screen := func(id string) Participant { return Participant{ID: id, Content: true} }
	for _, c := range []struct {
		name  string
		start layout.Mode
		steps func(m *Mixer) error
		want  layout.Mode
	}{
		{"grid, a share, its end", layout.Grid, func(m *Mixer) error {
			return addRemove(m, screen("s"), "s")
		}, layout.Grid},
		{"grid, a share, speaker set, its end", layout.Grid, func(m *Mixer) error {
			if err := m.Add(screen("s")); err != nil {
				return err
			}
			m.SetLayout(layout.Speaker)
			m.Remove("s")
			return nil
		}, layout.Speaker},
		{"grid, a share, grid set, its end", layout.Grid, func(m *Mixer) error {
			if err := m.Add(screen("s")); err != nil {
				return err
			}
			m.SetLayout(layout.Grid)
			if m.Layout() != layout.Grid {
				return fmt.Errorf("the grid set during a share reads %v", m.Layout())
			}
			m.Remove("s")
			return nil
		}, layout.Grid},
		{"speaker, a share, its end", layout.Speaker, func(m *Mixer) error {
			return addRemove(m, screen("s"), "s")
		}, layout.Speaker},
		{"grid, two shares, the first ends", layout.Grid, func(m *Mixer) error {
			if err := m.Add(screen("s1")); err != nil {
				return err
			}
			if err := m.Add(screen("s2")); err != nil {
				return err
			}
			m.Remove("s1")
			return nil
		}, layout.Speaker},
		{"grid, two shares, both end", layout.Grid, func(m *Mixer) error {
			if err := m.Add(screen("s1")); err != nil {
				return err
			}
			if err := addRemove(m, screen("s2"), "s1"); err != nil {
				return err
			}
			m.Remove("s2")
			return nil
		}, layout.Grid},
		{"grid, a camera leaves during a share", layout.Grid, func(m *Mixer) error {
			if err := m.Add(screen("s")); err != nil {
				return err
			}
			m.Remove("cam")
			return nil
		}, layout.Speaker},
	} {
		cfg := testConfig()
		cfg.Layout = c.start
		m, err := New(cfg, &capture{})
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Add(Participant{ID: "cam"}); err != nil {
			t.Fatal(err)
		}
		if err := c.steps(m); err != nil {
			t.Errorf("%s: %v", c.name, err)
		} else if got := m.Layout(); got != c.want {
			t.Errorf("%s: layout %v, want %v", c.name, got, c.want)
		}
		m.scaler.Close()
	}
}

// addRemove adds p, checks that the room is in the speaker layout, and
// removes id.
func addRemove(m *Mixer, p Participant, id string) error {
	if err := m.Add(p); err != nil {
		return err
	}
	if m.Layout() != layout.Speaker {
		return fmt.Errorf("layout %v during the share, want speaker", m.Layout())
	}
	if !m.Remove(id) {
		return fmt.Errorf("%s was not in the mix", id)
	}
	return nil
}

// TestNewestContentShownLarge: of two shares, the one that came last has
// the large tile, whoever speaks; when it ends, the other has it again.
func TestNewestContentShownLarge(t *testing.T) {
	m, err := New(testConfig(), &capture{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.scaler.Close()
	for _, p := range []Participant{{ID: "cam0"}, {ID: "s1", Content: true}, {ID: "cam1"}, {ID: "s2", Content: true}} {
		if err := m.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	m.sync(0)
	m.audio.speaker = m.members[2].slot // cam1 talks
	m.updateCells(layout.Speaker)
	if large := m.largeIndex(); m.members[large].ID != "s2" {
		t.Errorf("%s is shown large, want the newest share s2", m.members[large].ID)
	}
	m.Remove("s2")
	m.sync(0)
	m.updateCells(layout.Speaker)
	if large := m.largeIndex(); m.members[large].ID != "s1" {
		t.Errorf("after s2's end %s is shown large, want s1", m.members[large].ID)
	}
	want := layout.SpeakerCells(3, 1, m.canvasSize())
	for i := range want {
		if m.cells[i] != want[i] {
			t.Errorf("participant %s has %v, want %v", m.members[i].ID, m.cells[i], want[i])
		}
	}
}

// TestContentBlackOrStillIsShown: live, a shared screen that is black at
// every point looked at (a dark terminal, a black slide) and one whose
// pictures stop coming (a still screen, sent again only now and then)
// keep their picture: the placeholder a camera turned off or unplugged
// gets would hide what is shared.
func TestContentBlackOrStillIsShown(t *testing.T) {
	m, c, epoch := liveCompositor(t)
	black := &colourSource{y: 16, cb: 128, cr: 128, w: 320, h: 180}
	still := &stoppingSource{colourSource: colourSource{y: 90, cb: 128, cr: 128, w: 320, h: 180}, epoch: epoch, stop: time.Second}
	for _, p := range []Participant{{ID: "dark", Video: black, Content: true}, {ID: "still", Video: still, Content: true}} {
		if err := m.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	var img *image.YCbCr
	// Black for over blackHold, still for over videoGone.
	for _, at := range []time.Duration{time.Second, time.Second + videoGone + time.Second} {
		st := m.sync(at)
		m.updateCells(st.mode)
		var err error
		if img, err = m.paintCanvas(context.Background(), c, at); err != nil {
			t.Fatal(err)
		}
	}
	for i, want := range []uint8{16, 90} {
		cell := m.cells[i]
		dst, _ := layout.Place(layout.Size{W: 320, H: 180}, cell, layout.Fit)
		if y := lumaAt(img, dst); y < want-5 || y > want+5 {
			t.Errorf("share %s: luma %d, want its picture's %d, not the placeholder's %d", m.members[i].ID, y, want, placeholderY)
		}
	}
}

// TestSpotlightShownLarge: the participant in the spotlight is shown
// large in the speaker layout, whoever speaks; a share comes first; the
// spotlight's leaving, or its clearing, gives the tile back to the
// speaker; one given before its participant joins takes effect then.
func TestSpotlightShownLarge(t *testing.T) {
	m, err := New(testConfig(), &capture{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.scaler.Close()
	for _, id := range []string{"cam0", "cam1", "cam2"} {
		if err := m.Add(Participant{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	m.sync(0)
	m.audio.speaker = m.members[0].slot // cam0 talks
	large := func(step string, want string) {
		t.Helper()
		m.sync(0)
		m.updateCells(layout.Speaker)
		got := "nobody"
		if i := m.largeIndex(); i >= 0 {
			got = m.members[i].ID
			if want := layout.SpeakerCells(len(m.members), i, m.canvasSize())[i]; m.cells[i] != want {
				t.Errorf("%s: %s has the cell %v, want the large one %v", step, got, m.cells[i], want)
			}
		}
		if got != want {
			t.Errorf("%s: %s shown large, want %s", step, got, want)
		}
	}
	large("no spotlight", "cam0")
	m.SetSpotlight("cam2")
	m.SetLayout(layout.Speaker)
	large("cam2 in the spotlight", "cam2")
	// The grid ends it: not back at the next speaker layout.
	m.SetLayout(layout.Grid)
	if id := m.Spotlight(); id != "" {
		t.Errorf("the grid left %q in the spotlight", id)
	}
	m.SetLayout(layout.Speaker)
	large("the grid and the speaker layout again", "cam0")
	m.SetSpotlight("cam2")
	large("cam2 in the spotlight again", "cam2")
	if err := m.Add(Participant{ID: "screen", Content: true}); err != nil {
		t.Fatal(err)
	}
	large("a share during the spotlight", "screen")
	m.Remove("screen")
	large("the share over", "cam2")
	m.SetSpotlight("")
	large("the spotlight cleared", "cam0")
	m.SetSpotlight("cam1")
	m.Remove("cam1")
	if got := m.Spotlight(); got != "" {
		t.Errorf("the spotlight's participant left: the spotlight is %q, want none", got)
	}
	large("the spotlight's participant left", "cam0")
	m.SetSpotlight("late")
	large("a spotlight on nobody in the mix", "cam0")
	if err := m.Add(Participant{ID: "late"}); err != nil {
		t.Fatal(err)
	}
	large("its participant joined", "late")
}

// TestSpotlightKeepsThumbnails: the large tile moving from the speaker to
// the spotlight, from one spotlight to another and back to the speaker
// trades the places of those two alone: the others' thumbnails stay.
func TestSpotlightKeepsThumbnails(t *testing.T) {
	m, err := New(testConfig(), &capture{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.scaler.Close()
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		if err := m.Add(Participant{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	m.sync(0)
	m.audio.speaker = m.members[0].slot
	m.updateCells(layout.Speaker)
	step := func(what string, spot string, moved ...int) {
		t.Helper()
		before := append([]layout.Rect(nil), m.cells...)
		m.SetSpotlight(spot)
		m.sync(0)
		m.updateCells(layout.Speaker)
		for i := range m.cells {
			if m.cells[i] != before[i] && i != moved[0] && i != moved[1] {
				t.Errorf("%s: %s moved from %v to %v", what, m.members[i].ID, before[i], m.cells[i])
			}
		}
	}
	step("c in the spotlight", "c", 0, 2)
	step("d in the spotlight", "d", 2, 3)
	step("cleared", "", 3, 0)
}
