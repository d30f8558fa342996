package watcher

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/nephoran/nephoran/watcher/model"
)

// A rule suite is promtool's rule test idea applied to decisions: rules,
// the CNFs they act on, timed inputs and the decisions and suppressions
// expected, in order. Each file under rules/testdata/suites/ is one suite; the
// runner turns the inputs into a trace and runs it through Replay, so a
// suite tests exactly what `nephoran replay` and the live watcher do.
type suite struct {
	// Rules and Packages are YAML documents (rule files and CNFDeployments)
	// written to the rule and package directories.
	Rules    []json.RawMessage `json:"rules"`
	Packages []json.RawMessage `json:"packages"`
	Tests    []suiteTest       `json:"tests"`
}

type suiteTest struct {
	Name   string        `json:"name"`
	Input  []suiteInput  `json:"input"`
	Expect []suiteExpect `json:"expect"`
	// RuleErrors is how many rule evaluations must fail (and be skipped).
	RuleErrors int `json:"ruleErrors,omitempty"`
}

// suiteInput is one signal at an offset from the suite epoch, optionally
// repeated every Every until Until (exclusive).
type suiteInput struct {
	At    string `json:"at"`
	Every string `json:"every,omitempty"`
	Until string `json:"until,omitempty"`
	// KPM is a report as the ingest API takes it; collectStartTime and
	// granularityPeriodMs default to at-10s and 10000.
	KPM map[string]any `json:"kpm,omitempty"`
	// VES is a VES body; commonEventHeader's start/lastEpochMicrosec
	// default to at.
	VES map[string]any `json:"ves,omitempty"`
}

type suiteExpect struct {
	At         string `json:"at"`
	CNF        string `json:"cnf"`
	Action     string `json:"action"`
	Rule       string `json:"rule"`
	Suppressed string `json:"suppressed,omitempty"`
}

var suiteEpoch = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)

func TestRuleSuites(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("rules", "testdata", "suites", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		data, err := os.ReadFile(file)
		require.NoError(t, err)
		var s suite
		require.NoError(t, yaml.UnmarshalStrict(data, &s), file)
		for _, tc := range s.Tests {
			t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml")+"/"+tc.Name, func(t *testing.T) {
				rules, packages := t.TempDir(), t.TempDir()
				writeDocs(t, rules, s.Rules)
				writeDocs(t, packages, s.Packages)
				got := []suiteExpect{}
				sum, err := Replay(context.Background(), ReplayOptions{Packages: packages, Rules: rules},
					bytes.NewReader(suiteTrace(t, tc.Input)), func(d model.Decision) error {
						got = append(got, suiteExpect{At: d.At.Sub(suiteEpoch).String(), CNF: d.CNF,
							Action: string(d.Action), Rule: d.Rule, Suppressed: string(d.Suppressed)})
						return nil
					})
				require.NoError(t, err)
				want := make([]suiteExpect, len(tc.Expect))
				for i, e := range tc.Expect {
					e.At = offset(t, e.At).String()
					want[i] = e
				}
				require.Equal(t, want, got)
				require.Equal(t, tc.RuleErrors, sum.RuleErrors, "rule errors")
			})
		}
	}
}

func writeDocs(t *testing.T, dir string, docs []json.RawMessage) {
	t.Helper()
	for i, d := range docs {
		y, err := yaml.JSONToYAML(d)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("%02d.yaml", i)), y, 0o644))
	}
}

func offset(t *testing.T, s string) time.Duration {
	t.Helper()
	d, err := time.ParseDuration(s)
	require.NoError(t, err, "offset %q", s)
	return d
}

// suiteTrace expands the inputs into trace lines in time order (stable for
// equal times: the order written).
func suiteTrace(t *testing.T, inputs []suiteInput) []byte {
	type line struct {
		at   time.Duration
		body []byte
	}
	var lines []line
	for _, in := range inputs {
		at, until, every := offset(t, in.At), offset(t, in.At), time.Duration(0)
		if in.Every != "" {
			every, until = offset(t, in.Every), offset(t, in.Until)-1
		}
		for ; at <= until; at += max(every, 1) {
			ts := suiteEpoch.Add(at)
			l := map[string]any{"at": ts.Format(time.RFC3339Nano)}
			switch {
			case in.KPM != nil:
				r := clone(in.KPM)
				if _, ok := r["collectStartTime"]; !ok {
					r["collectStartTime"] = ts.Add(-10 * time.Second).Format(time.RFC3339Nano)
				}
				if _, ok := r["granularityPeriodMs"]; !ok {
					r["granularityPeriodMs"] = 10000
				}
				l["kpm"] = r
			case in.VES != nil:
				b := clone(in.VES)
				if ev, ok := b["event"].(map[string]any); ok {
					if h, ok := ev["commonEventHeader"].(map[string]any); ok {
						for _, k := range []string{"startEpochMicrosec", "lastEpochMicrosec"} {
							if _, ok := h[k]; !ok {
								h[k] = ts.UnixMicro()
							}
						}
					}
				}
				l["ves"] = b
			default:
				t.Fatalf("input at %s has neither kpm nor ves", in.At)
			}
			b, err := json.Marshal(l)
			require.NoError(t, err)
			lines = append(lines, line{at, b})
			if every == 0 {
				break
			}
		}
	}
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].at < lines[j].at })
	var buf bytes.Buffer
	for _, l := range lines {
		buf.Write(l.body)
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}

// clone deep-copies a JSON-shaped map (nested maps are changed per line).
func clone(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}
