package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// serviceEnv reads deploy/mcu.env: the variables it sets, in order, and
// those it shows commented out.
func serviceEnv(t *testing.T) (set [][2]string, shown []string) {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "deploy", "mcu.env"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	line := regexp.MustCompile(`^(#?)(MCU_[A-Z0-9_]+)=(.*)$`)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		switch {
		case m == nil:
		case m[1] == "#":
			shown = append(shown, m[2])
		default:
			set = append(set, [2]string{m[2], m[3]})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return set, shown
}

// TestServiceEnvironmentFile: every variable deploy/mcu.env sets or shows
// is one a flag of mcu serve reads. As shipped, the file makes a server
// that refuses to start until its auth token is set (a secret everyone
// can read in this repository must not guard a server); with one set, and
// the test's own address, folder, port and certificate in place of the
// file's paths, it serves HTTPS with its settings.
func TestServiceEnvironmentFile(t *testing.T) {
	flags, _ := serveFlags(t)
	known := map[string]bool{}
	for _, f := range flags {
		if f.env != "" {
			known[f.env] = true
		}
	}
	set, shown := serviceEnv(t)
	if len(set) == 0 {
		t.Fatal("deploy/mcu.env sets nothing")
	}
	for _, kv := range set {
		if !known[kv[0]] {
			t.Errorf("deploy/mcu.env sets %s, which no flag of mcu serve reads", kv[0])
		}
	}
	for _, k := range shown {
		if !known[k] {
			t.Errorf("deploy/mcu.env shows %s, which no flag of mcu serve reads", k)
		}
	}

	var env []string
	for _, kv := range set {
		env = append(env, kv[0]+"="+kv[1])
	}
	cmd := exec.Command(os.Args[0], "serve")
	cmd.Env = append(append(os.Environ(), "MCU_TEST_MAIN=1"), env...)
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "-auth-token") {
		t.Errorf("the file as shipped: %v, want a refusal naming -auth-token:\n%s", err, out)
	}

	port := freeUDPPort(t)
	certPEM, keyPEM := selfSigned(t, "mcu-service")
	certFile, keyFile := writePair(t, t.TempDir(), certPEM, keyPEM)
	const token = "a-secret-of-32-or-more-characters-for-the-test"
	env = append(env, "MCU_LISTEN=127.0.0.1:0", "MCU_RECORD_DIR="+t.TempDir(), "MCU_UDP_PORT="+strconv.Itoa(port),
		"MCU_TLS_CERT="+certFile, "MCU_TLS_KEY="+keyFile, "MCU_AUTH_TOKEN="+token)
	_, url, stderr := startServer(t, nil, env...)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, c := range []struct {
		auth string
		want int
	}{{"", http.StatusUnauthorized}, {"Bearer " + token, http.StatusOK}} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/api/rooms", nil)
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatalf("GET /api/rooms over HTTPS: %v\n%s", err, stderr.String())
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("GET /api/rooms with %q: %d, want %d", c.auth, resp.StatusCode, c.want)
		}
	}
	if !strings.Contains(stderr.String(), "all media on one UDP port") {
		t.Errorf("no single media port (MCU_UDP_PORT) in the log:\n%s", stderr.String())
	}
}

// TestServiceUnit: deploy/mcu.service starts mcu with arguments mcu
// takes, and systemd's own check of the unit (where systemd is) says
// nothing against it.
func TestServiceUnit(t *testing.T) {
	path := filepath.Join("..", "..", "deploy", "mcu.service")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^ExecStart=(\S+)(.*)$`).FindSubmatch(data)
	if m == nil {
		t.Fatal("no ExecStart in deploy/mcu.service")
	}
	args := strings.Fields(string(m[2]))
	if len(args) == 0 || args[0] != "serve" {
		t.Fatalf("ExecStart runs %q, want mcu serve", args)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := serveCommand(ctx, append(args[1:], "-h"), nil, new(strings.Builder)); err != nil {
		t.Errorf("mcu %s: %v", strings.Join(args, " "), err)
	}
	if !regexp.MustCompile(`(?m)^KillSignal=SIGTERM$`).Match(data) {
		t.Error("the unit does not stop mcu with SIGTERM, which finalizes the recordings")
	}
	if m := regexp.MustCompile(`(?m)^TimeoutStopSec=(\d+)$`).FindSubmatch(data); m == nil {
		t.Error("no TimeoutStopSec in seconds")
	} else if stop, _ := strconv.Atoi(string(m[1])); time.Duration(stop)*time.Second <= 20*time.Second {
		t.Errorf("TimeoutStopSec=%d: systemd would kill mcu before its default -shutdown-timeout (20 s) is over", stop)
	}

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("no systemd-analyze here: the unit is not checked by systemd")
	}
	// The unit as installed, but for its command and environment file,
	// which are elsewhere here.
	dir := t.TempDir()
	envFile := filepath.Join(dir, "mcu.env")
	if err := os.WriteFile(envFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	unit := strings.NewReplacer("ExecStart="+string(m[1]), "ExecStart="+os.Args[0], "EnvironmentFile=/etc/mcu/mcu.env", "EnvironmentFile="+envFile).Replace(string(data))
	if err := os.WriteFile(filepath.Join(dir, "mcu.service"), []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", filepath.Join(dir, "mcu.service")).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
