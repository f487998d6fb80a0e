package server

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
)

//go:embed web
var webFiles embed.FS

// demoRoutes serves the demo page at / and each of its files (embedded in
// the binary) at its own path. Nothing else is served for GET, so a GET on
// an API path that takes only other methods (/whip/{room}) is answered 405
// with its Allow header, not the file server's 404.
//
// Embedded files have no modification time, so each is given an ETag from
// its content and browsers are told to check it before using a copy they
// keep (no-cache): a page opened again costs a 304, and a page opened after
// the server was upgraded gets the new files, never a stale script beside a
// new server.
func (s *Server) demoRoutes() {
	sub, err := fs.Sub(webFiles, "web")
	if err != nil {
		panic(err) // the embedded folder is there by construction
	}
	names, err := fs.Glob(sub, "*")
	if err != nil {
		panic(err)
	}
	tags := make(map[string]string, len(names))
	for _, name := range names {
		b, err := fs.ReadFile(sub, name)
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(b)
		tags[name] = `"` + hex.EncodeToString(sum[:8]) + `"`
	}
	files := http.FileServerFS(sub)
	serve := func(name string) http.Handler {
		tag := tags[name]
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// The file server answers If-None-Match from this header.
			w.Header().Set("ETag", tag)
			w.Header().Set("Cache-Control", "no-cache")
			files.ServeHTTP(w, r)
		})
	}
	s.mux.Handle("GET /{$}", serve("index.html"))
	for _, name := range names {
		if name != "index.html" { // the file server sends /index.html to /
			s.mux.Handle("GET /"+name, serve(name))
		}
	}
}
