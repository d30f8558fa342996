package ric

import (
	"context"
	"math"
	"math/rand/v2"
	"time"
)

// Backoff is a capped, jittered exponential backoff: the delay before retry
// n (n >= 1) is min(Initial*Factor^(n-1), Max), reduced by up to Jitter of
// itself at random, so a fleet of watchers does not retry in step and no
// delay ever exceeds Max.
type Backoff struct {
	Initial time.Duration // first delay; default 200ms
	Max     time.Duration // cap; default 30s
	Factor  float64       // growth per retry; default 2
	Jitter  float64       // fraction in [0,1] taken off at random; default 0.2
	// Rand returns a number in [0,1); nil means math/rand/v2. Tests pass a
	// constant to get exact delays.
	Rand func() float64
}

// DefaultBackoff is what the clients use when Options leave it zero.
var DefaultBackoff = Backoff{Initial: 200 * time.Millisecond, Max: 30 * time.Second, Factor: 2, Jitter: 0.2}

func (b Backoff) withDefaults() Backoff {
	if b.Initial <= 0 {
		b.Initial = DefaultBackoff.Initial
	}
	if b.Max <= 0 {
		b.Max = DefaultBackoff.Max
	}
	if b.Max < b.Initial {
		b.Max = b.Initial
	}
	if b.Factor < 1 {
		b.Factor = DefaultBackoff.Factor
	}
	if b.Jitter < 0 || b.Jitter > 1 {
		b.Jitter = DefaultBackoff.Jitter
	}
	if b.Rand == nil {
		b.Rand = rand.Float64
	}
	return b
}

// Delay returns the wait before retry n; n < 1 counts as 1.
func (b Backoff) Delay(n int) time.Duration {
	b = b.withDefaults()
	if n < 1 {
		n = 1
	}
	d := float64(b.Initial) * math.Pow(b.Factor, float64(n-1))
	if d > float64(b.Max) || math.IsInf(d, 0) || math.IsNaN(d) {
		d = float64(b.Max)
	}
	d -= d * b.Jitter * b.Rand()
	return time.Duration(d)
}

// SleepFunc waits for d or until ctx is done, returning ctx.Err() then.
// Tests pass one that advances a fake clock and returns at once.
type SleepFunc func(ctx context.Context, d time.Duration) error

// Sleep is the real SleepFunc.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// retrier runs one call up to attempts times, sleeping between attempts
// while the error is retryable.
type retrier struct {
	backoff  Backoff
	attempts int
	sleep    SleepFunc
}

func (r retrier) do(ctx context.Context, call func(context.Context) error) error {
	var err error
	for n := 1; ; n++ {
		if err = call(ctx); err == nil || !retryable(err) || n >= r.attempts {
			return err
		}
		if serr := r.sleep(ctx, r.backoff.Delay(n)); serr != nil {
			return err
		}
	}
}

// loop calls pass, then sleeps interval after a success and the backoff
// delay after consecutive failures, until ctx is done.
func loop(ctx context.Context, interval time.Duration, b Backoff, sleep SleepFunc, pass func(context.Context) error) error {
	failures := 0
	for {
		wait := interval
		if err := pass(ctx); err != nil {
			failures++
			wait = b.Delay(failures)
		} else {
			failures = 0
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}
