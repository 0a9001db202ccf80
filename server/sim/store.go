package sim

import (
	"queuebox/server/queue"
	"queuebox/server/store"
)

// asyncStore hands every change to the real bbolt store in order but does
// not make the engine wait for each commit: the store's single writer then
// groups whatever piled up into one transaction. A simulation has nobody to
// answer between steps, and a failed commit still fails the run (see flush).
type asyncStore struct {
	*store.DB
	pending []<-chan error
	err     error
}

var committed = func() chan error {
	c := make(chan error)
	close(c) // a receive yields nil: "on disk" as far as the engine cares
	return c
}()

func (s *asyncStore) Apply(c *queue.Change) <-chan error {
	s.pending = append(s.pending, s.DB.Apply(c))
	if len(s.pending) >= 8192 {
		s.flush()
	}
	return committed
}

// flush waits for every change handed over so far and keeps the first error.
func (s *asyncStore) flush() error {
	for _, errc := range s.pending {
		if err := <-errc; err != nil && s.err == nil {
			s.err = err
		}
	}
	s.pending = s.pending[:0]
	return s.err
}
