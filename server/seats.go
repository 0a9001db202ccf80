package server

import (
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// seatTTL is how long a console's "I am at this counter" lasts without being
// said again; the console repeats it every minute while it is open.
const seatTTL = 150 * time.Second

// seats remembers which counter each signed-in clerk's console is at, so a
// second clerk choosing the same counter is warned: two consoles calling for
// one counter send customers to the same desk. It is kept in memory only:
// after a restart the consoles say it again within a minute.
type seats struct {
	mu sync.Mutex
	by map[string]seat // by username
}

type seat struct {
	counter string
	since   time.Time // when this user took the counter
	seen    time.Time // when the console last said it
}

// seatmate is another clerk at the same counter.
type seatmate struct {
	Username string    `json:"username"`
	Since    time.Time `json:"since"`
}

func newSeats() *seats { return &seats{by: map[string]seat{}} }

// take records that user is at counter now and returns the other clerks
// whose consoles are at the same counter, longest there first.
func (t *seats) take(user, counter string, now time.Time) []seatmate {
	t.mu.Lock()
	defer t.mu.Unlock()
	old, ok := t.by[user]
	since := now
	if ok && old.counter == counter && now.Sub(old.seen) < seatTTL {
		since = old.since
	}
	t.by[user] = seat{counter: counter, since: since, seen: now}
	others := []seatmate{}
	for u, st := range t.by {
		if now.Sub(st.seen) >= seatTTL {
			delete(t.by, u)
			continue
		}
		if u != user && st.counter == counter {
			others = append(others, seatmate{Username: u, Since: st.since})
		}
	}
	sort.Slice(others, func(i, j int) bool { return others[i].Since.Before(others[j].Since) })
	return others
}

// leave forgets where user was (the console closed or logged out).
func (t *seats) leave(user string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.by, user)
}

// takeSeat is POST /counters/:id/seat: the console of the signed-in clerk is
// at this counter. The answer lists the other clerks at it.
func (s *Server) takeSeat(c echo.Context) error {
	ctr, err := s.engine.Counter(c.Param("id"))
	if err != nil {
		return err
	}
	id := who(c)
	if id.username == "" {
		return errForbidden
	}
	also := s.seats.take(id.username, ctr.ID, s.clock.Now())
	return c.JSON(http.StatusOK, map[string]any{"counter_id": ctr.ID, "also": also})
}

// leaveSeat is DELETE /seat: the clerk's console is at no counter.
func (s *Server) leaveSeat(c echo.Context) error {
	if u := who(c).username; u != "" {
		s.seats.leave(u)
	}
	return c.NoContent(http.StatusNoContent)
}
