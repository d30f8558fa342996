package review_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/watcher/model"
	"github.com/nephoran/nephoran/watcher/review"
)

// decision builds a decision as decide makes it, with evidence ev.
func decision(id, cnf string, action nephv1.Action, rule, reason, correlation string, approval nephv1.Approval,
	at time.Time, ev map[string]any) model.Decision {
	evidence := map[string]json.RawMessage{}
	for k, v := range ev {
		raw, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		evidence[k] = raw
	}
	return model.Decision{
		ID: id, At: at, CNF: cnf, Action: action, Rule: rule, Reason: reason,
		CorrelationID: correlation, Approval: approval,
		Intent: &nephv1.CNFIntent{
			TypeMeta:   metav1.TypeMeta{APIVersion: nephv1.APIVersion, Kind: nephv1.KindCNFIntent},
			ObjectMeta: metav1.ObjectMeta{Name: cnf + "-" + strings.ReplaceAll(string(action), "_", "-") + "-" + id[:10]},
			Spec: nephv1.CNFIntentSpec{
				Target: cnf, Action: action, Reason: reason, Source: rule, CorrelationID: correlation,
				At: at.UTC().Format(time.RFC3339), Evidence: evidence,
			},
		},
	}
}

var t0 = time.Date(2026, 1, 1, 0, 0, 30, 0, time.UTC)

// bodyCases are the golden cases of Body, each named for why it exists.
func bodyCases() []struct {
	name string
	d    model.Decision
	c    review.Change
} {
	metric := decision("3f2a9c0d1e4b5a67", "upf-edge-1", nephv1.ActionScaleOut, "scale-out-on-prb",
		"PRB utilization 0.93 on gnb-001 is above 0.85", "gnb-001/2026-01-01T00:00:00Z", nephv1.ApprovalManual, t0,
		map[string]any{
			"window":  map[string]string{"node": "gnb-001", "start": "2026-01-01T00:00:00Z", "end": "2026-01-01T00:00:30Z"},
			"metrics": map[string]float64{"kpm.prb_utilization": 0.93, "kpm.ue_count": 120, "kpm.p95_latency_ms": 41.5, "RRU.PrbTotDl": 93},
		})
	metric.Intent.Spec.Delta = 1

	event := decision("9c1b7e04aa3d2f10", "du-site-b", nephv1.ActionMigrate, "link-down-migrate",
		"LINK_DOWN on ru-17: move du-site-b off node edge-3", "ru-17/fault-000123/2026-01-01T00:00:12.5Z", nephv1.ApprovalAuto,
		t0.Add(2*time.Second),
		// severity: shown with the events when decide records it.
		map[string]any{"eventIds": []string{"fault-000123", "fault-000124", "fault-000125"}, "count": 27, "severity": "CRITICAL"})
	event.Intent.Spec.Avoid = &nephv1.Avoid{Nodes: []string{"edge-3"}}

	hostile := decision("0123456789abcdef", "cu-up-1", nephv1.ActionScaleTo, "odd-rule",
		"a `reason` with | pipes, <b>HTML</b> and [a link](http://example.invalid)\nover two lines",
		"src/with/slashes/2026-01-01T00:00:00Z", "", t0,
		map[string]any{
			"severity": "CRITICAL",
			"nested":   map[string]any{"a": []int{1, 2}},
			"list":     []any{"x", 1.5, true, nil},
			"metrics":  "not a map",
		})
	three := int32(3)
	hostile.Intent.Spec.Replicas = &three

	return []struct {
		name string
		d    model.Decision
		c    review.Change
	}{
		{
			name: "metric-scale-out",
			d:    metric,
			c: review.Change{Package: "deploy/upf-edge-1", Branch: "proposed/deploy/upf-edge-1/3f2a9c0d1e4b5a67", Base: "main",
				ReplicasBefore: 2, ReplicasAfter: 3, Condition: "metrics['kpm.prb_utilization'] > 0.85",
				DataDir: "/var/lib/nephoran", RulesDir: "/etc/nephoran/rules"},
		},
		{
			name: "event-migrate-auto",
			d:    event,
			c: review.Change{Package: "deploy/du-site-b", Branch: "proposed/deploy/du-site-b/9c1b7e04aa3d2f10", Base: "main",
				ReplicasBefore: 2, ReplicasAfter: 2, PlacementBefore: "avoid nodes: none", PlacementAfter: "avoid nodes: edge-3",
				Condition: "event.faultFields.alarmCondition == 'LINK_DOWN'", Lookback: 10 * time.Minute},
		},
		{
			name: "unknown-evidence-and-markup",
			d:    hostile,
			c:    review.Change{ReplicasBefore: 1, ReplicasAfter: 3, Condition: "size(event) > 0 || x == '|'"},
		},
		{
			name: "no-intent",
			d: model.Decision{ID: "aaaaaaaaaaaaaaaa", CNF: "amf-1", Action: nephv1.ActionRestart, Rule: "restart-on-hang",
				At: t0, CorrelationID: "amf-1/2026-01-01T00:00:00Z"},
			c: review.Change{Package: "amf-1"},
		},
	}
}

// TestBodyGolden pins every body (UPDATE_GOLDEN=1 rewrites
// testdata/<case>.md).
func TestBodyGolden(t *testing.T) {
	for _, tc := range bodyCases() {
		t.Run(tc.name, func(t *testing.T) {
			got := review.Body(tc.d, tc.c)
			path := filepath.Join("testdata", tc.name+".md")
			if os.Getenv("UPDATE_GOLDEN") == "1" {
				require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err)
			require.Equal(t, string(want), got)
		})
	}
}

