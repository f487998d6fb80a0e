package server

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed web
var webFiles embed.FS

// demoRoutes serves the demo page at / and each of its files (embedded in
// the binary) at its own path. Nothing else is served for GET, so a GET on
// an API path that takes only other methods (/whip/{room}) is answered 405
// with its Allow header, not the file server's 404.
func (s *Server) demoRoutes() {
	sub, err := fs.Sub(webFiles, "web")
	if err != nil {
		panic(err) // the embedded folder is there by construction
	}
	files := http.FileServerFS(sub)
	s.mux.Handle("GET /{$}", files)
	names, err := fs.Glob(sub, "*")
	if err != nil {
		panic(err)
	}
	for _, name := range names {
		if name != "index.html" { // the file server sends /index.html to /
			s.mux.Handle("GET /"+name, files)
		}
	}
}
