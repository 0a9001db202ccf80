package server

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// BuildDate (YYYY-MM-DD) is set at build time with
// -ldflags "-X queuebox/server.BuildDate=…": a clock reading before it is
// wrong. Without it the commit date of the build is used, if known.
var BuildDate = ""

// buildFloor is the earliest date the box's clock may plausibly read.
func buildFloor() time.Time {
	if t, err := time.Parse("2006-01-02", BuildDate); err == nil {
		return t
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.time" {
				if t, err := time.Parse(time.RFC3339, s.Value); err == nil {
					// A day's margin: the commit may be dated in another zone.
					return t.Add(-24 * time.Hour)
				}
			}
		}
	}
	// The year this release was written: a box in 1970 is surely wrong.
	return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
}

// clockFileEvery is how often QUEUEBOX_CLOCK_FILE is read at most.
const clockFileEvery = 100 * time.Millisecond

// boxClock is the real clock: the wall clock, plus the offset written in
// QUEUEBOX_CLOCK_FILE when that testing aid is set, and the monotonic clock
// that nothing sets.
type boxClock struct {
	start time.Time // holds the monotonic reading every Running counts from
	file  string
	log   *slog.Logger

	mu      sync.Mutex
	offset  time.Duration
	readAt  time.Time // monotonic; when the file was last read
	lastErr string    // the last complaint logged, to log each once
}

func newBoxClock(file string, log *slog.Logger) *boxClock {
	c := &boxClock{start: time.Now(), file: file, log: log}
	if file != "" {
		log.Warn("QUEUEBOX_CLOCK_FILE is set: the wall clock is shifted by the offset in it (for testing and training only)", "file", file)
		c.mu.Lock()
		c.readLocked()
		c.mu.Unlock()
	}
	return c
}

// Now is the wall clock (shifted by the testing aid's offset), without the
// monotonic reading: like a real clock that was set.
func (c *boxClock) Now() time.Time {
	now := time.Now()
	if c.file == "" {
		return now.Round(0)
	}
	c.mu.Lock()
	if now.Sub(c.readAt) >= clockFileEvery {
		c.readLocked()
	}
	off := c.offset
	c.mu.Unlock()
	return now.Round(0).Add(off)
}

// Running is the monotonic time since start; the offset never moves it.
func (c *boxClock) Running() time.Duration { return time.Since(c.start) }

// readLocked reads the offset file. A missing or empty file is no offset; a
// file that does not hold a duration keeps the last offset, and says so.
func (c *boxClock) readLocked() {
	c.readAt = time.Now()
	raw, err := os.ReadFile(c.file)
	var off time.Duration
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		c.complain("read QUEUEBOX_CLOCK_FILE: " + err.Error())
		return
	default:
		if off, err = parseOffset(raw); err != nil {
			c.complain(err.Error())
			return
		}
	}
	c.lastErr = ""
	if off != c.offset {
		c.log.Info("clock offset from QUEUEBOX_CLOCK_FILE", "offset", off.String())
	}
	c.offset = off
}

// parseOffset reads the clock file: a Go duration such as +2h or -10m,
// optionally with a trailing newline; empty is no offset.
func parseOffset(raw []byte) (time.Duration, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" {
		return 0, nil
	}
	off, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("QUEUEBOX_CLOCK_FILE must hold a Go duration such as +2h or -10m: %w", err)
	}
	return off, nil
}

func (c *boxClock) complain(msg string) {
	if msg != c.lastErr {
		c.log.Warn("clock file", "err", msg)
		c.lastErr = msg
	}
}

// getClock answers GET /clock: what the box thinks of its clock.
func (s *Server) getClock(c echo.Context) error {
	return c.JSON(http.StatusOK, s.engine.Clock())
}

// confirmClock answers POST /clock/confirm: an admin says the clock is right.
func (s *Server) confirmClock(c echo.Context) error {
	st, err := s.engine.ConfirmClock(who(c).source())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}

// revertTicketNoShow answers POST /tickets/{id}/revert-no-show.
func (s *Server) revertTicketNoShow(c echo.Context) error {
	v, err := s.engine.RevertNoShow(c.Param("id"), who(c).source())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.ticketOut(v))
}

// revertAppointmentNoShow answers POST /appointments/{code}/revert-no-show.
func (s *Server) revertAppointmentNoShow(c echo.Context) error {
	a, err := s.engine.RevertAppointmentNoShow(c.Param("code"), who(c).source())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a)
}
