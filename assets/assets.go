// Package assets holds the static files every page shares: the base
// stylesheet, the live-update client, translations and the chime.
package assets

import (
	"embed"
	"io/fs"
	"net/http"
	"regexp"
	"sync"
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

// Tokens are the design tokens base.css defines (":root { --qb-ink: #0b1d33; … }"),
// by name without the "--qb-" prefix, for what the server draws itself
// (the report charts), so every colour has one source.
var Tokens = sync.OnceValue(func() map[string]string {
	b, err := fs.ReadFile(files, "static/base.css")
	if err != nil {
		panic(err) // embedded at build time
	}
	out := map[string]string{}
	for _, m := range tokenRE.FindAllSubmatch(b, -1) {
		out[string(m[1])] = string(m[2])
	}
	return out
})

var tokenRE = regexp.MustCompile(`--qb-([a-z0-9-]+):\s*(#[0-9a-fA-F]{3,8})\s*;`)
