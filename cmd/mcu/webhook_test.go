package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"mcu/client"
	"mcu/internal/mediatest"
	"mcu/internal/webhook"
)

// TestServeWebhook: a server with -webhook posts its rooms' events, each
// signed with -webhook-secret, and at SIGTERM delivers the last ones (the
// recording finalized, the room closed) before it exits.
func TestServeWebhook(t *testing.T) {
	const (
		secret = "the-servers-secret-0123"
		signer = "the-webhooks-secret-0123456789abcdef"
	)
	type event struct {
		Type, Room, Path, Result, Reason string
	}
	var mu sync.Mutex
	var got []event
	var badSigs int
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var e event
		json.Unmarshal(body, &e)
		mu.Lock()
		got = append(got, e)
		if webhook.Verify([]byte(signer), r.Header.Get(webhook.SignatureHeader), body, time.Now(), time.Minute) != nil {
			badSigs++
		}
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer hook.Close()
	cmd, url, stderr := startServer(t, []string{"-listen", "127.0.0.1:0", "-record-dir", t.TempDir(), "-webhook", hook.URL + "/events"},
		"MCU_AUTH_TOKEN="+secret, "MCU_WEBHOOK_SECRET="+signer)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.Connect(ctx, client.Options{Server: url, Room: "hooked", Token: secret,
		Video: mediatest.TestdataPath(t, "p01.ivf"), Audio: mediatest.TestdataPath(t, "p01.ogg")})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req, _ := http.NewRequest("POST", url+"/api/rooms/hooked/recording", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var rec struct{ Path string }
	json.NewDecoder(resp.Body).Decode(&rec)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("start recording: %d", resp.StatusCode)
	}
	waitClusters(t, rec.Path, 1)
	// What became of the events so far, in /metrics.
	delivered := regexp.MustCompile(`(?m)^mcu_webhook_events_total\{result="delivered"\} (\d+)$`)
	var seen string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get(url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if m := delivered.FindStringSubmatch(string(body)); m != nil {
			if seen = m[1]; seen == "3" {
				break
			}
		}
	}
	if seen != "3" {
		t.Errorf("mcu_webhook_events_total{result=\"delivered\"} %q, want 3 (room_started, participant_joined, recording_started)", seen)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v\n%s", err, stderr.String())
	}

	mu.Lock()
	defer mu.Unlock()
	types := make([]string, len(got))
	for i, e := range got {
		types[i] = e.Type
		if e.Room != "hooked" {
			t.Errorf("event %d: %+v, want room hooked", i, e)
		}
	}
	want := []string{"room_started", "participant_joined", "recording_started", "recording_finished", "participant_left", "room_finished"}
	if !slices.Equal(types, want) {
		t.Fatalf("events posted %q, want %q", types, want)
	}
	if fin := got[3]; fin.Path != rec.Path || fin.Result != "complete" {
		t.Errorf("recording_finished %+v, want %s complete", fin, rec.Path)
	}
	if left := got[4]; left.Reason != "ended" {
		t.Errorf("participant_left at SIGTERM: %+v, want the reason ended", left)
	}
	if badSigs > 0 {
		t.Errorf("%d of %d events not signed with the secret", badSigs, len(got))
	}
}

// TestWebhookSecretChecked: a -webhook-secret under 32 characters (a
// guess from any signed event would find it) is a usage error.
func TestWebhookSecretChecked(t *testing.T) {
	t.Setenv("MCU_WEBHOOK_SECRET", "only-31-characters-0123456789ab")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := serveCommand(ctx, []string{"-listen", "127.0.0.1:0", "-record-dir", t.TempDir(), "-webhook", "https://app.example.com/events"}, io.Discard, io.Discard)
	var ue usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "webhook-secret") {
		t.Errorf("a 31-character webhook secret: %v, want a usage error naming -webhook-secret", err)
	}
}

// TestWebhookURLChecked: a -webhook that is not an http(s) URL, or that
// carries credentials (they would be logged), is a usage error.
func TestWebhookURLChecked(t *testing.T) {
	for _, bad := range []string{"app.example.com/events", "ftp://app.example.com/events", "https://user:pw@app.example.com/events", "https:///events"} {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := serveCommand(ctx, []string{"-listen", "127.0.0.1:0", "-record-dir", t.TempDir(), "-webhook", bad}, io.Discard, io.Discard)
		var ue usageError
		if !errors.As(err, &ue) {
			t.Errorf("-webhook %q: %v, want a usage error", bad, err)
		}
	}
}
