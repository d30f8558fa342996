package tracegen

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/internal/testenv"
)

// TestCommittedTracesAreGenerated keeps testdata/traces/ reproducible:
// UPDATE_TRACES=1 rewrites them.
func TestCommittedTracesAreGenerated(t *testing.T) {
	for name, gen := range map[string]func(io.Writer) error{
		"prb-ramp.jsonl":        PRBRamp,
		"link-down-storm.jsonl": LinkDownStorm,
	} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, gen(&buf))
			path := filepath.Join(testenv.RepoRoot(t), "testdata", "traces", name)
			if os.Getenv("UPDATE_TRACES") == "1" {
				require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
			}
			committed, err := os.ReadFile(path)
			require.NoError(t, err)
			require.Equal(t, string(committed), buf.String(), "testdata/traces/%s differs from its generator: run UPDATE_TRACES=1 go test ./internal/tracegen", name)
		})
	}
}

func TestKPMLinesAreOrderedAndWellFormed(t *testing.T) {
	for _, batch := range []bool{false, true} {
		var buf bytes.Buffer
		k := KPM{Nodes: 2, CellsPerNode: 3, Step: time.Second, Duration: 3 * time.Second, Batch: batch,
			PRB: func(int, time.Duration) float64 { return 0.5 }}
		require.NoError(t, k.Write(&buf))
		lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
		want := 3 * 2 * 3
		if batch {
			want = 3 * 2
		}
		require.Len(t, lines, want)
		var prev time.Time
		for _, l := range lines {
			var line struct {
				At  time.Time       `json:"at"`
				KPM json.RawMessage `json:"kpm"`
			}
			require.NoError(t, json.Unmarshal(l, &line), string(l))
			require.False(t, line.At.Before(prev))
			prev = line.At
		}
	}
}
