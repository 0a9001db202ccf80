package queue

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

func TestTicketNumberIsSprintf(t *testing.T) {
	for _, prefix := range []string{"", "A", "VIP-", strings.Repeat("长", 20)} {
		for n := -120; n <= 12000; n++ {
			if got, want := string(appendTicketNumber(nil, prefix, n)), fmt.Sprintf("%s%03d", prefix, n); got != want {
				t.Fatalf("appendTicketNumber(%q, %d) = %q, want %q", prefix, n, got, want)
			}
		}
	}
}

// TestTicketStrings: the id, number and token made together are each what
// it would be alone, and tokens differ.
func TestTicketStrings(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range []struct {
		id     uint64
		prefix string
		n      int
	}{{1, "A", 1}, {42, "B", 120}, {18446744073709551615, strings.Repeat("长", 20), 100000}, {7, "", -5}} {
		id, number, token := ticketStrings(c.id, c.prefix, c.n)
		if want := strconv.FormatUint(c.id, 10); id != want {
			t.Errorf("id = %q, want %q", id, want)
		}
		if want := fmt.Sprintf("%s%03d", c.prefix, c.n); number != want {
			t.Errorf("number = %q, want %q", number, want)
		}
		if len(token) != 22 || strings.Trim(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			t.Errorf("token = %q, want 22 characters of URL-safe base64", token)
		}
		if seen[token] {
			t.Errorf("token %q made twice", token)
		}
		seen[token] = true
	}
}
