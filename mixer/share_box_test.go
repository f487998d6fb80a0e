package mixer

import (
	"testing"

	"mcu/layout"
)

// TestContentSourceToldToFit: a live share's decoder, which scales its
// pictures for its tile (BoxedSource), is told to fit them whole even in
// a room that crops the cameras to fill their tiles: told to fill, it
// would cut the screen's edges before the mixer saw them.
func TestContentSourceToldToFit(t *testing.T) {
	cfg := testConfig()
	cfg.Aspect = layout.Fill
	m, err := New(cfg, &capture{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.scaler.Close()
	camera, screen := NewLiveVideo(), NewLiveVideo()
	if err := m.Add(Participant{ID: "cam", Video: camera}); err != nil {
		t.Fatal(err)
	}
	if err := m.Add(Participant{ID: "screen", Video: screen, Content: true}); err != nil {
		t.Fatal(err)
	}
	st := m.sync(0)
	m.updateCells(st.mode)
	for _, c := range []struct {
		name string
		v    *LiveVideo
		want layout.Aspect
	}{{"the camera", camera, layout.Fill}, {"the share", screen, layout.Fit}} {
		if _, aspect, ok := c.v.Box(); !ok || aspect != c.want {
			t.Errorf("%s's source is told %v (told: %v), want %v", c.name, aspect, ok, c.want)
		}
	}
}
