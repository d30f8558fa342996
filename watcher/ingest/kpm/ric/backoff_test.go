package ric

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestBackoffDelay(t *testing.T) {
	base := Backoff{Initial: 100 * time.Millisecond, Max: time.Second, Factor: 2, Jitter: 0.5}
	tests := []struct {
		name string
		rand float64
		n    int
		want time.Duration
	}{
		{"first retry waits Initial", 0, 1, 100 * time.Millisecond},
		{"grows by Factor", 0, 3, 400 * time.Millisecond},
		{"is capped at Max", 0, 10, time.Second},
		{"a huge retry count stays capped, no overflow", 0, 5000, time.Second},
		{"jitter only shortens, so the cap holds", 0.999999, 10, 500*time.Millisecond + 500},
		{"jitter takes up to Jitter of the delay", 0.5, 2, 150 * time.Millisecond},
		{"n below 1 counts as the first retry", 0, 0, 100 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := base
			b.Rand = func() float64 { return tt.rand }
			require.InDelta(t, float64(tt.want), float64(b.Delay(tt.n)), float64(time.Microsecond))
		})
	}
}

func TestOctetsMarshalAsIntegerArray(t *testing.T) {
	// The API types E2SM octets as an array of integers, not base64.
	b, err := Octets{0, 7, 255}.MarshalJSON()
	require.NoError(t, err)
	require.JSONEq(t, `[0,7,255]`, string(b))
	var o Octets
	require.NoError(t, o.UnmarshalJSON([]byte(`[1,2,3]`)))
	require.Equal(t, Octets{1, 2, 3}, o)
	require.Error(t, o.UnmarshalJSON([]byte(`[256]`)), "an integer above 255 is not an octet")
}
