// Package display serves the lobby TV page and each ticket's phone status
// page. Both are plain HTML, CSS and JS embedded in the binary; they learn
// everything over the live websocket and the public API.
package display

import (
	"embed"
	"io/fs"
	"net/http"

	"queuebox/assets"
)

//go:embed web
var web embed.FS

func webFS() fs.FS { return assets.Sub(web, "web") }

// Pages serves the lobby display; mount it under /display/.
func Pages() http.Handler { return http.FileServer(http.FS(webFS())) }

// StatusPage serves the phone status page for any token: the page reads the
// token from its own address and asks the API, so an unknown token gets a
// friendly page rather than a bare 404.
func StatusPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		http.ServeFileFS(w, r, webFS(), "status.html")
	})
}
