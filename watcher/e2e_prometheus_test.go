package watcher_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"

	"github.com/nephoran/nephoran/internal/testenv"
)

// monitoringDir holds the shipped dashboard and alert rules.
const monitoringDir = "../blueprints/nephoran-watcher/monitoring"

// TestPrometheusScrapesWatch: a real Prometheus scrapes `nephoran watch`, and
// what was posted (KPM reports for two cells of gnb-001, VES events) reads
// back through Prometheus' HTTP API as the derived e2_kpm_* series and
// ves_events_total. Every query of the shipped dashboard and alert rules
// names metrics the watcher exports and answers on this server.
func TestPrometheusScrapesWatch(t *testing.T) {
	_, base := watch(t, t.TempDir())
	target := strings.TrimPrefix(base, "http://")
	prom := testenv.StartPrometheus(t, []string{target}, time.Second)

	start := time.Now().UTC().Add(-time.Second).Format(time.RFC3339Nano)
	reports := fmt.Sprintf(`[
	 {"nodeId":"gnb-001","cellId":"c1","collectStartTime":%[1]q,"granularityPeriodMs":1000,
	  "measurements":[{"name":"RRU.PrbUsedDl","value":186},{"name":"RRU.PrbAvailDl","value":273},
	                  {"name":"RRC.ConnMean","value":42},{"name":"DRB.RlcSduDelayDl","value":125}]},
	 {"nodeId":"gnb-001","cellId":"c2","collectStartTime":%[1]q,"granularityPeriodMs":1000,
	  "measurements":[{"name":"RRU.PrbUsedDl","value":50},{"name":"RRU.PrbAvailDl","value":100},
	                  {"name":"RRC.ConnMean","value":8},{"name":"RRU.PrbTotDl","noValue":true}]}]`, start)
	post(t, base+"/api/v1/kpm/reports", reports, http.StatusAccepted)
	post(t, base+"/eventListener/v7", string(faultWithID(t, "prom-1")), http.StatusAccepted)
	post(t, base+"/eventListener/v7", `{"event":{}}`, http.StatusBadRequest)

	c1, c2 := 186.0/273, 50.0/100
	for _, tc := range []struct {
		promql string
		want   float64
	}{
		{`e2_kpm_prb_utilization{node_id="gnb-001",cell_id=""}`, (c1 + c2) / 2},
		{`e2_kpm_prb_utilization{node_id="gnb-001",cell_id="c1"}`, c1},
		{`e2_kpm_ue_count{node_id="gnb-001",cell_id=""}`, 50},
		{`e2_kpm_ue_count{node_id="gnb-001",cell_id="c2"}`, 8},
		{`e2_kpm_p95_latency_ms{node_id="gnb-001",cell_id=""}`, 12.5},
		{`ves_events_total{domain="fault",result="accepted"}`, 1},
		{`sum(ves_events_total{result="rejected"})`, 1},
	} {
		v := testenv.WaitQuery(t, prom, tc.promql, func(v model.Vector) bool { return len(v) == 1 })
		require.InDelta(t, tc.want, float64(v[0].Value), 1e-9, tc.promql)
	}
	// Stored without the empty cell_id label, as the plan writes it.
	v := testenv.QueryInstant(t, prom, `e2_kpm_prb_utilization{node_id="gnb-001",cell_id=""}`)
	require.Equal(t, model.LabelSet{"__name__": "e2_kpm_prb_utilization", "node_id": "gnb-001",
		"job": testenv.PrometheusJob, "instance": model.LabelValue(target)}, model.LabelSet(v[0].Metric))
	v = testenv.QueryInstant(t, prom, `e2_kpm_staleness_seconds{node_id="gnb-001"}`)
	require.Len(t, v, 1)
	require.Less(t, float64(v[0].Value), 90.0)

	exported := exportedMetrics(t, base)
	t.Run("dashboard", func(t *testing.T) {
		for _, q := range dashboardQueries(t) {
			requireExported(t, exported, q)
			// Grafana's variables as "All" would expand them.
			promql := strings.NewReplacer(`$node_id`, `.+`, `$__rate_interval`, `1m`).Replace(q)
			testenv.WaitQuery(t, prom, promql, func(v model.Vector) bool { return len(v) > 0 })
		}
	})
	t.Run("alert rules", func(t *testing.T) {
		for _, q := range ruleQueries(t) {
			requireExported(t, exported, q)
		}
	})
}

// TestAlertRules runs promtool on the shipped rules: they load, and every
// rule fires and stays quiet as alert-rules.test.yaml expects.
func TestAlertRules(t *testing.T) {
	promtool := testenv.Tool(t, "promtool")
	for _, args := range [][]string{
		{"check", "rules", "alert-rules.yaml"},
		{"test", "rules", "alert-rules.test.yaml"},
	} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = monitoringDir
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "promtool %s:\n%s", strings.Join(args, " "), out)
	}
	// Each rule has a test case.
	tests, err := os.ReadFile(filepath.Join(monitoringDir, "alert-rules.test.yaml"))
	require.NoError(t, err)
	for _, name := range ruleNames(t) {
		require.Contains(t, string(tests), "alertname: "+name)
	}
}

