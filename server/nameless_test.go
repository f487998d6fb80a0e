package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"mcu/internal/testserver"
)

// TestNamelessJoinNamedByID: a session that joins without a name (a WHIP
// client, the demo page with its name field empty) is named by the first
// six characters of its id, in the room's JSON and so on its tile, as the
// README says.
func TestNamelessJoinNamedByID(t *testing.T) {
	srv := testserver.Start(t, nil)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/whip/nameless", strings.NewReader(whipOffer(t)))
	req.Header.Set("Content-Type", "application/sdp")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /whip/nameless: %d %s", resp.StatusCode, body)
	}
	loc := srv.URL + resp.Header.Get("Location")
	defer func() {
		req, _ := http.NewRequest(http.MethodDelete, loc, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	resp, err = http.Get(srv.URL + "/api/rooms/nameless")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info struct {
		Participants []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"participants"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil || len(info.Participants) != 1 {
		t.Fatalf("GET /api/rooms/nameless: %d, %v, %+v", resp.StatusCode, err, info)
	}
	if p := info.Participants[0]; len(p.ID) < 6 || p.Name != p.ID[:6] {
		t.Errorf("a nameless join is named %q (id %q), want the id's first six characters", p.Name, p.ID)
	}
}
