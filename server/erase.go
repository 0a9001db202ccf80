package server

import (
	"errors"
	"sync"

	"queuebox/server/store"
)

// Erasing customers. The record with the phone and name goes at once; the
// opaque id goes from everything that carried it — the engine's active
// tickets, appointments and recent calls, then every stored ticket, event
// and appointment — so no answer ties the visits of an erased customer
// together. Tickets keep their service, times and tier: reports count the
// same. A box stopped half-way finishes at its next start (store marks).

// erasure holds what the erasure of customers needs beside the store.
type erasure struct {
	// linking is held (read) from identifying a customer to the end of the
	// ticket or booking that carries their id, and taken (write) while
	// customers are erased: an id found just before the erasure is then
	// in the engine before the engine forgets it, never after.
	linking sync.RWMutex

	// gone are the ids erased since start, for the events still in the
	// live resume buffer (made before the erasure, sent again on resume).
	mu   sync.RWMutex
	gone map[string]bool
}

// erased reports whether id is of a customer erased since start.
func (e *erasure) erased(id string) bool {
	if id == "" {
		return false
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.gone[id]
}

func (e *erasure) add(ids []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.gone == nil {
		e.gone = map[string]bool{}
	}
	for _, id := range ids {
		e.gone[id] = true
	}
}

// eraseCustomers erases cus (an admin's DELETE, or retention): their
// records, purchases and tier history, their name and phone on
// appointments, and their id wherever the queue's history holds it.
func (s *Server) eraseCustomers(cus []store.Customer) error {
	if len(cus) == 0 {
		return nil
	}
	ids := make([]string, len(cus))
	phones := make([]string, len(cus))
	for i, cu := range cus {
		ids[i], phones[i] = cu.ID, cu.Phone
	}
	s.erasure.add(ids)
	err := func() error {
		s.erasure.linking.Lock()
		defer s.erasure.linking.Unlock()
		if _, err := s.engine.ForgetCustomers(ids, phones); err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := s.db.EraseCustomer(id); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		return nil
	}()
	if err != nil {
		return err
	}
	// The history is rewritten outside the lock: identifying goes on.
	return s.unlinkHistory(ids)
}

// unlinkHistory takes ids out of the stored history and logs what it did
// (counts only: the ids themselves are no business of the log).
func (s *Server) unlinkHistory(ids []string) error {
	st, err := s.db.UnlinkCustomers(ids)
	if err != nil {
		return err
	}
	s.log.Debug("customers unlinked from history", "customers", len(ids),
		"tickets", st.Tickets, "events", st.Events, "appointments", st.Appointments)
	return nil
}

// finishErasures completes the erasures a stopped box left half-way: the
// records are gone, the marks say whose history still names them.
func (s *Server) finishErasures() {
	ids, err := s.db.PendingUnlinks()
	if err == nil && len(ids) > 0 {
		s.erasure.add(ids)
		if _, err = s.engine.ForgetCustomers(ids, nil); err == nil {
			err = s.unlinkHistory(ids)
		}
	}
	if err != nil {
		// Tried again at the next start; the box serves meanwhile.
		s.log.Warn("finish customer erasures", "err", err)
	}
}
