package ric

import (
	"context"
	"sync"
	"time"
)

// fakeClock is the injected clock and SleepFunc: Sleep records the delay,
// advances the clock and returns at once; onSleep, when set, runs with the
// 1-based count of sleeps so far (to restart a server or end a Run).
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	sleeps  []time.Duration
	onSleep func(n int)
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.sleeps = append(c.sleeps, d)
	n, hook := len(c.sleeps), c.onSleep
	c.mu.Unlock()
	if hook != nil {
		hook(n)
	}
	return ctx.Err()
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// options are the test Options: fake clock, no jitter, quiet logger.
func (c *fakeClock) options() Options {
	return Options{
		Interval: 30 * time.Second,
		Backoff:  Backoff{Initial: 100 * time.Millisecond, Max: 2 * time.Second, Factor: 2, Jitter: 0.2, Rand: func() float64 { return 0 }},
		Attempts: 4,
		Sleep:    c.Sleep,
		Now:      c.Now,
		Logger:   discardLogger(),
	}
}
