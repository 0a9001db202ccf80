package server

import "queuebox/server/bus"

// startBus connects the store's commits to the event bus. Every consumer of
// committed events subscribes to it, each on its own goroutine, e.g.
//
//	s.bus.Subscribe(bus.Options{Name: "reports"}, projection.Apply)
//
// gets every event after the current one, in seq order, losslessly (the
// default CatchUp policy reads what a slow subscriber missed back from the
// event log).
func (s *Server) startBus() {
	s.bus = bus.New(s.db, s.db.CommittedSeq(), s.log)
	s.db.OnCommit(s.bus.Publish)
}

// stopBus ends every subscriber's goroutine; events committed after it reach
// nobody (the store is about to close).
func (s *Server) stopBus() {
	if s.bus != nil {
		s.db.OnCommit(nil)
		s.bus.Close()
	}
}
