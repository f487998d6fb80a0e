package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"mcu/internal/testserver"
)

// TestShareContentParamValues: content=true shares a screen as content=1
// does, and content=0 or false publishes a camera, as the README says:
// an encoder configured with true must not be refused.
func TestShareContentParamValues(t *testing.T) {
	srv := testserver.Start(t, nil)
	for _, c := range []struct {
		query   string
		content bool
	}{{"content=true", true}, {"content=1", true}, {"content=false", false}, {"content=0", false}} {
		room := "share-" + strings.NewReplacer("=", "-").Replace(c.query)
		loc := postWHIP(t, srv.URL+"/whip/"+room+"?"+c.query)
		var st struct {
			Layout       string `json:"layout"`
			Participants []struct {
				Content bool `json:"content"`
			} `json:"participants"`
		}
		getJSON(t, srv.URL+"/api/rooms/"+room, &st)
		if len(st.Participants) != 1 || st.Participants[0].Content != c.content {
			t.Errorf("%s: participants %+v, want one with content %v", c.query, st.Participants, c.content)
		}
		if want := map[bool]string{true: "speaker", false: "grid"}[c.content]; st.Layout != want {
			t.Errorf("%s: layout %q, want %q", c.query, st.Layout, want)
		}
		deleteURL(t, loc)
	}
}

// postWHIP publishes a WHIP offer to url and returns its session's URL.
func postWHIP(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Post(url, "application/sdp", strings.NewReader(whipOffer(t)))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST %s: %d %s", url, resp.StatusCode, body)
	}
	return url[:strings.Index(url, "/whip/")] + resp.Header.Get("Location")
}

// deleteURL ends the session at url.
func deleteURL(t *testing.T, url string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodDelete, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}
