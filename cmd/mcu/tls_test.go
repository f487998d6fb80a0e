package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// selfSigned makes a certificate for 127.0.0.1 named cn, and its key, as
// PEM.
func selfSigned(t *testing.T, cn string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
}

// writePair writes a certificate and key into dir, returning their paths.
func writePair(t *testing.T, dir string, certPEM, keyPEM []byte) (certFile, keyFile string) {
	t.Helper()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// TestServeTLS: with -tls-cert and -tls-key, mcu serves HTTPS (HTTP/2
// offered) with that certificate, says https in the address it prints,
// and answers a plain HTTP request on that port with 400, not the API.
func TestServeTLS(t *testing.T) {
	certPEM, keyPEM := selfSigned(t, "mcu-test")
	certFile, keyFile := writePair(t, t.TempDir(), certPEM, keyPEM)
	_, url, stderr := startServer(t, []string{"-listen", "127.0.0.1:0", "-record-dir", t.TempDir(), "-tls-cert", certFile, "-tls-key", keyFile})
	if !strings.HasPrefix(url, "https://") {
		t.Fatalf("address printed: %s, want https", url)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get(url + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz over HTTPS: %v\n%s", err, stderr.String())
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.ProtoMajor != 2 || resp.TLS == nil || resp.TLS.PeerCertificates[0].Subject.CommonName != "mcu-test" {
		t.Errorf("GET /healthz over HTTPS: %d %s, certificate %v; want 200 over HTTP/2 with mcu-test's", resp.StatusCode, resp.Proto, resp.TLS != nil)
	}
	plain := "http://" + strings.TrimPrefix(url, "https://")
	if resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(plain + "/api/rooms"); err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || strings.Contains(string(body), "rooms") {
			t.Errorf("plain HTTP to the HTTPS port: %d %q, want 400 and no API", resp.StatusCode, body)
		}
	}
}

// TestTLSFlagsChecked: a certificate without its key (or the reverse) is a
// usage error; files that are not a matching pair stop the start, naming
// the flags.
func TestTLSFlagsChecked(t *testing.T) {
	dir := t.TempDir()
	certA, keyA := selfSigned(t, "a")
	_, keyB := selfSigned(t, "b")
	certFile, keyFile := writePair(t, dir, certA, keyA)
	wrongKey := filepath.Join(dir, "wrong.pem")
	if err := os.WriteFile(wrongKey, keyB, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args  []string
		usage bool
	}{
		{[]string{"-tls-cert", certFile}, true},
		{[]string{"-tls-key", keyFile}, true},
		{[]string{"-tls-cert", certFile, "-tls-key", wrongKey}, false},
		{[]string{"-tls-cert", filepath.Join(dir, "missing.pem"), "-tls-key", keyFile}, false},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // a start that got through stops at once
		err := serveCommand(ctx, append([]string{"-listen", "127.0.0.1:0", "-record-dir", t.TempDir()}, c.args...), io.Discard, io.Discard)
		var ue usageError
		if err == nil || errors.As(err, &ue) != c.usage || !strings.Contains(err.Error(), "-tls-") {
			t.Errorf("%v: %v (usage error %v); want an error naming the flags, a usage error: %v", c.args, err, errors.As(err, &ue), c.usage)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := serveCommand(ctx, []string{"-listen", "127.0.0.1:0", "-record-dir", t.TempDir(), "-tls-cert", certFile, "-tls-key", keyFile}, io.Discard, io.Discard); err != nil {
		t.Errorf("a matching pair: %v", err)
	}
}

// TestCertReloader: a certificate renewed on disk is served from the next
// check on; a pair that does not load (written half: the new certificate
// with the old key) keeps the one before until it does.
func TestCertReloader(t *testing.T) {
	dir := t.TempDir()
	certA, keyA := selfSigned(t, "a")
	certFile, keyFile := writePair(t, dir, certA, keyA)
	r, err := newCertReloader(certFile, keyFile, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	name := func() string {
		t.Helper()
		c, err := r.getCertificate(nil)
		if err != nil {
			t.Fatal(err)
		}
		leaf, err := x509.ParseCertificate(c.Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		return leaf.Subject.CommonName
	}
	certB, keyB := selfSigned(t, "b")
	// Within the interval the files are not looked at.
	if err := os.WriteFile(certFile, certB, 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(2 * time.Second) // a modification time that differs whatever the file system's resolution
	os.Chtimes(certFile, later, later)
	if got := name(); got != "a" {
		t.Fatalf("before the check is due: %q, want a", got)
	}
	r.interval = 0
	if got := name(); got != "a" {
		t.Errorf("the new certificate with the old key: %q, want a kept", got)
	}
	if err := os.WriteFile(keyFile, keyB, 0o600); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(keyFile, later, later)
	if got := name(); got != "b" {
		t.Errorf("after the renewal: %q, want b", got)
	}
	// Files unchanged since: the certificate is not loaded again.
	c1, _ := r.getCertificate(nil)
	c2, _ := r.getCertificate(nil)
	if c1 != c2 {
		t.Error("the certificate was loaded again with its files unchanged")
	}
	if err := os.Remove(keyFile); err != nil {
		t.Fatal(err)
	}
	if got := name(); got != "b" {
		t.Errorf("with the key gone: %q, want b kept", got)
	}
}
