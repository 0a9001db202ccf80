package server_test

import (
	"io"
	"net/http"
	"testing"

	"queuebox/server/servertest"
)

// HEAD is answered like GET without a body, for monitoring (`curl -I`).
func TestHeadIsAnsweredLikeGet(t *testing.T) {
	box := servertest.Start(t, servertest.Options{})
	for _, path := range []string{"/healthz", "/api/v1/services", "/display/"} {
		resp, err := http.Head(box.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || len(body) != 0 {
			t.Errorf("HEAD %s: %d with %d body bytes, want 200 and none", path, resp.StatusCode, len(body))
		}
	}
}
