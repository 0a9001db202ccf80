package queue

import (
	"fmt"
	"strings"
	"testing"
)

func TestTicketNumberIsSprintf(t *testing.T) {
	for _, prefix := range []string{"", "A", "VIP-", strings.Repeat("长", 20)} {
		for n := -120; n <= 12000; n++ {
			if got, want := ticketNumber(prefix, n), fmt.Sprintf("%s%03d", prefix, n); got != want {
				t.Fatalf("ticketNumber(%q, %d) = %q, want %q", prefix, n, got, want)
			}
		}
	}
}
