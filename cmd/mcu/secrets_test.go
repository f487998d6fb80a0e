package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"mcu/internal/mediatest"
	"mcu/loadtest"
)

// TestViewAndLoadReadTheToken: mcu view and mcu load send the server's
// secret from MCU_AUTH_TOKEN when -token is not given, as their usage
// says ([MCU_AUTH_TOKEN]); -token wins over it. Without it, a server
// started with -auth-token answers them 401.
func TestViewAndLoadReadTheToken(t *testing.T) {
	const envToken = "the-environments-token-0123456789"
	t.Setenv("MCU_AUTH_TOKEN", envToken)

	var mu sync.Mutex
	var auth []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auth = append(auth, r.Header.Get("Authorization"))
		mu.Unlock()
		http.Error(w, "no", http.StatusUnauthorized)
	}))
	defer srv.Close()
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, envToken},
		{[]string{"-token", "the-command-lines-token-0123456789"}, "the-command-lines-token-0123456789"},
	} {
		mu.Lock()
		auth = nil
		mu.Unlock()
		var out, errOut bytes.Buffer
		args := append([]string{"view", "-url", srv.URL, "-room", "r", "-duration", "1s"}, c.args...)
		if code := run(context.Background(), args, &out, &errOut); code != 1 {
			t.Errorf("%q against a server answering 401: exit %d, want 1 (%s)", args, code, errOut.String())
		}
		mu.Lock()
		if len(auth) == 0 || auth[0] != "Bearer "+c.want {
			t.Errorf("%q: the join carried Authorization %q, want %q", args, auth, "Bearer "+c.want)
		}
		mu.Unlock()
	}

	saved := runLoad
	t.Cleanup(func() { runLoad = saved })
	var got loadtest.Config
	runLoad = func(_ context.Context, cfg loadtest.Config, _ io.Writer) (*loadtest.Result, error) {
		got = cfg
		return nil, errors.New("not run")
	}
	clip := mediatest.TestdataPath(t, "p01.ivf")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{clip}, envToken},
		{[]string{"-token", "the-command-lines-token-0123456789", clip}, "the-command-lines-token-0123456789"},
	} {
		args := append([]string{"-url", "http://127.0.0.1:1", "-nice", "0"}, c.args...)
		if err := loadCommand(context.Background(), args, io.Discard, io.Discard); err == nil || err.Error() != "not run" {
			t.Fatalf("load %q: %v", args, err)
		}
		if got.Token != c.want {
			t.Errorf("load %q: token %q, want %q", args, got.Token, c.want)
		}
	}
}

// TestServeLogShowsNoSecret: what serve prints at start and at its stop,
// verbose too, holds neither -auth-token, nor -webhook-secret, nor a TURN
// password, nor the webhook URL's path (README: prefer the variables,
// which other users cannot see; a log is read by more people).
func TestServeLogShowsNoSecret(t *testing.T) {
	const (
		token   = "a-topsecret-token-0123456789abcdefgh"
		secret  = "a-topsecret-webhook-secret-0123456789"
		turnPwd = "turnpwd-topsecret"
	)
	t.Setenv("MCU_AUTH_TOKEN", token)
	t.Setenv("MCU_WEBHOOK_SECRET", secret)
	t.Setenv("MCU_ICE_SERVERS", "turn:ada:"+turnPwd+"@127.0.0.1:1")
	t.Setenv("MCU_WEBHOOK", "http://127.0.0.1:1/hooks/path-topsecret")
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the server starts, logs, and stops at once
	var out, errOut bytes.Buffer
	if err := serveCommand(ctx, []string{"-v", "-listen", "127.0.0.1:0", "-record-dir", t.TempDir()}, &out, &errOut); err != nil {
		t.Fatalf("serve: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(errOut.String(), "mcu listening") || !strings.Contains(errOut.String(), "token_needed=true") {
		t.Fatalf("no start line saying a token is needed:\n%s", errOut.String())
	}
	if all := out.String() + errOut.String(); strings.Contains(all, "topsecret") {
		t.Errorf("serve printed a secret:\n%s", all)
	}
}

// TestShortSecretSaidAtStart: a server whose -auth-token is under 32
// characters takes no room token, and says so at start (README: Room
// tokens, "the server says so at start"); one of 32 says nothing of it.
func TestShortSecretSaidAtStart(t *testing.T) {
	for token, warned := range map[string]bool{
		strings.Repeat("x", 16): true, strings.Repeat("x", 31): true, strings.Repeat("x", 32): false,
	} {
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // the server starts, logs, and stops at once
		var errOut bytes.Buffer
		if err := serveCommand(ctx, []string{"-auth-token", token, "-listen", "127.0.0.1:0", "-record-dir", t.TempDir()}, io.Discard, &errOut); err != nil {
			t.Fatalf("-auth-token of %d: %v", len(token), err)
		}
		if got := strings.Contains(errOut.String(), "room tokens are not taken"); got != warned {
			t.Errorf("-auth-token of %d characters: said that room tokens are not taken %v, want %v:\n%s", len(token), got, warned, errOut.String())
		}
	}
}
