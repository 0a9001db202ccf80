// Package kiosk serves the touchscreen kiosk page and the public booking
// page, and makes the QR codes they show.
package kiosk

import (
	"embed"
	"io/fs"
	"net/http"

	"github.com/skip2/go-qrcode"

	"queuebox/assets"
)

//go:embed web
var web embed.FS

func webFS() fs.FS { return assets.Sub(web, "web") }

// Pages serves the kiosk; mount it under /kiosk/.
func Pages() http.Handler { return http.FileServer(http.FS(webFS())) }

// BookingPage serves the public booking page; mount it at /book/.
func BookingPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, webFS(), "book.html")
	})
}

// QRPNG writes text as a QR code PNG. Codes are made on the box, so the
// kiosk needs no outside service.
func QRPNG(w http.ResponseWriter, text string, size int) {
	png, err := QR(text, size)
	if err != nil {
		http.Error(w, "qr: "+err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	// The text is often a key (a ticket's status page, a pairing URL):
	// no cache may keep it.
	w.Header().Set("Cache-Control", "no-store")
	w.Write(png)
}

// QR renders text as a PNG QR code of size pixels.
func QR(text string, size int) ([]byte, error) {
	return qrcode.Encode(text, qrcode.Medium, size)
}
