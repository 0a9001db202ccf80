// Package assets holds the static files every page shares: the base
// stylesheet, the live-update client, translations and the chime.
package assets

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed static
var files embed.FS

// FS is the shared files, rooted at static/.
func FS() fs.FS {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		panic(err) // the embedded tree always has static/
	}
	return sub
}

// Handler serves the shared files; mount it under /assets/.
func Handler() http.Handler { return http.FileServer(http.FS(FS())) }
