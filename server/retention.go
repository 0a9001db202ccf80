package server

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"queuebox/server/config"
	"queuebox/server/store"
)

// retentionCutoff is where the kept history starts: the business date
// days before now's date in loc, and the start of that date.
func retentionCutoff(now time.Time, loc *time.Location, days int) (string, time.Time) {
	y, m, d := now.In(loc).Date()
	start := time.Date(y, m, d-days, 0, 0, 0, 0, loc)
	return start.Format(time.DateOnly), start
}

// branchZone is the branch's time zone (UTC if the settings name none or
// an unknown one, which the engine refuses anyway).
func branchZone(tz string) *time.Location {
	if loc, err := time.LoadLocation(tz); err == nil && tz != "" {
		return loc
	}
	return time.UTC
}

// pruneHistory counts the days past the retention period into daily totals
// and deletes their details, in short transactions beside the serving box.
func (s *Server) pruneHistory() (store.PruneResult, error) {
	before, cutoff := retentionCutoff(s.clock.Now(), branchZone(s.engine.Settings().Timezone), s.cfg.Retention)
	return s.db.Prune(before, cutoff)
}

// retain folds the new tickets' tokens into the main index every hour, and
// prunes the history once a day, within the hour after the branch's
// midnight (and once soon after start), when retention is on. Both take the
// write lock for a few milliseconds at a time, so issuing goes on.
func (s *Server) retain(ctx context.Context) {
	defer s.bg.Done()
	first := time.NewTimer(time.Minute)
	defer first.Stop()
	hourly := time.NewTicker(time.Hour)
	defer hourly.Stop()
	last, scrubbed := "", ""
	for {
		select {
		case <-ctx.Done():
			return
		case <-first.C:
		case <-hourly.C:
		}
		if _, err := s.db.FoldTokens(); err != nil {
			s.log.Warn("token index", "err", err)
		}
		s.finishErasures() // one left half-way by a failed write
		if d := businessDate(s.clock.Now(), s.engine.Settings().Timezone); d != scrubbed {
			if err := s.scrubErased(); err != nil {
				s.log.Warn("scrub erased data", "err", err)
			} else {
				scrubbed = d
			}
		}
		if s.cfg.Retention <= 0 {
			continue
		}
		before, _ := retentionCutoff(s.clock.Now(), branchZone(s.engine.Settings().Timezone), s.cfg.Retention)
		if before == last {
			continue
		}
		res, err := s.pruneHistory()
		if err != nil {
			s.log.Warn("history pruning", "err", err)
			continue
		}
		last = before
		if res != (store.PruneResult{}) {
			s.log.Info("history pruned", "before", before, "tickets", res.Tickets, "events", res.Events, "appointments", res.Appointments)
		}
	}
}

// scrubErased writes over the database file's free pages when a customer
// was erased since the last time (store.ScrubFree): deleting frees the
// pages, and this takes the customer's bytes off the disk. The nightly run
// (the first hourly round of each business day, and one soon after start)
// does it, so erased data leaves the disk by the next night at the latest.
func (s *Server) scrubErased() error {
	due, since, err := s.db.ScrubDue()
	if err != nil || !due {
		return err
	}
	res, err := s.db.ScrubFree()
	if err != nil {
		return err
	}
	s.log.Info("erased data scrubbed from the database file", "erased_since", since.Format(time.RFC3339), "pages", res.Pages, "grown_bytes", res.Grown, "again_next_night", res.Again)
	return nil
}

// compactCmd prunes the history past the retention period and rewrites the
// database into a smaller file. The server must be stopped.
func compactCmd(args []string, stdout, stderr io.Writer) error {
	cfg, err := config.LoadFor("queuebox compact", args, os.Getenv, stderr)
	if err != nil {
		return err
	}
	db, err := openExisting(cfg.Data)
	if err != nil {
		return err
	}
	snap, err := db.Load()
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	before, cutoff := "", time.Time{}
	if cfg.Retention > 0 {
		tz := ""
		if snap.Settings != nil {
			tz = snap.Settings.Timezone
		}
		before, cutoff = retentionCutoff(time.Now(), branchZone(tz), cfg.Retention)
	}
	res, err := store.Compact(cfg.Data, store.Options{LockTimeout: 300 * time.Millisecond}, before, cutoff)
	if err != nil {
		return err
	}
	if before != "" {
		fmt.Fprintf(stdout, "kept the details from %s: %d tickets, %d events and %d appointments before it became daily totals\n",
			before, res.Pruned.Tickets, res.Pruned.Events, res.Pruned.Appointments)
	}
	fmt.Fprintf(stdout, "compacted %s: %.1f MiB → %.1f MiB\n", cfg.Data, float64(res.Before)/(1<<20), float64(res.After)/(1<<20))
	return nil
}
