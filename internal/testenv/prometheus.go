package testenv

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
)

// PrometheusJob is the job label of every target StartPrometheus scrapes.
const PrometheusJob = "nephoran-test"

// queryTimeout bounds WaitQuery: the first scraped sample shows about 6 s
// after Prometheus starts, even at a 1 s scrape interval.
const queryTimeout = 60 * time.Second

// StartPrometheus starts the real Prometheus server (bin/prometheus, the
// Debian package linked by `make tools`) on a free 127.0.0.1 port with its
// TSDB in t.TempDir(), scraping /metrics of every host:port in targets every
// scrapeInterval (1 s when zero) under job PrometheusJob. It waits until
// /-/ready answers and returns the server's base URL (http://127.0.0.1:PORT).
// The server is stopped (its process group terminated and waited for) when
// the test ends; if the test failed, the tail of its log is logged first.
func StartPrometheus(t testing.TB, targets []string, scrapeInterval time.Duration) string {
	t.Helper()
	bin := Tool(t, "prometheus")
	if scrapeInterval <= 0 {
		scrapeInterval = time.Second
	}
	dir := t.TempDir()
	quoted := make([]string, len(targets))
	for i, target := range targets {
		quoted[i] = strconv.Quote(target)
	}
	// JSON is YAML: quoting keeps any target string a plain scalar.
	config := fmt.Sprintf(`global:
  scrape_interval: %[1]s
  scrape_timeout: %[1]s
  evaluation_interval: %[1]s
scrape_configs:
  - job_name: %[2]s
    static_configs:
      - targets: [%[3]s]
`, model.Duration(scrapeInterval), strconv.Quote(PrometheusJob), strings.Join(quoted, ", "))
	configPath := writeFile(t, dir, "prometheus.yml", config)

	base := "http://127.0.0.1:" + strconv.Itoa(freePorts(t, 1)[0])
	p := startProcess(t, dir, "prometheus", bin,
		"--config.file="+configPath,
		"--web.listen-address="+strings.TrimPrefix(base, "http://"),
		"--storage.tsdb.path="+dir+"/tsdb",
		// Debian's defaults point at /etc/prometheus; the tests need none.
		"--web.console.templates="+dir,
		"--web.console.libraries="+dir,
	)
	// Registered after startProcess, so it runs before the server stops.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("testenv: prometheus log %s:\n%s", p.log, tail(p.log))
		}
	})
	p.waitReady(t, http.DefaultClient, base+"/-/ready", "")
	return base
}

// QueryInstant evaluates promql now at the Prometheus server at base
// (GET /api/v1/query) and returns the resulting vector, failing the test on
// any error or a result that is not a vector.
func QueryInstant(t testing.TB, base, promql string) model.Vector {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, err := queryInstant(ctx, base, promql)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return v
}

// WaitQuery evaluates promql at the Prometheus server at base until done
// accepts the result, and returns that result. It polls from the test's
// goroutine (so done may use require) and fails the test, with the last
// result or error, after a minute: scraped samples take several seconds to
// show.
func WaitQuery(t testing.TB, base, promql string, done func(model.Vector) bool) model.Vector {
	t.Helper()
	deadline := time.Now().Add(queryTimeout)
	var last string
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		v, err := queryInstant(ctx, base, promql)
		cancel()
		switch {
		case err != nil:
			last = err.Error()
		case done(v):
			return v
		default:
			last = "result " + v.String()
		}
		if time.Now().After(deadline) {
			t.Fatalf("testenv: %s: not as expected after %s; last: %s", promql, queryTimeout, last)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// queryResponse is the envelope of Prometheus' HTTP API.
type queryResponse struct {
	Status    string `json:"status"`
	ErrorType string `json:"errorType"`
	Error     string `json:"error"`
	Data      struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	} `json:"data"`
}

func queryInstant(ctx context.Context, base, promql string) (model.Vector, error) {
	u := base + "/api/v1/query?" + url.Values{"query": {promql}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", promql, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", promql, err)
	}
	var r queryResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("query %s: %s: %w", promql, resp.Status, err)
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("query %s: %s: %s: %s", promql, resp.Status, r.ErrorType, r.Error)
	}
	if r.Data.ResultType != "vector" {
		return nil, fmt.Errorf("query %s: result type %q, want vector", promql, r.Data.ResultType)
	}
	var v model.Vector
	if err := json.Unmarshal(r.Data.Result, &v); err != nil {
		return nil, fmt.Errorf("query %s: decode the vector: %w", promql, err)
	}
	return v, nil
}
