package server

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"mime"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/net/http/httpguts"

	"mcu/internal/lograte"
	"mcu/internal/roomtoken"
	"mcu/layout"
	"mcu/room"
)

// maxBody is the largest request body accepted (an SDP offer is a few KiB).
const maxBody = 64 << 10

// Server serves the HTTP API of a room.Manager.
type Server struct {
	rooms   *room.Manager
	log     *slog.Logger
	mux     *http.ServeMux
	metrics *Metrics
	token   string // what joins and the API must carry, "" for none
	// A client that can cause internal errors (a recording started again
	// and again on a full disk) must not fill the log: ten are logged at
	// once, then one a second, the rest counted in the next line logged.
	errorLines lograte.Limiter
}

// New returns the HTTP handler for rooms; metrics may be nil (no /metrics).
func New(rooms *room.Manager, metrics *Metrics, log *slog.Logger) *Server {
	if log == nil {
		log = slog.Default()
	}
	s := &Server{rooms: rooms, log: log, mux: http.NewServeMux(), metrics: metrics,
		errorLines: lograte.Limiter{Burst: 10, Interval: time.Second}}
	s.routes()
	return s
}

// RequireToken makes joins (join, WHIP, WHEP) and the API (/api/...)
// answer 401 unless they carry "Authorization: Bearer token", or a room
// token signed with it (roomtoken) that is valid now: a room token allows
// what its grants say in its room, and never the list of rooms (403). Leaving needs none: a session's key, in its Location, is its own
// credential. The health check, the metrics and the demo page's files
// stay open. Call it before serving.
func (s *Server) RequireToken(token string) { s.token = token }

func (s *Server) routes() {
	s.mux.HandleFunc("POST /rooms/{room}/join", s.authorized(s.join(room.Participant), roomtoken.Join))
	s.mux.HandleFunc("POST /whip/{room}", s.authorized(s.join(room.Publisher), roomtoken.Join))
	s.mux.HandleFunc("POST /whep/{room}", s.authorized(s.join(room.Viewer), roomtoken.Watch))
	s.mux.HandleFunc("DELETE /rooms/{room}/sessions/{id}", s.leave)
	s.mux.HandleFunc("PATCH /rooms/{room}/sessions/{id}", s.patchICE)
	s.mux.HandleFunc("GET /rooms/{room}/sessions/{id}", s.sessionRoom)
	s.mux.HandleFunc("GET /api/rooms", s.authorized(s.listRooms)) // the secret only
	s.mux.HandleFunc("GET /api/rooms/{room}", s.authorized(s.getRoom, roomtoken.Join, roomtoken.Watch, roomtoken.Control))
	s.mux.HandleFunc("POST /api/rooms/{room}/recording", s.authorized(s.startRecording, roomtoken.Control))
	s.mux.HandleFunc("DELETE /api/rooms/{room}/recording", s.authorized(s.stopRecording, roomtoken.Control))
	s.mux.HandleFunc("PUT /api/rooms/{room}/layout", s.authorized(s.setLayout, roomtoken.Control))
	s.mux.HandleFunc("DELETE /api/rooms/{room}/sessions/{id}", s.authorized(s.removeSession, roomtoken.Control))
	s.mux.HandleFunc("PUT /api/rooms/{room}/sessions/{id}", s.authorized(s.setSession, roomtoken.Control))
	s.mux.HandleFunc("PUT /api/rooms/{room}/lock", s.authorized(s.setLock, roomtoken.Control))
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	// Readiness, for a load balancer: 503 (with Retry-After) while the
	// server refuses senders and new rooms, or is stopping.
	s.mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if err := s.rooms.Ready(); err != nil {
			s.fail(w, err)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ready\n")
	})
	if s.metrics != nil {
		s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{}))
	}
	s.demoRoutes()
}

