// Package webhook delivers events as HTTP POSTs of JSON to one URL, from
// a queue of its own, so that whoever tells an event never waits on the
// network. Each event has a key (a room's name): the events of one key
// are posted one at a time, in the order they happened; those of other
// keys go beside them, up to Lanes posts at once, so that a receiver's
// slow answers about one room do not hold up every other room's events,
// and a shutdown's burst (every room's last events at once) goes out at
// Lanes times the pace.
//
// Each POST carries one event. With a secret, it is signed:
// "Mcu-Signature: t=UNIX,sha256=HEX", HEX the HMAC-SHA256 under the
// secret of UNIX (the time of the try, in seconds), a dot and the body;
// a receiver checks it (Verify) and refuses a t far from its clock, so
// that a request recorded on the way cannot be played again later.
// Delivery is at least once: a receiver that took an event whose answer
// was lost gets it again, and drops it by its id. A delivery that fails
// (no answer within Timeout, or a status other than 2xx; redirects are
// not followed) is tried again, Attempts times in all, waiting Backoff,
// then twice that, between tries; then the event is given up and logged.
// Events that find the queue full are dropped, counted and logged (once
// each time it fills).
package webhook

import (
	"bytes"
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of a Sender's settings.
const (
	DefaultQueue    = 1024
	DefaultLanes    = 8
	DefaultAttempts = 3
	DefaultTimeout  = 5 * time.Second
	DefaultBackoff  = time.Second
)

// SignatureHeader names the header of a body's signature.
const SignatureHeader = "Mcu-Signature"

// Sender delivers events to one URL. Send may be called from any
// goroutine, before and after Close.
type Sender struct {
	url      string
	logURL   string // url as logged: its scheme and host, not its path or query (a secret of the receiver's, often)
	secret   []byte
	log      *slog.Logger
	client   *http.Client
	attempts int
	backoff  time.Duration

	mu     sync.Mutex
	closed bool
	full   bool // events dropped since the queue was last empty: logged once for them
	// The queue: lanes[i] holds the waiting events of the keys that hash
	// to i, each lane as long as the whole queue may be; queued counts
	// them all, under mu, against size.
	lanes  []chan item
	queued atomic.Int64
	size   int
	// perKey counts each key's events waiting, under mu, against
	// keyShare: one room's flood of events (a room token's holder joining
	// and leaving as fast as it can: four events a turn) fills its own
	// share, not the whole queue, whose other rooms' events were dropped.
	perKey    map[string]int
	keyShare  int
	keyFull   map[string]bool // keys whose drops were logged, until their events drain
	stop      chan struct{}   // closed by Close: no more waiting between tries
	abort     context.Context // cancelled when Close's context ends: what is left is given up
	giveUp    context.CancelFunc
	abandoned atomic.Uint64 // events given up so (counted in failed too)
	done      chan struct{} // closed when the queue is delivered or given up
	dropped   atomic.Uint64
	failed    atomic.Uint64
	delivered atomic.Uint64
}

// Options are a Sender's settings; zero values take the defaults.
type Options struct {
	Secret   string // signs each body; "" sends them unsigned
	Queue    int    // events waiting, at most
	Lanes    int    // posts at once, at most (of as many keys)
	Attempts int
	Timeout  time.Duration
	Backoff  time.Duration
	Logger   *slog.Logger
}

// New starts a Sender that posts to url.
func New(rawURL string, o Options) *Sender {
	s := &Sender{url: rawURL, logURL: redact(rawURL), secret: []byte(o.Secret),
		log: cmp.Or(o.Logger, slog.New(slog.DiscardHandler)), attempts: cmp.Or(o.Attempts, DefaultAttempts), backoff: cmp.Or(o.Backoff, DefaultBackoff),
		size: cmp.Or(o.Queue, DefaultQueue), stop: make(chan struct{}), done: make(chan struct{}),
		perKey: map[string]int{}, keyFull: map[string]bool{}}
	// A quarter of the queue: a room of 125 sessions closing at a
	// shutdown tells some 130 events at once.
	s.keyShare = max(1, s.size/4)
	s.lanes = make([]chan item, cmp.Or(o.Lanes, DefaultLanes))
	s.abort, s.giveUp = context.WithCancel(context.Background())
	// No redirects followed: the events go where they were configured to.
	// A connection kept for each lane, so that none is opened (a TLS
	// handshake) for each post.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = len(s.lanes)
	s.client = &http.Client{Transport: tr, Timeout: cmp.Or(o.Timeout, DefaultTimeout),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var wg sync.WaitGroup
	for i := range s.lanes {
		s.lanes[i] = make(chan item, s.size)
		wg.Go(func() { s.run(s.lanes[i]) })
	}
	go func() {
		wg.Wait()
		tr.CloseIdleConnections()
		close(s.done)
	}()
	return s
}

// redact is raw's scheme and host, for the log: a receiver's URL often
// carries its own secret in its path or query.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(unparsed URL)"
	}
	return u.Scheme + "://" + u.Host + "/..."
}