// TestDashboardIsAGrafanaDashboard checks the shape Grafana imports: schema
// version, the node_id variable, the panels the issue asks for, and a
// Prometheus query in every panel.
func TestDashboardIsAGrafanaDashboard(t *testing.T) {
	d := dashboard(t)
	require.Equal(t, "nephoran-watcher", d.UID)
	require.GreaterOrEqual(t, d.SchemaVersion, 39)
	var vars []string
	for _, v := range d.Templating.List {
		vars = append(vars, v.Name)
	}
	require.Contains(t, vars, "node_id")
	var titles []string
	ids := map[int]bool{}
	for _, p := range d.Panels {
		titles = append(titles, p.Title)
		require.False(t, ids[p.ID], "panel id %d twice", p.ID)
		ids[p.ID] = true
		require.NotEmpty(t, p.Targets, p.Title)
		for _, tg := range p.Targets {
			require.NotEmpty(t, tg.Expr, p.Title)
		}
	}
	for _, want := range []string{"p95 latency", "PRB utilization", "UE count", "VES events by result", "KPM staleness"} {
		require.True(t, slices.ContainsFunc(titles, func(s string) bool { return strings.Contains(s, want) }),
			"no panel titled %q in %q", want, titles)
	}
}

type grafanaDashboard struct {
	UID           string `json:"uid"`
	SchemaVersion int    `json:"schemaVersion"`
	Panels        []struct {
		ID      int    `json:"id"`
		Title   string `json:"title"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
	Templating struct {
		List []struct {
			Name string `json:"name"`
		} `json:"list"`
	} `json:"templating"`
}

func dashboard(t *testing.T) grafanaDashboard {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(monitoringDir, "grafana-dashboard.json"))
	require.NoError(t, err)
	var d grafanaDashboard
	dec := json.NewDecoder(bytes.NewReader(b))
	require.NoError(t, dec.Decode(&d), "grafana-dashboard.json")
	return d
}

func dashboardQueries(t *testing.T) []string {
	var qs []string
	for _, p := range dashboard(t).Panels {
		for _, tg := range p.Targets {
			qs = append(qs, tg.Expr)
		}
	}
	return qs
}

type ruleFile struct {
	Groups []struct {
		Rules []struct {
			Alert string `json:"alert"`
			Expr  string `json:"expr"`
		} `json:"rules"`
	} `json:"groups"`
}

func rules(t *testing.T) ruleFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(monitoringDir, "alert-rules.yaml"))
	require.NoError(t, err)
	var f ruleFile
	require.NoError(t, yaml.Unmarshal(b, &f))
	return f
}

func ruleQueries(t *testing.T) []string {
	var qs []string
	for _, g := range rules(t).Groups {
		for _, r := range g.Rules {
			qs = append(qs, r.Expr)
		}
	}
	return qs
}

func ruleNames(t *testing.T) []string {
	var names []string
	for _, g := range rules(t).Groups {
		for _, r := range g.Rules {
			names = append(names, r.Alert)
		}
	}
	return names
}

// exportedMetrics lists the metric names a live /metrics scrape of the
// watcher declares (histograms with their _bucket, _sum and _count series),
// plus up, which Prometheus adds to every target.
func exportedMetrics(t *testing.T, base string) map[string]bool {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	names := map[string]bool{"up": true}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 4 || f[0] != "#" || f[1] != "TYPE" {
			continue
		}
		names[f[2]] = true
		if f[3] == "histogram" || f[3] == "summary" {
			names[f[2]+"_sum"], names[f[2]+"_count"] = true, true
			names[f[2]+"_bucket"] = f[3] == "histogram"
		}
	}
	require.NoError(t, sc.Err())
	return names
}

var (
	promString   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	promMatchers = regexp.MustCompile(`\{[^}]*\}`)
	promRange    = regexp.MustCompile(`\[[^\]]*\]`)
	promGrouping = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promIdent    = regexp.MustCompile(`\b[a-zA-Z_:][a-zA-Z0-9_:]*\b(\s*\()?`)
	promKeywords = map[string]bool{"and": true, "or": true, "unless": true, "bool": true, "offset": true, "by": true, "without": true}
)

// metricNames returns the metric names a PromQL expression selects: the
// identifiers left once strings, label matchers, ranges, grouping clauses,
// function calls and keywords are taken out.
func metricNames(promql string) []string {
	s := promString.ReplaceAllString(promql, `""`)
	s = promMatchers.ReplaceAllString(s, " ")
	s = promRange.ReplaceAllString(s, " ")
	s = promGrouping.ReplaceAllString(s, " ")
	var names []string
	for _, m := range promIdent.FindAllStringSubmatch(s, -1) {
		if m[1] != "" || promKeywords[m[0]] {
			continue
		}
		names = append(names, m[0])
	}
	return names
}

func requireExported(t *testing.T, exported map[string]bool, promql string) {
	t.Helper()
	names := metricNames(promql)
	require.NotEmpty(t, names, "no metric in %s", promql)
	for _, n := range names {
		require.True(t, exported[n], "%s: the watcher exports no metric %s", promql, n)
	}
}

func TestMetricNames(t *testing.T) {
	for _, tc := range []struct {
		promql string
		want   []string
	}{
		{`e2_kpm_prb_utilization{node_id=~"$node_id",cell_id=""} > 0.85`, []string{"e2_kpm_prb_utilization"}},
		{`histogram_quantile(0.95, sum by (le, endpoint) (rate(ves_request_duration_seconds_bucket[5m])))`, []string{"ves_request_duration_seconds_bucket"}},
		{`sum by (job) (rate(a_total{x="}"}[5m])) / on (job) b unless c offset 5m`, []string{"a_total", "b", "c"}},
		{`up{job="nephoran-watcher"} == 0`, []string{"up"}},
	} {
		require.Equal(t, tc.want, metricNames(tc.promql), tc.promql)
	}
}

// post sends body to url and requires the status code.
func post(t testing.TB, url, body string, want int) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, want, resp.StatusCode, "POST %s", url)
}
