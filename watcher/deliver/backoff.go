package deliver

import (
	"math/rand/v2"
	"time"
)

// Defaults of Backoff.
const (
	DefaultBackoffMin = time.Second
	DefaultBackoffMax = time.Minute
)

// Backoff is how long a proposal waits after a failed delivery: Min after
// the first failure, doubling with each further one up to Max, minus up to
// half of it at random (jitter, so the retries of many proposals spread
// out). The zero value is the default.
type Backoff struct {
	// Min is the delay after the first failure (DefaultBackoffMin when
	// zero); Max bounds it (DefaultBackoffMax when zero).
	Min, Max time.Duration
	// Jitter returns a number in [0, 1): the fraction of half the delay
	// taken off. Nil means math/rand/v2's Float64; func() float64 { return
	// 0 } makes the backoff deterministic.
	Jitter func() float64
}

func (b Backoff) withDefaults() Backoff {
	if b.Min <= 0 {
		b.Min = DefaultBackoffMin
	}
	if b.Max <= 0 {
		b.Max = DefaultBackoffMax
	}
	b.Max = max(b.Max, b.Min)
	if b.Jitter == nil {
		b.Jitter = rand.Float64
	}
	return b
}

// Delay returns the wait after a delivery that failed when failures
// earlier ones had failed already (0 for the first failure).
func (b Backoff) Delay(failures int) time.Duration {
	b = b.withDefaults()
	d := b.Min
	for range max(failures, 0) {
		if d >= b.Max/2 {
			d = b.Max
			break
		}
		d *= 2
	}
	d = min(d, b.Max)
	j := min(max(b.Jitter(), 0), 1)
	return d - time.Duration(j*float64(d/2))
}
