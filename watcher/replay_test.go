package watcher

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/watcher/model"
)

func replayFile(t *testing.T, trace string) ([]model.Decision, ReplaySummary) {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", "traces", trace))
	require.NoError(t, err)
	defer f.Close()
	var out []model.Decision
	sum, err := Replay(context.Background(), ReplayOptions{
		Packages: filepath.Join("..", "testdata", "traces", "packages"),
		Rules:    filepath.Join("..", "testdata", "traces", "rules"),
	}, f, func(d model.Decision) error { out = append(out, d); return nil })
	require.NoError(t, err)
	return out, sum
}

func count(ds []model.Decision, action string, suppressed model.Suppression) int {
	n := 0
	for _, d := range ds {
		if string(d.Action) == action && d.Suppressed == suppressed {
			n++
		}
	}
	return n
}

func TestReplayPRBRampScalesOutOnceAndInOnce(t *testing.T) {
	ds, sum := replayFile(t, "prb-ramp.jsonl")
	require.Equal(t, 360, sum.KPMReports)
	require.Zero(t, sum.Refused)
	require.Equal(t, 1, count(ds, "scale_out", ""), "one scale-out")
	require.Equal(t, 1, count(ds, "scale_in", ""), "one scale-in")
	require.Positive(t, count(ds, "scale_out", model.Hysteresis), "for: 2 holds the first window back")
	require.Positive(t, count(ds, "scale_out", model.CooldownActive))
	var out, in model.Decision
	for _, d := range ds {
		if d.Suppressed == "" && d.Action == "scale_out" {
			out = d
		}
		if d.Suppressed == "" && d.Action == "scale_in" {
			in = d
		}
	}
	require.True(t, in.At.After(out.At))
	require.Equal(t, "upf-edge-1", out.CNF)
	require.Contains(t, out.Reason, "Scale out UPF due to PRB utilization 0.9")
	require.NotNil(t, out.Intent)
	require.Equal(t, out.Reason, out.Intent.Spec.Reason)
}

func TestReplayLinkDownStorm(t *testing.T) {
	ds, sum := replayFile(t, "link-down-storm.jsonl")
	require.Equal(t, 15, sum.Events)
	require.Equal(t, 1, count(ds, "migrate", ""), "one incident, one migrate")
	require.Equal(t, 6, count(ds, "migrate", model.Duplicate), "the retransmission and the repeats")
	require.Equal(t, 6, count(ds, "migrate", model.Burst), "beyond five a minute")
	require.Equal(t, 1, count(ds, "migrate", model.Cleared))
	// Replay merged the first migrate: the raise after the cooldown has
	// nothing left to avoid.
	require.Equal(t, 1, count(ds, "migrate", model.AtBound))
}

// TestReplayGolden pins the full output of both traces (UPDATE_GOLDEN=1
// rewrites testdata/traces/*.replay.jsonl).
func TestReplayGolden(t *testing.T) {
	for _, name := range []string{"prb-ramp", "link-down-storm"} {
		t.Run(name, func(t *testing.T) {
			ds, _ := replayFile(t, name+".jsonl")
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			for _, d := range ds {
				require.NoError(t, enc.Encode(map[string]any{"at": d.At, "cnf": d.CNF, "action": d.Action,
					"rule": d.Rule, "id": d.ID, "reason": d.Reason, "suppressed": d.Suppressed, "detail": d.Detail}))
			}
			path := filepath.Join("..", "testdata", "traces", name+".replay.jsonl")
			if os.Getenv("UPDATE_GOLDEN") == "1" {
				require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err)
			require.Equal(t, string(want), buf.String())
		})
	}
}

func TestReplayRefusesBrokenTraces(t *testing.T) {
	kpm := `{"nodeId":"gnb-001","cellId":"c1","collectStartTime":"2026-11-27T00:00:00Z","granularityPeriodMs":10000,"measurements":[{"name":"RRU.PrbTotDl","value":50}]}`
	cases := []struct{ name, trace, want string }{
		{"not JSON", "{\"at\":\"2026-11-27T00:00:10Z\",\"kpm\":" + kpm + "}\nnot json\n", "trace line 2"},
		{"no at", `{"kpm":` + kpm + "}\n", "trace line 1: at is missing"},
		{"back in time", `{"at":"2026-11-27T00:00:10Z","kpm":` + kpm + "}\n" + `{"at":"2026-11-27T00:00:09Z","kpm":` + kpm + "}\n", "trace line 2: at 2026-11-27T00:00:09Z goes back in time"},
		{"both", `{"at":"2026-11-27T00:00:10Z","kpm":` + kpm + `,"ves":{}}` + "\n", "trace line 1: want exactly one of kpm and ves"},
		{"neither", `{"at":"2026-11-27T00:00:10Z"}` + "\n", "trace line 1: want exactly one of kpm and ves"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Replay(context.Background(), ReplayOptions{}, strings.NewReader(tc.trace), func(model.Decision) error { return nil })
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestReplayReadsEveryLineShape(t *testing.T) {
	kpm := `{"nodeId":"gnb-001","cellId":"c1","collectStartTime":"2026-11-27T00:00:00Z","granularityPeriodMs":10000,"measurements":[{"name":"RRU.PrbTotDl","value":50}]}`
	trace := strings.Join([]string{
		`{"at":"2026-11-27T00:00:10Z","kpm":` + kpm + `}`,       // as exported: the fast split
		`{"kpm":` + kpm + `,"at":"2026-11-27T00:00:11Z"}`,       // keys reordered
		`{"at":"2026-11-27T00:00:12Z","kpm":` + kpm + `,"x":1}`, // a member after the payload
		`{"at": "2026-11-27T00:00:13Z", "kpm": [` + kpm + `]}`,  // spaces, an array of reports
		``,
		`{"at":"2026-11-27T00:00:14Z","kpm":{"nodeId":""}}`, // refused by the KPM decoder: counted, skipped
		`{"at":"2026-11-27T00:00:15Z","ves":{"event":{}}}`,  // refused by the VES listener
	}, "\n")
	sum, err := Replay(context.Background(), ReplayOptions{}, strings.NewReader(trace), func(model.Decision) error { return nil })
	require.NoError(t, err)
	require.Equal(t, 4, sum.KPMReports)
	require.Equal(t, 2, sum.Refused)
}