// routed reports whether a route takes r's path with some method: a
// preflight for a path that is not served gets its 404.
func (s *Server) routed(r *http.Request) bool { return len(s.methods(r)) > 0 }

// methods are the methods a route takes r's path with.
func (s *Server) methods(r *http.Request) []string {
	var ms []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if _, pattern := s.mux.Handler(&http.Request{Method: m, URL: r.URL, Host: r.Host}); pattern != "" {
			ms = append(ms, m)
		}
	}
	return ms
}

// allowHeaders is a preflight's Access-Control-Allow-Headers: the headers
// mcu reads (Content-Type, Authorization, If-Match), and whatever else the
// page asks to send (a WHIP or WHEP library's own headers, which mcu
// ignores), at most 32 names that are HTTP tokens. Nothing is allowed
// that the page could not send to any server anyway: the answer has no
// credentials.
func allowHeaders(requested string) string {
	names := []string{"Content-Type", "Authorization", "If-Match"}
	for _, n := range strings.Split(requested, ",") {
		n = strings.TrimSpace(n)
		if len(names) >= 32 || !httpguts.ValidHeaderFieldName(n) || slices.ContainsFunc(names, func(m string) bool { return strings.EqualFold(m, n) }) {
			continue
		}
		names = append(names, n)
	}
	return strings.Join(names, ", ")
}

// ServeHTTP answers CORS preflights for every route and adds the CORS
// headers a page on another origin needs to join (and read Location) and
// later leave.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	if len(r.TransferEncoding) > 0 {
		// It may have had a Content-Length too, which Go drops: such a
		// request's connection is closed after the answer (RFC 9112
		// 6.1), lest a proxy in front that framed it by its length hand
		// what follows to another client's request (request smuggling).
		// Clients send bodies of known length; chunked ones are rare.
		h.Set("Connection", "close")
	}
	h.Set("Access-Control-Allow-Origin", "*")
	// ETag: the session's ICE, for trickle and restarts. Retry-After:
	// when a busy server takes joins again.
	h.Set("Access-Control-Expose-Headers", "Location, Link, ETag, Retry-After")
	if r.Method == http.MethodOptions && s.routed(r) {
		h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS")
		allow := s.methods(r)
		if slices.Contains(allow, http.MethodGet) {
			allow = append(allow, http.MethodHead) // Go's mux serves HEAD on GET's routes
		}
		h.Set("Allow", strings.Join(append(allow, http.MethodOptions), ", "))
		if _, pattern := s.mux.Handler(&http.Request{Method: http.MethodPost, URL: r.URL, Host: r.Host}); strings.HasPrefix(pattern, "POST /whip/") ||
			strings.HasPrefix(pattern, "POST /whep/") || strings.HasSuffix(pattern, "/join") {
			h.Set("Accept-Post", "application/sdp")
			s.linkICEServers(h) // for WHIP clients that ask before they offer
		}
		h.Set("Access-Control-Allow-Headers", allowHeaders(r.Header.Get("Access-Control-Request-Headers")))
		h.Add("Vary", "Access-Control-Request-Headers")
		h.Set("Access-Control-Max-Age", "86400")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if h, pattern := s.mux.Handler(r); pattern == "" {
		// No route takes it: h is the mux's 404, or 405 with the methods
		// the path takes in Allow; its answer gets a JSON body like every
		// other error.
		h.ServeHTTP(jsonMiss{w}, r)
		return
	}
	s.mux.ServeHTTP(w, r) // sets the route's path values
}

// jsonMiss turns the mux's plain-text answer to a request no route takes
// into a JSON error, keeping its status and headers (Allow).
type jsonMiss struct{ http.ResponseWriter }

func (m jsonMiss) WriteHeader(status int) {
	m.Header().Del("X-Content-Type-Options")
	writeJSON(m.ResponseWriter, status, map[string]string{"error": strings.ToLower(http.StatusText(status))})
}