// Send queues ev (made JSON) for delivery after the events of key sent
// before it; it never blocks. An event sent after Close, or to a full
// queue, is dropped and counted.
func (s *Sender) Send(key string, ev any) { s.send(key, ev, false) }

// SendLast is Send for the last events of a key's burst (a room's
// recording_finished and room_finished, told after every session's
// participant_left when the room is let go at once): they may go past the
// key's share of the queue by up to lastReserve, so that a room of more
// sessions than its share still has its end told. A key that floods the
// queue with them (a room opened and closed again and again) is still
// bounded, by its share and the reserve.
func (s *Sender) SendLast(key string, ev any) { s.send(key, ev, true) }

// lastReserve is how far SendLast's events may go past a key's share.
const lastReserve = 8

func (s *Sender) send(key string, ev any, last bool) {
	body, err := json.Marshal(ev)
	if err != nil {
		s.log.Error("webhook: event not encoded", "err", err)
		s.dropped.Add(1)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		s.dropped.Add(1)
		return
	}
	n := s.queued.Load()
	if n == 0 {
		s.full = false // drained: a queue that fills again is told again
	}
	if n >= int64(s.size) {
		n := s.dropped.Add(1)
		if !s.full { // once for each time the queue fills
			s.full = true
			s.log.Warn("webhook: queue full, events dropped", "url", s.logURL, "queue", s.size, "dropped_so_far", n)
		}
		return
	}
	share := s.keyShare
	if last {
		share += lastReserve
	}
	if s.perKey[key] >= share {
		n := s.dropped.Add(1)
		if !s.keyFull[key] {
			s.keyFull[key] = true
			s.log.Warn("webhook: one key's events fill its share of the queue, its events dropped", "url", s.logURL, "key", key, "share", s.keyShare, "dropped_so_far", n)
		}
		return
	}
	s.perKey[key]++
	s.queued.Add(1)
	s.lanes[lane(key, len(s.lanes))] <- item{key, body} // never full: it holds no more than the queue
}

// item is an event waiting in a lane, with its key.
type item struct {
	key  string
	body []byte
}

// taken counts key's event out of the queue.
func (s *Sender) taken(key string) {
	s.mu.Lock()
	if s.perKey[key]--; s.perKey[key] <= 0 {
		delete(s.perKey, key)
		delete(s.keyFull, key)
	}
	s.mu.Unlock()
	s.queued.Add(-1)
}

// lane is key's lane of n (FNV-1a of key).
func lane(key string, n int) int {
	h := fnv.New32a()
	h.Write([]byte(key))
	return int(h.Sum32() % uint32(n))
}

