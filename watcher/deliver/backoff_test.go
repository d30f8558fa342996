package deliver

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestBackoffDelay(t *testing.T) {
	none := func() float64 { return 0 }
	most := func() float64 { return 0.999 }
	tests := []struct {
		name     string
		b        Backoff
		failures int
		want     time.Duration
	}{
		{"the first failure waits Min (1 s by default)", Backoff{Jitter: none}, 0, time.Second},
		{"each further failure doubles it", Backoff{Jitter: none}, 3, 8 * time.Second},
		{"up to Max (1 min by default)", Backoff{Jitter: none}, 6, time.Minute},
		{"a long outage neither overflows nor exceeds Max", Backoff{Jitter: none}, 1000, time.Minute},
		{"negative failures count as none", Backoff{Jitter: none}, -1, time.Second},
		{"custom bounds", Backoff{Min: 100 * time.Millisecond, Max: 300 * time.Millisecond, Jitter: none}, 2, 300 * time.Millisecond},
		{"Max below Min is Min", Backoff{Min: 2 * time.Second, Max: time.Second, Jitter: none}, 3, 2 * time.Second},
		{"jitter takes up to half off", Backoff{Jitter: most}, 2, 4*time.Second - time.Duration(0.999*float64(2*time.Second))},
		{"jitter out of range is clamped", Backoff{Jitter: func() float64 { return 7 }}, 0, 500 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.b.Delay(tc.failures))
		})
	}
}

func TestBackoffDefaultJitterStaysInRange(t *testing.T) {
	for failures := range 10 {
		d := Backoff{}.Delay(failures)
		full := Backoff{Jitter: func() float64 { return 0 }}.Delay(failures)
		require.LessOrEqual(t, d, full)
		require.GreaterOrEqual(t, d, full/2)
	}
}
