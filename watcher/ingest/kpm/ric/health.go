package ric

import (
	"sync"
	"time"
)

// Health is the state of a client's last passes, plain data for the
// watcher's metrics and /readyz. Before the first pass it is unhealthy.
type Health struct {
	Healthy             bool
	LastError           string // empty when the last pass succeeded
	LastAttempt         time.Time
	LastSuccess         time.Time // zero until a pass succeeds
	ConsecutiveFailures int
	// Count is the number of subscriptions held (Reconciler) or of E2 nodes
	// known (Poller).
	Count int
}

// healthState records passes under a lock.
type healthState struct {
	mu sync.Mutex
	h  Health
}

func (s *healthState) record(now time.Time, count int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.h.LastAttempt = now
	s.h.Count = count
	if err != nil {
		s.h.Healthy = false
		s.h.LastError = err.Error()
		s.h.ConsecutiveFailures++
		return
	}
	s.h.Healthy = true
	s.h.LastError = ""
	s.h.LastSuccess = now
	s.h.ConsecutiveFailures = 0
}

func (s *healthState) get() Health {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.h
}