// Dropped counts the events never posted for a full queue or a Send after
// Close; Failed those given up after their attempts; Delivered those a
// receiver took (2xx).
func (s *Sender) Dropped() uint64   { return s.dropped.Load() }
func (s *Sender) Failed() uint64    { return s.failed.Load() }
func (s *Sender) Delivered() uint64 { return s.delivered.Load() }

// Close takes no more events and delivers those queued, each with its
// tries but without waiting between them, until ctx ends; what is left
// then is given up and counted as failed.
func (s *Sender) Close(ctx context.Context) error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		for _, l := range s.lanes {
			close(l)
		}
		close(s.stop)
	}
	s.mu.Unlock()
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		// Give up what is left: the posts under way are cancelled and
		// the events waiting counted failed without a post, each once,
		// by its lane; none is posted after Close returns.
		s.giveUp()
		<-s.done
		s.log.Error("webhook: events not delivered at shutdown", "url", s.logURL, "events", s.abandoned.Load())
		return ctx.Err()
	}
}

// run delivers a lane's events, one at a time.
func (s *Sender) run(lane <-chan item) {
	for it := range lane {
		body := it.body
		s.taken(it.key)
		if s.abort.Err() != nil {
			s.failed.Add(1)
			s.abandoned.Add(1)
			continue
		}
		var err error
		for try := range s.attempts {
			if try > 0 && !s.wait(s.backoff<<(try-1)) {
				// Stopping: one last try of each, no waiting.
				err = s.post(body)
				break
			}
			if err = s.post(body); err == nil {
				break
			}
		}
		switch {
		case err != nil && s.abort.Err() != nil:
			s.failed.Add(1)
			s.abandoned.Add(1) // told by Close, with the rest
		case err != nil:
			s.failed.Add(1)
			s.log.Warn("webhook: event not delivered", "url", s.logURL, "attempts", s.attempts, "err", err)
		default:
			s.delivered.Add(1)
		}
	}
}

// wait waits d, or less when Close is called (false then).
func (s *Sender) wait(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.stop:
		return false
	}
}

// post sends one body.
func (s *Sender) post(body []byte) error {
	req, err := http.NewRequestWithContext(s.abort, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "mcu")
	if len(s.secret) > 0 {
		req.Header.Set(SignatureHeader, Sign(s.secret, time.Now().Unix(), body))
	}
	resp, err := s.client.Do(req)
	if err != nil {
		if ue, ok := err.(*url.Error); ok {
			ue.URL = s.logURL // the error is logged
		}
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook: %s", resp.Status)
	}
	return nil
}

// Sign is the signature header's value for body sent at t (seconds since
// 1970) under secret: "t=T,sha256=HEX", HEX the HMAC-SHA256 of T, a dot
// and body.
func Sign(secret []byte, t int64, body []byte) string {
	return fmt.Sprintf("t=%d,sha256=%s", t, hex.EncodeToString(mac(secret, t, body)))
}

func mac(secret []byte, t int64, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	fmt.Fprintf(m, "%d.", t)
	m.Write(body)
	return m.Sum(nil)
}

// ErrSignature is returned by Verify for a request not signed as it says.
var ErrSignature = errors.New("webhook: bad signature")

// Verify checks a signature header's value for body, as a receiver does:
// signed under secret, at a time within tolerance of now.
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	ts, sig, ok := strings.Cut(header, ",")
	ts, ok1 := strings.CutPrefix(ts, "t=")
	sig, ok2 := strings.CutPrefix(sig, "sha256=")
	t, err := strconv.ParseInt(ts, 10, 64)
	got, err2 := hex.DecodeString(sig)
	if !ok || !ok1 || !ok2 || err != nil || err2 != nil {
		return fmt.Errorf("%w: %q is not t=UNIX,sha256=HEX", ErrSignature, header)
	}
	if !hmac.Equal(got, mac(secret, t, body)) {
		return ErrSignature
	}
	if d := now.Sub(time.Unix(t, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: signed %v away from now", ErrSignature, d.Round(time.Second))
	}
	return nil
}
