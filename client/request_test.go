package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// TestJoinRequest: the offer goes to the endpoint's path with what the
// options say in its query (the name shown, a share and its owner), as
// application/sdp, with the token as a bearer's; a refusal is a
// StatusError.
func TestJoinRequest(t *testing.T) {
	type request struct{ method, uri, contentType, auth string }
	got := make(chan request, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- request{r.Method, r.URL.RequestURI(), r.Header.Get("Content-Type"), r.Header.Get("Authorization")}
		http.Error(w, "refused", http.StatusForbidden)
	}))
	defer srv.Close()
	for _, c := range []struct {
		opts Options
		want request
	}{
		{Options{Room: "r 1", Name: "Ann B", Token: "s3cret"},
			request{"POST", "/rooms/r%201/join?name=Ann+B", "application/sdp", "Bearer s3cret"}},
		{Options{Room: "r", Name: "cam", Endpoint: WHIP},
			request{"POST", "/whip/r?name=cam", "application/sdp", ""}},
		{Options{Room: "r", Name: "screen", Endpoint: WHIP, Content: true, Owner: "k1"},
			request{"POST", "/whip/r?content=1&name=screen&owner=k1", "application/sdp", ""}},
		{Options{Room: "r", Endpoint: WHEP, Token: "t"},
			request{"POST", "/whep/r", "application/sdp", "Bearer t"}},
	} {
		opts := c.opts
		opts.Server = srv.URL + "/"
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		cl, err := Connect(ctx, opts)
		cancel()
		if cl != nil {
			cl.Close()
		}
		var status *StatusError
		if !errors.As(err, &status) || status.Code != http.StatusForbidden || status.Body != "refused" {
			t.Errorf("%+v: %v, want the server's 403 and its body", c.opts, err)
		}
		select {
		case r := <-got:
			if r != c.want {
				t.Errorf("%+v: sent %+v, want %+v", c.opts, r, c.want)
			}
		default:
			t.Errorf("%+v: nothing sent", c.opts)
		}
	}
	// An owner without a share is refused before anything is sent.
	if cl, err := Connect(context.Background(), Options{Server: srv.URL, Room: "r", Endpoint: WHIP, Owner: "k1"}); err == nil {
		cl.Close()
		t.Error("an Owner without Content: joined")
	}
	select {
	case r := <-got:
		t.Errorf("an Owner without Content: sent %+v", r)
	default:
	}
}

// TestRedirectKeepsThePost: a redirect that keeps the request (307, 308)
// is followed: the join succeeds, its session is at the server redirected
// to, and its key is the last part of that URL.
func TestRedirectKeepsThePost(t *testing.T) {
	peer := fakeStart(t)
	for _, code := range []int{http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, peer.srv.URL+r.URL.RequestURI(), code)
		}))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, err := Connect(ctx, Options{Server: front.URL, Room: "r", Endpoint: WHEP})
		cancel()
		front.Close()
		if err != nil {
			t.Errorf("%d: %v, want the redirect followed", code, err)
			continue
		}
		if c.Location() != peer.srv.URL+"/s/1" || c.Key() != "1" || c.ETag() != `"e1"` {
			t.Errorf("%d: session %s, key %q, ETag %s; want %s, \"1\", \"e1\"", code, c.Location(), c.Key(), c.ETag(), peer.srv.URL+"/s/1")
		}
		c.Close()
	}
}

// TestLeaveReportsARefusal: a DELETE the server refuses (the session is
// unknown to it, or it fails) is an error with its status, and the
// client is closed all the same.
func TestLeaveReportsARefusal(t *testing.T) {
	peer := fakeStart(t)
	var deletes atomic.Int32
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete {
			deletes.Add(1)
			http.Error(w, "no such session", http.StatusNotFound)
			return
		}
		peer.srv.Config.Handler.ServeHTTP(w, r)
	}))
	defer front.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Connect(ctx, Options{Server: front.URL, Room: "r", Endpoint: WHEP})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Leave(ctx)
	var status *StatusError
	if !errors.As(err, &status) || status.Code != http.StatusNotFound || deletes.Load() != 1 {
		t.Errorf("leave refused with a 404: %v after %d DELETEs, want a StatusError 404 after one", err, deletes.Load())
	}
	select {
	case <-c.Ended():
	case <-time.After(5 * time.Second):
		t.Error("the connection is not closed after Leave")
	}
}
