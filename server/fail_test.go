package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"mcu/internal/lograte"
	"mcu/room"
)

// TestFailStatus: each kind of error gets its status code, a Retry-After
// where trying again soon may succeed (a full or stopping server, a join
// that ran out of time), and a body that says what went wrong without the
// server's internals; anything else is a 500 with a reference to the log.
func TestFailStatus(t *testing.T) {
	var logged strings.Builder
	s := &Server{log: slog.New(slog.NewTextHandler(&logged, nil)), errorLines: lograte.Limiter{Burst: 10, Interval: time.Second}}
	wrap := func(err error) error { return fmt.Errorf("join: %w", err) }
	for _, c := range []struct {
		err    error
		status int
		retry  bool
		says   string // in the body's error
	}{
		{&http.MaxBytesError{Limit: 65536}, http.StatusRequestEntityTooLarge, false, "65536"},
		{unsupportedType{want: "application/sdp", got: "text/plain"}, http.StatusUnsupportedMediaType, false, "text/plain"},
		{badRequest{errors.New("no mode given")}, http.StatusBadRequest, false, "no mode given"},
		{wrap(room.ErrBadOffer), http.StatusBadRequest, false, "join"},
		{wrap(room.ErrNotFound), http.StatusNotFound, false, "join"},
		{wrap(room.ErrRoomFull), http.StatusTooManyRequests, false, "join"},
		{wrap(room.ErrRecording), http.StatusConflict, false, "join"},
		{wrap(room.ErrClosed), http.StatusServiceUnavailable, true, "join"},
		{wrap(room.ErrServerFull), http.StatusServiceUnavailable, true, "join"},
		{wrap(room.ErrPeerGone), http.StatusServiceUnavailable, false, "join"},
		{wrap(room.ErrRoomClosed), http.StatusServiceUnavailable, false, "join again"},
		{wrap(context.DeadlineExceeded), http.StatusServiceUnavailable, true, "could not complete it in time"},
		{wrap(context.Canceled), http.StatusServiceUnavailable, false, "cancelled"},
		{errors.New("open /var/lib/mcu/x.webm: disk full"), http.StatusInternalServerError, false, "the server's log has the details under ref"},
		// A recording's header refused by a full disk (no space kept free,
		// or filled since the server looked): said as the room's state
		// says a disk that filled, not as an internal error.
		{fmt.Errorf("start recording: write header: %w", &os.PathError{Op: "write", Path: "/var/lib/mcu/x.webm", Err: syscall.ENOSPC}), http.StatusInsufficientStorage, false, "the recording disk is full"},
	} {
		w := httptest.NewRecorder()
		s.fail(w, c.err)
		var body map[string]string
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatalf("%v: body %q: %v", c.err, w.Body, err)
		}
		if w.Code != c.status || (w.Header().Get("Retry-After") != "") != c.retry || !strings.Contains(body["error"], c.says) {
			t.Errorf("%v: %d, Retry-After %q, error %q; want %d, a Retry-After %v, an error saying %q",
				c.err, w.Code, w.Header().Get("Retry-After"), body["error"], c.status, c.retry, c.says)
		}
		if strings.Contains(body["error"], "/var/lib") {
			t.Errorf("%v: the answer names the server's files: %q", c.err, body["error"])
		}
	}
	// A server short of CPU says when to try again: once the hold is
	// over, in whole seconds up.
	for _, c := range []struct {
		left  time.Duration
		retry string
	}{{2200 * time.Millisecond, "3"}, {4 * time.Second, "4"}, {10 * time.Millisecond, "1"}, {0, "1"}} {
		w := httptest.NewRecorder()
		s.fail(w, wrap(&room.OverloadError{RetryAfter: c.left}))
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != c.retry || !strings.Contains(w.Body.String(), "short of CPU") {
			t.Errorf("overloaded, %v left: %d, Retry-After %q, %s; want 503, %s, saying why", c.left, w.Code, w.Header().Get("Retry-After"), w.Body, c.retry)
		}
	}
	if !strings.Contains(logged.String(), "/var/lib/mcu/x.webm") {
		t.Errorf("the internal error is not in the log: %q", logged.String())
	}
}

// failingBody is a request body whose read fails part way, as a client's
// reset or stall past the read timeout does.
type failingBody struct{ sent bool }

func (b *failingBody) Read(p []byte) (int, error) {
	if !b.sent {
		b.sent = true
		return copy(p, "v=0\r\n"), nil
	}
	return 0, errors.New("connection reset by peer")
}

func (b *failingBody) Close() error { return nil }

// TestBodyReadFails: a body the client does not finish sending is the
// client's doing: 400 naming the read, not a 500 in the server's log.
func TestBodyReadFails(t *testing.T) {
	var logged strings.Builder
	s := &Server{log: slog.New(slog.NewTextHandler(&logged, nil)), errorLines: lograte.Limiter{Burst: 10, Interval: time.Second}}
	r := httptest.NewRequest(http.MethodPost, "/whip/r", nil)
	r.Body = &failingBody{}
	r.Header.Set("Content-Type", "application/sdp")
	w := httptest.NewRecorder()
	_, err := readBody(w, r, "application/sdp")
	if err == nil {
		t.Fatal("a body whose read failed was taken")
	}
	s.fail(w, err)
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "reading the body") || logged.Len() != 0 {
		t.Errorf("a failed body read: %d %q, logged %q; want 400 naming the read, nothing logged", w.Code, w.Body, logged.String())
	}
}

// TestNothingRecordedSaysWhy: a recording that left no file says whether
// it got no frame before its stop or failed to write before its first.
func TestNothingRecordedSaysWhy(t *testing.T) {
	if got := nothingRecorded(room.ErrNothingRecorded); !strings.Contains(got, "no frame") {
		t.Errorf("nothing came: %q", got)
	}
	full := errors.Join(room.ErrNothingRecorded, errors.New("write recording: no space left on device"))
	if got := nothingRecorded(full); !strings.Contains(got, "failed before its first frame") {
		t.Errorf("a full disk before the first frame: %q", got)
	}
}
