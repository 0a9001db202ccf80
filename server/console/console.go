// Package console serves the counter staff console, the admin pages and the
// staff login page. The pages call the API with the session cookie; the
// server decides who may open which page.
package console

import (
	"embed"
	"io/fs"
	"net/http"

	"queuebox/assets"
)

//go:embed web
var web embed.FS

func webFS() fs.FS { return assets.Sub(web, "web") }

func page(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		http.ServeFileFS(w, r, webFS(), name)
	})
}

// Console is the counter staff page, at /console/.
func Console() http.Handler { return page("console.html") }

// Admin is the admin page, at /admin/.
func Admin() http.Handler { return page("admin.html") }

// Login is the staff login page, at /login/.
func Login() http.Handler { return page("login.html") }

// Files serves the console's scripts and styles under /console/static/.
func Files() http.Handler { return http.FileServer(http.FS(webFS())) }
