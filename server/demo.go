package server

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed web
var webFiles embed.FS

// demoPage serves the demo page and its files, embedded in the binary.
func demoPage() http.Handler {
	sub, err := fs.Sub(webFiles, "web")
	if err != nil {
		panic(err) // the embedded folder is there by construction
	}
	return http.FileServerFS(sub)
}
