package parallel

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestForEachRunsEveryIndexOnce(t *testing.T) {
	var seen [100]atomic.Int32
	require.NoError(t, ForEach(len(seen), func(i int) error { seen[i].Add(1); return nil }))
	for i := range seen {
		require.EqualValues(t, 1, seen[i].Load(), "index %d", i)
	}
}

func TestForEachReturnsTheLowestIndexError(t *testing.T) {
	err := ForEach(50, func(i int) error {
		if i == 7 || i == 30 {
			return fmt.Errorf("failed %d", i)
		}
		return nil
	})
	require.EqualError(t, err, "failed 7")
	require.NoError(t, ForEach(0, func(int) error { return errors.New("never") }))
}
