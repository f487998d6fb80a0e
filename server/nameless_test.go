package server_test

import (
	"testing"

	"mcu/internal/testserver"
)

// TestNamelessJoinNamedByID: a session that joins without a name (a WHIP
// client, the demo page with its name field empty) is named by the first
// six characters of its id, in the room's JSON and so on its tile, as the
// README says.
func TestNamelessJoinNamedByID(t *testing.T) {
	srv := testserver.Start(t, nil)
	defer deleteURL(t, postWHIP(t, srv.URL+"/whip/nameless"))
	var info layoutState
	if getJSON(t, srv.URL+"/api/rooms/nameless", &info); len(info.Participants) != 1 {
		t.Fatalf("GET /api/rooms/nameless: %+v, want one participant", info)
	}
	if p := info.Participants[0]; len(p.ID) < 6 || p.Name != p.ID[:6] {
		t.Errorf("a nameless join is named %q (id %q), want the id's first six characters", p.Name, p.ID)
	}
}