// Write drops the mux's text: WriteHeader wrote the JSON.
func (m jsonMiss) Write(b []byte) (int, error) { return len(b), nil }

// authorized runs h for requests that carry the token (RequireToken), or
// a room token of the request's room allowing any of grants (none: the
// secret only); it answers the others 401, or 403 for a valid room token
// that does not allow this, before their body is read.
func (s *Server) authorized(h http.HandlerFunc, grants ...roomtoken.Grant) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.secretHolder(r) {
			h(w, r)
			return
		}
		got, ok := bearer(r)
		why := "the server needs a token: Authorization: Bearer TOKEN"
		// A secret too short for room tokens takes none, and is not said
		// so: that would tell anyone guessing it how short it is (the log
		// told the operator at start).
		if ok && strings.Count(got, ".") == 2 && len(s.token) >= roomtoken.MinSecret {
			c, err := roomtoken.Verify([]byte(s.token), got, time.Now())
			switch {
			case err == nil && len(grants) > 0 && c.Allows(r.PathValue("room"), grants...):
				// The handlers tell a room token's holder from the secret's.
				h(w, r.WithContext(context.WithValue(r.Context(), roomTokenKey{}, true)))
				return
			case err == nil:
				writeJSON(w, http.StatusForbidden, map[string]string{"error": "the room token does not allow this here"})
				return
			}
			why = err.Error()
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="mcu"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": why})
	}
}

// secretHolder reports whether r may do anything: the server needs no
// token, or r carries its secret.
func (s *Server) secretHolder(r *http.Request) bool {
	if s.token == "" {
		return true
	}
	got, ok := bearer(r)
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(s.token)) == 1
}

// bearer returns the credentials of r's Authorization header of the Bearer
// scheme (in any case).
func bearer(r *http.Request) (string, bool) {
	scheme, got, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(got), true
}

// join negotiates a session of the given kind from an SDP offer.
func (s *Server) join(kind room.Kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		offer, err := readBody(w, r, "application/sdp")
		if err != nil {
			s.fail(w, err)
			return
		}
		name := []rune(strings.TrimSpace(r.URL.Query().Get("name")))
		name = name[:min(len(name), 64)]
		content, err := contentParam(r, kind)
		if err != nil {
			s.fail(w, err)
			return
		}
		owner, err := ownerParam(r, content)
		if err != nil {
			s.fail(w, err)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
		defer cancel()
		roomName := r.PathValue("room")
		var sess *room.Session
		var answer string
		if content {
			sess, answer, err = s.rooms.Share(ctx, roomName, string(name), string(offer), owner)
		} else {
			sess, answer, err = s.rooms.Join(ctx, roomName, string(name), kind, string(offer))
		}
		if err != nil {
			s.fail(w, err)
			return
		}
		w.Header().Set("Content-Type", "application/sdp")
		w.Header().Set("Location", "/rooms/"+roomName+"/sessions/"+sess.Key())
		w.Header().Set("ETag", sess.ETag())
		s.linkICEServers(w.Header())
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, answer)
	}
}

// contentParam reads a WHIP publish's "content" query parameter: 1 (or
// true) for a shared screen (room.Manager.Share), 0, false or absent for
// a camera. Other endpoints, and other values, are refused: a page that
// asked for a share must not get a camera's tile without knowing it.
func contentParam(r *http.Request, kind room.Kind) (bool, error) {
	v, ok := r.URL.Query()["content"]
	if !ok {
		return false, nil
	}
	if kind != room.Publisher {
		return false, badRequest{errors.New("content=: only a WHIP publish (POST /whip/{room}) shares content")}
	}
	switch v[len(v)-1] {
	case "1", "true":
		return true, nil
	case "", "0", "false":
		return false, nil
	}
	return false, badRequest{fmt.Errorf("content=%q: want 1 or 0", v[len(v)-1])}
}

