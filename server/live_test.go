package server_test

import (
	"context"
	"io"
	"log/slog"
	"os"
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
