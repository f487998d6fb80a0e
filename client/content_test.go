package client

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestContentOnlyOverWHIP: Options.Content on a join or a WHEP view, which
// the server has no share for, is refused before anything is sent: the
// caller asked for a shared screen and would get a camera's tile (a join
// without content=) without knowing it.
func TestContentOnlyOverWHIP(t *testing.T) {
	var posts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		http.Error(w, "no", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	for _, e := range []Endpoint{"", Join, WHEP} {
		_, err := Connect(context.Background(), Options{Server: srv.URL, Room: "x", Endpoint: e, Content: true})
		if err == nil || !strings.Contains(err.Error(), "Content") {
			t.Errorf("endpoint %q with Content: %v, want an error saying Content needs WHIP", e, err)
		}
	}
	if n := posts.Load(); n != 0 {
		t.Errorf("%d requests sent, want none", n)
	}
}
