package server_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"mcu/client"
	"mcu/codec"
	"mcu/internal/testserver"
)

func TestMain(m *testing.M) {
	codec.SetLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	os.Exit(m.Run())
}

// sessionsEndedOnlyByTheirKey tries to end c's session as anyone could who
// read the room's JSON: by its listed id, and by that id with a made-up
// secret. Both must answer 404. It returns the ids listed afterwards.
func sessionsEndedOnlyByTheirKey(t *testing.T, url, room string, c *client.Client) []string {
	t.Helper()
	key := path.Base(c.Location())
	id, _, ok := strings.Cut(key, ".")
	if !ok {
		t.Fatalf("session location %s: no secret after the id", c.Location())
	}
	listed := func() []string {
		var info struct {
			Participants []struct{ ID string } `json:"participants"`
		}
		getJSON(t, url+"/api/rooms/"+room, &info)
		var ids []string
		for _, p := range info.Participants {
			ids = append(ids, p.ID)
		}
		return ids
	}
	if !slices.Contains(listed(), id) {
		t.Fatalf("the room does not list %s, the id in the session's location", id)
	}
	for _, guess := range []string{id, id + ".", id + "." + strings.Repeat("0", len(key)-len(id)-1)} {
		api(t, http.MethodDelete, url+"/rooms/"+room+"/sessions/"+guess, http.StatusNotFound)
	}
	return listed()
}

func TestSmokeTwoParticipants(t *testing.T) {
	url := testserver.Start(t, nil).URL
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var clients []*client.Client
	for _, p := range []string{"p01", "p02"} {
		c, err := client.Connect(ctx, client.Options{Server: url, Room: "smoke", Name: p,
			Video: "../testdata/" + p + ".ivf", Audio: "../testdata/" + p + ".ogg", Decode: true, KeepAudio: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}
	time.Sleep(3 * time.Second)
	ids := sessionsEndedOnlyByTheirKey(t, url, "smoke", clients[0])
	if len(ids) != len(clients) {
		t.Errorf("the room lists %d sessions after the attempts to end the first by its id, want %d", len(ids), len(clients))
	}
	for i, c := range clients {
		st := c.Stats()
		t.Logf("client %d: %+v", i, st)
		if st.Frames < 30 || st.Width != 1280 {
			t.Errorf("client %d received %d frames at %dx%d", i, st.Frames, st.Width, st.Height)
		}
		if err := c.Leave(ctx); err != nil {
			t.Errorf("leave: %v", err)
		}
	}
}
