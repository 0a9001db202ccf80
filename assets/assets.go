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
func FS() fs.FS { return Sub(files, "static") }

// Sub roots an embedded tree at dir. The pages embed their own folders; a
// missing folder is a build mistake, so it panics rather than serving nothing.
func Sub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err)
	}
	return sub
}

// Handler serves the shared files; mount it under /assets/.
func Handler() http.Handler { return http.FileServer(http.FS(FS())) }