// ownerParam reads a share's "owner" query parameter: the key of the
// sharer's own session (the last part of its Location), which proves the
// share theirs (room.Manager.Share). Only a share (content=1) has one.
func ownerParam(r *http.Request, content bool) (string, error) {
	v, ok := r.URL.Query()["owner"]
	if !ok {
		return "", nil
	}
	if !content {
		return "", badRequest{errors.New("owner=: only a share (POST /whip/{room}?content=1) has an owner")}
	}
	if v[len(v)-1] == "" {
		return "", badRequest{errors.New("owner=: empty; want the key of the sharer's session (the last part of its Location)")}
	}
	return v[len(v)-1], nil
}

// linkICEServers names the STUN servers the server uses in Link headers
// (RFC 9725 4.6): some WHIP clients (OBS) gather only with the servers
// they are given so. TURN servers are not named: their credentials are
// the server's.
func (s *Server) linkICEServers(h http.Header) {
	for _, u := range s.rooms.STUNServers() {
		h.Add("Link", "<"+u+`>; rel="ice-server"`)
	}
}

func (s *Server) leave(w http.ResponseWriter, r *http.Request) {
	if err := s.rooms.Leave(r.PathValue("room"), r.PathValue("id")); err != nil {
		s.fail(w, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// removeSession ends a session of the room, for its moderator: someone
// unwanted, or whose noise spoils the room, is let go (room.Manager.Remove).
func (s *Server) removeSession(w http.ResponseWriter, r *http.Request) {
	if err := s.rooms.Remove(r.PathValue("room"), r.PathValue("id")); err != nil {
		s.fail(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// setSession mutes or unmutes a session of the room, for its moderator
// (room.Room.SetMuted): {"muted": true} keeps their sound out of the mixes.
func (s *Server) setSession(w http.ResponseWriter, r *http.Request) {
	muted, err := readSwitch(w, r, "muted")
	if err != nil {
		s.fail(w, err)
		return
	}
	rm, err := s.rooms.Room(r.PathValue("room"))
	if err != nil {
		s.fail(w, err)
		return
	}
	id := r.PathValue("id")
	if err := rm.SetMuted(id, muted); err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		ID    string `json:"id"`
		Muted bool   `json:"muted"`
	}{id, muted})
}

// readSwitch reads a JSON body that sets one switch, {"<field>": true} or
// false: 400 when the field is missing or null.
func readSwitch(w http.ResponseWriter, r *http.Request, field string) (bool, error) {
	body, err := readBody(w, r, "application/json")
	if err != nil {
		return false, err
	}
	var req map[string]json.RawMessage
	if err := json.Unmarshal(body, &req); err != nil {
		return false, badRequest{err}
	}
	var on *bool
	if raw, ok := req[field]; ok {
		if err := json.Unmarshal(raw, &on); err != nil {
			return false, badRequest{fmt.Errorf("%q: %w", field, err)}
		}
	}
	if on == nil {
		return false, badRequest{fmt.Errorf("no %q given", field)}
	}
	return *on, nil
}

// setLock locks or unlocks the room, for its moderator (room.Room.SetLocked):
// {"locked": true} lets no one new join to be seen or heard.
func (s *Server) setLock(w http.ResponseWriter, r *http.Request) {
	locked, err := readSwitch(w, r, "locked")
	if err != nil {
		s.fail(w, err)
		return
	}
	rm, err := s.rooms.Room(r.PathValue("room"))
	if err != nil {
		s.fail(w, err)
		return
	}
	rm.SetLocked(locked)
	writeJSON(w, http.StatusOK, struct {
		Locked bool `json:"locked"`
	}{locked})
}

// sessionRoom is the room's JSON, as GET /api/rooms/{room} has it, for
// one of its sessions: the session URL is the credential (as for leave),
// so that a page goes on seeing who is in its room after the room token
// it joined with has expired. Unless the server needs no token or r
// carries its secret, it is told a recording's file name, not the
// server's folders (as a room token's holder is).
func (s *Server) sessionRoom(w http.ResponseWriter, r *http.Request) {
	rm, err := s.rooms.SessionRoom(r.PathValue("room"), r.PathValue("id"))
	if err != nil {
		s.fail(w, err)
		return
	}
	info := rm.Info()
	if info.Recording != nil && info.Recording.Path != "" && !s.secretHolder(r) {
		info.Recording.Path = filepath.Base(info.Recording.Path)
	}
	writeJSON(w, http.StatusOK, info)
}

// patchICE takes a session's trickled ICE candidates or an ICE restart
// (RFC 9725 4.3), as SDP fragments; the session URL, as for leave, is the
// client's only credential.
func (s *Server) patchICE(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r, "application/trickle-ice-sdpfrag")
	if err != nil {
		s.fail(w, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
	defer cancel()
	answer, etag, err := s.rooms.PatchICE(ctx, r.PathValue("room"), r.PathValue("id"), r.Header.Get("If-Match"), string(body))
	if err != nil {
		s.fail(w, err)
		return
	}
	if answer == "" {
		// A trickle: 204 without a body and without an ETag (RFC 9725
		// 4.3.2: the ETag names the ICE session, which a trickle keeps).
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", "application/trickle-ice-sdpfrag")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, answer)
}

func (s *Server) listRooms(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"rooms": s.rooms.Rooms()})
}

func (s *Server) getRoom(w http.ResponseWriter, r *http.Request) {
	rm, err := s.rooms.Room(r.PathValue("room"))
	if err != nil {
		s.fail(w, err)
		return
	}
	info := rm.Info()
	if info.Recording != nil {
		info.Recording.Path = shownPath(r, info.Recording.Path)
	}
	writeJSON(w, http.StatusOK, info)
}

// shownPath is a recording's path as r may see it: the server's folders
// are for those who hold its secret, and a room token's holder is told
// the file's name alone.
func shownPath(r *http.Request, path string) string {
	if path != "" && r.Context().Value(roomTokenKey{}) != nil {
		return filepath.Base(path)
	}
	return path
}

// roomTokenKey marks a request's context: it was let in by a room token,
// not by the server's secret.
type roomTokenKey struct{}

func (s *Server) startRecording(w http.ResponseWriter, r *http.Request) {
	rm, err := s.rooms.Room(r.PathValue("room"))
	if err != nil {
		s.fail(w, err)
		return
	}
	path, err := rm.StartRecording()
	if errors.Is(err, room.ErrRecording) && path != "" {
		// A client that retries a start whose answer it lost learns
		// where the recording goes.
		writeJSON(w, http.StatusConflict, map[string]string{"error": "already recording", "path": shownPath(r, path)})
		return
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"path": shownPath(r, path)})
}

func (s *Server) stopRecording(w http.ResponseWriter, r *http.Request) {
	path, err := s.rooms.StopRecording(r.PathValue("room"))
	switch end := room.RecordingEndOf(path, err); {
	case err == nil:
		writeJSON(w, http.StatusOK, map[string]string{"path": shownPath(r, path)})
	case end == room.RecordingEmpty:
		s.internal(w, err, nothingRecorded(err), nil)
	case end == room.RecordingLowDisk:
		// The recording stopped taking the mix when its disk got nearly
		// full, and is now finalized: it lacks the meeting's end.
		writeJSON(w, http.StatusInsufficientStorage, map[string]string{
			"error": "the recording stopped taking the mix when its disk got nearly full; the file is finalized with what it has", "path": shownPath(r, path)})
	case path != "" && errors.Is(err, room.ErrFileGone):
		// Deleted (its folder removed) or moved away while written: said
		// so, the log having where it went.
		s.internal(w, err, "the recording's file is no longer where it was made: deleted or moved away while it was written", map[string]string{"path": shownPath(r, path)})
	case path != "":
		// The file was written up to a failure (a full disk) and is
		// finalized as far as it can be: the client learns where it is.
		s.internal(w, err, "the recording failed before its end; the file keeps what was written before", map[string]string{"path": shownPath(r, path)})
	default: // no recording to stop, no such room
		s.fail(w, err)
	}
}

// nothingRecorded says why a recording left no file: it got no frame
// before its stop, or its writing failed before the first (a full disk),
// which err then holds beside room.ErrNothingRecorded.
func nothingRecorded(err error) string {
	if j, ok := err.(interface{ Unwrap() []error }); ok && len(j.Unwrap()) > 1 {
		return "nothing was recorded: the recording's writing failed before its first frame (a full disk?), so no file was kept"
	}
	return "nothing was recorded: no frame of the mix reached the recording before the stop, so no file was kept"
}

func (s *Server) setLayout(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r, "application/json")
	if err != nil {
		s.fail(w, err)
		return
	}
	var req struct {
		Mode      *layout.Mode `json:"mode"`
		Spotlight *string      `json:"spotlight"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		s.fail(w, badRequest{err})
		return
	}
	if req.Mode == nil && req.Spotlight == nil { // not the zero mode: a body without one is a mistake
		s.fail(w, badRequest{errors.New("no mode or spotlight given")})
		return
	}
	if req.Mode != nil && *req.Mode == layout.Grid && req.Spotlight != nil && *req.Spotlight != "" {
		s.fail(w, badRequest{errors.New(`a spotlight shows in the speaker layout, and the grid ends it: give "mode": "speaker", or none`)})
		return
	}
	rm, err := s.rooms.Room(r.PathValue("room"))
	if err != nil {
		s.fail(w, err)
		return
	}
	if req.Spotlight != nil {
		if err := rm.SetSpotlight(*req.Spotlight); err != nil {
			s.fail(w, err)
			return
		}
		if req.Mode == nil && *req.Spotlight != "" {
			// Someone in the spotlight is to be seen large.
			req.Mode = new(layout.Speaker)
		}
	}
	if req.Mode != nil {
		rm.SetLayout(*req.Mode)
	}
	writeJSON(w, http.StatusOK, struct {
		Mode      layout.Mode `json:"mode"`
		Spotlight string      `json:"spotlight,omitempty"`
	}{rm.Layout(), rm.Spotlight()})
}

// readBody reads a request body of the given media type, at most maxBody.
func readBody(w http.ResponseWriter, r *http.Request, want string) ([]byte, error) {
	// A type with a malformed parameter ("application/sdp; charset") is
	// still the type: the parameters are not read.
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil && !errors.Is(err, mime.ErrInvalidMediaParameter) || mt != want {
		return nil, unsupportedType{want: want, got: r.Header.Get("Content-Type")}
	}
	if r.ContentLength > maxBody {
		// Refused on its declared length, before a byte is read: a client
		// that sent "Expect: 100-continue" is not told to go on and upload
		// it all first.
		return nil, &http.MaxBytesError{Limit: maxBody}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var tooBig *http.MaxBytesError
	if err != nil && !errors.As(err, &tooBig) {
		// The client's doing (a reset, a body slower than the server's
		// read timeout), not the server's; said without the error's
		// text, which names the server's address ("read tcp
		// 10.0.0.5:8080->...: i/o timeout").
		return nil, badRequest{errors.New("reading the body: it did not arrive whole (cut off, or slower than the server's read timeout)")}
	}
	return body, err
}

type unsupportedType struct{ want, got string }

func (e unsupportedType) Error() string {
	return fmt.Sprintf("content type %q: want %s", e.got, e.want)
}

type badRequest struct{ error }

// fail maps an error to its status code and a JSON body saying what was
// wrong.
func (s *Server) fail(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	var tooBig *http.MaxBytesError
	var ut unsupportedType
	var br badRequest
	var overload *room.OverloadError
	switch {
	case errors.As(err, &tooBig):
		status = http.StatusRequestEntityTooLarge
		err = fmt.Errorf("request body too large: at most %d bytes", tooBig.Limit)
	case errors.As(err, &ut):
		status = http.StatusUnsupportedMediaType
	case errors.Is(err, room.ErrICEMismatch):
		status = http.StatusPreconditionFailed
	case errors.Is(err, room.ErrICEPrecondition):
		status = http.StatusPreconditionRequired
	case errors.As(err, &br), errors.Is(err, room.ErrBadOffer), errors.Is(err, room.ErrBadFragment), errors.Is(err, room.ErrBadName), errors.Is(err, room.ErrBadOwner),
		errors.Is(err, layout.ErrUnknownMode):
		status = http.StatusBadRequest
	case errors.Is(err, room.ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, room.ErrLocked):
		status = http.StatusLocked
	case errors.Is(err, room.ErrRemoved):
		status = http.StatusGone
	case errors.Is(err, room.ErrRoomFull):
		status = http.StatusTooManyRequests
	case errors.Is(err, room.ErrRestartTooSoon):
		status = http.StatusTooManyRequests
		w.Header().Set("Retry-After", "1")
	case errors.Is(err, room.ErrRecording), errors.Is(err, room.ErrNotRecording):
		status = http.StatusConflict
	case errors.Is(err, room.ErrLowDisk):
		// Said without the disk's figures, which are the server's.
		status = http.StatusInsufficientStorage
		err = errors.New("the recording disk is nearly full (under the free space the server keeps)")
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		// A recording's file not made for a full disk (with no space
		// kept free, or filled since the check): said as the room's
		// state says it, without the server's paths.
		status = http.StatusInsufficientStorage
		err = errors.New("the recording disk is full")
	case errors.As(err, &overload):
		// Short of CPU: another server, or this one once it has kept up
		// for the hold (RFC 9725 4.7).
		status = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", strconv.Itoa(int(max(1, math.Ceil(overload.RetryAfter.Seconds())))))
	case errors.Is(err, room.ErrClosed), errors.Is(err, room.ErrServerFull):
		// Busy or stopping: another try, or another server, soon (RFC
		// 9725 4.7).
		status = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "5")
	case errors.Is(err, room.ErrPeerGone), errors.Is(err, room.ErrRoomClosed), errors.Is(err, room.ErrTooManyRecordings):
		status = http.StatusServiceUnavailable
	case errors.Is(err, context.DeadlineExceeded):
		status = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "5")
		err = errors.New("the server could not complete it in time")
	case errors.Is(err, context.Canceled):
		// The client's own request ended (shutting down, the manager
		// says ErrClosed).
		status = http.StatusServiceUnavailable
		err = errors.New("the request was cancelled")
	}
	if status == http.StatusInternalServerError {
		s.internal(w, err, "internal error", nil)
		return
	}
	writeJSON(w, status, map[string]string{"error": strings.TrimPrefix(err.Error(), "room: ")})
}

// internal answers 500 for err: its text names files, libraries and
// addresses of the server's, so it goes to the log under a reference, and
// the client gets what, the reference and body's other fields.
func (s *Server) internal(w http.ResponseWriter, err error, what string, body map[string]string) {
	if body == nil {
		body = map[string]string{}
	}
	if ok, unlogged := s.errorLines.Allow(time.Now()); ok {
		b := make([]byte, 6)
		rand.Read(b)
		ref := hex.EncodeToString(b)
		s.log.Error("request failed", "err", err, "ref", ref, "answer", what, "not_logged_before", unlogged)
		body["error"], body["ref"] = what+"; the server's log has the details under ref "+ref, ref
	} else {
		body["error"] = what + "; not logged: too many such errors at once"
	}
	writeJSON(w, http.StatusInternalServerError, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

var _ prometheus.Collector = (*Metrics)(nil)
