package main

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// certReloader serves the certificate of -tls-cert and -tls-key, and reads
// them again when either file changes: a certificate renewed on disk (an
// ACME client's, every few weeks) is taken without a restart, which would
// end every meeting. The files are looked at, at most once per interval,
// when a client connects; a pair that does not load keeps the one before,
// with a warning.
type certReloader struct {
	certFile, keyFile string
	interval          time.Duration
	log               *slog.Logger

	mu      sync.Mutex
	cert    *tls.Certificate
	stamp   [2]time.Time // the files' modification times when loaded
	checked time.Time
}

// certCheckInterval is how often the certificate's files are looked at.
const certCheckInterval = time.Minute

// newCertReloader loads the pair once: a certificate that does not load is
// an error at start, not at the first browser's connection.
func newCertReloader(certFile, keyFile string, log *slog.Logger) (*certReloader, error) {
	r := &certReloader{certFile: certFile, keyFile: keyFile, interval: certCheckInterval, log: log}
	stamp, err := r.stamps()
	if err != nil {
		return nil, err
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("-tls-cert %s, -tls-key %s: %w", certFile, keyFile, err)
	}
	r.cert, r.stamp, r.checked = &cert, stamp, time.Now()
	return r, nil
}

// stamps returns the files' modification times.
func (r *certReloader) stamps() ([2]time.Time, error) {
	var t [2]time.Time
	for i, name := range []string{r.certFile, r.keyFile} {
		st, err := os.Stat(name)
		if err != nil {
			return t, fmt.Errorf("-tls-cert/-tls-key: %w", err)
		}
		t[i] = st.ModTime()
	}
	return t, nil
}

// getCertificate is tls.Config.GetCertificate.
func (r *certReloader) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now := time.Now(); now.Sub(r.checked) >= r.interval {
		r.checked = now
		if stamp, err := r.stamps(); err != nil {
			r.log.Warn("TLS certificate files unreadable: the one loaded before is kept", "err", err)
		} else if stamp != r.stamp {
			// A renewal may write the two files one after the other: a
			// pair that does not match yet is tried again at the next
			// check.
			if cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile); err != nil {
				r.log.Warn("TLS certificate changed on disk but does not load: the one loaded before is kept", "err", err)
			} else {
				r.cert, r.stamp = &cert, stamp
				r.log.Info("TLS certificate loaded again", "cert", r.certFile)
			}
		}
	}
	return r.cert, nil
}

// tlsConfig is the server's TLS: TLS 1.2 and up, Go's cipher suites
// (modern, and HTTP/2 is offered).
func (r *certReloader) tlsConfig() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: r.getCertificate}
}