// TestBodySays checks, apart from the goldens, what a reviewer needs to
// find in each body.
func TestBodySays(t *testing.T) {
	cases := bodyCases()
	metric, event, hostile, bare := review.Body(cases[0].d, cases[0].c), review.Body(cases[1].d, cases[1].c),
		review.Body(cases[2].d, cases[2].c), review.Body(cases[3].d, cases[3].c)

	for _, tc := range []struct {
		name, body string
		want       []string
	}{
		{"a metric decision shows the window's values against the condition and the replicas", metric, []string{
			"`2` → `3`", "`metrics['kpm.prb_utilization'] > 0.85`", "| `kpm.prb_utilization` | `0.93` | yes |",
			"| `kpm.ue_count` | `120` |  |", "E2 node `gnb-001`",
			"`gnb-001/2026-01-01T00:00:00Z`",
			"git fetch origin proposed/deploy/upf-edge-1/3f2a9c0d1e4b5a67 && git checkout --detach FETCH_HEAD~1",
			"nephoran trace export --data /var/lib/nephoran --since 2025-12-31T23:00:00Z --until 2026-01-01T00:00:31Z --node gnb-001 --output trace-3f2a9c0d1e4b5a67.jsonl",
			"nephoran replay --packages deploy/upf-edge-1 --rules /etc/nephoran/rules --trace trace-3f2a9c0d1e4b5a67.jsonl | grep 3f2a9c0d1e4b5a67",
		}},
		{"an event decision lists its event ids and the incident's size, and exports the source's events", event, []string{
			"VES incident of 27 events, severity `CRITICAL` (the first 3 ids)", "| 1 | `fault-000123` |", "| 3 | `fault-000125` |",
			"`avoid nodes: none` → `avoid nodes: edge-3`", "away from nodes `edge-3`", "auto (the watcher merges)",
			"--since 2025-12-31T23:50:12Z --until 2026-01-01T00:00:33Z --source ru-17",
			"--data ./data", "--rules ./rules",
		}},
		{"unknown evidence keys are shown as they are", hostile, []string{
			"| `severity` | `CRITICAL` |", "| `list` | `x, 1.5, true, null` |", "| `nested` | `{\"a\":[1,2]}` |",
			"| `metrics` | `not a map` |", "`1` → `3`", "`scale_to` to 3",
		}},
		{"a decision without intent still says what it can", bare, []string{
			"No evidence was recorded with the decision.", "`restart` `amf-1`", "--packages amf-1",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, w := range tc.want {
				require.Contains(t, tc.body, w)
			}
			first, _, _ := strings.Cut(tc.body, "\n")
			require.Regexp(t, `^<!-- nephoran:decision [0-9a-f]{16} -->$`, first, "the marker is the first line")
		})
	}

	t.Run("decision text cannot add markup", func(t *testing.T) {
		require.NotContains(t, hostile, "\n<b>", "HTML stays inside a code block")
		require.Contains(t, hostile, "```text\na `reason` with | pipes, <b>HTML</b> and [a link](http://example.invalid)\nover two lines\n```")
		require.Contains(t, hostile, "| **Condition** | `size(event) > 0 \\|\\| x == '\\|'` |", "a pipe in a table cell is escaped")
		require.NotContains(t, hostile, "--source", "a correlation id with several slashes names no source for sure")
	})
}

func TestMarkedDecisionFindsTheMarkerAnywhere(t *testing.T) {
	for _, tc := range []struct{ name, body, want string }{
		{"first line", review.Marker("3f2a9c0d1e4b5a67") + "\n\n## text", "3f2a9c0d1e4b5a67"},
		{"after an edit above it", "edited by a person\n\n" + review.Marker("3f2a9c0d1e4b5a67") + "\r\nrest", "3f2a9c0d1e4b5a67"},
		{"none", "## scale_out upf-edge-1", ""},
		{"not on its own line", "text " + review.Marker("3f2a9c0d1e4b5a67"), ""},
		{"the body of a generated pull request", review.Body(bodyCases()[0].d, bodyCases()[0].c), "3f2a9c0d1e4b5a67"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, review.MarkedDecision(tc.body))
		})
	}
}

func TestTitle(t *testing.T) {
	long := strings.Repeat("word ", 30)
	for _, tc := range []struct {
		name   string
		reason string
		want   string
	}{
		{"the reason as it is", "PRB utilization 0.93 on gnb-001 is above 0.85", "PRB utilization 0.93 on gnb-001 is above 0.85"},
		{"only the first line", "first line\nsecond line", "first line"},
		{"control characters and runs of spaces folded", "a\tb  \x07c", "a b c"},
		{"shortened with an ellipsis", long, strings.TrimSpace(long[:review.TitleMax-1]) + "…"},
		{"the action and CNF when the reason is empty", "  ", "scale_out upf-edge-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := review.Title(model.Decision{CNF: "upf-edge-1", Action: nephv1.ActionScaleOut, Reason: tc.reason})
			require.Equal(t, tc.want, got)
			require.LessOrEqual(t, len([]rune(got)), review.TitleMax)
		})
	}
}

func TestLabels(t *testing.T) {
	require.Equal(t, []string{"nephoran/scale_out"}, review.Labels(model.Decision{Action: nephv1.ActionScaleOut, Approval: nephv1.ApprovalManual}))
	require.Equal(t, []string{"nephoran/migrate"}, review.Labels(model.Decision{Action: nephv1.ActionMigrate}))
	require.Equal(t, []string{"nephoran/scale_in", "nephoran/auto"}, review.Labels(model.Decision{Action: nephv1.ActionScaleIn, Approval: nephv1.ApprovalAuto}))
}
