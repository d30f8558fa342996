package promsource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"

	kpmmodel "github.com/nephoran/nephoran/watcher/model"
)

// Query is one measurement pulled from Prometheus.
type Query struct {
	// Measurement is the 3GPP TS 28.552 name the samples become, e.g.
	// RRU.PrbUsedDl.
	Measurement string
	// PromQL is an instant query returning a vector with one sample per
	// cell, e.g. kpimon_prb_used_dl or sum by (gnb, cell) (kpimon_prb_used_dl).
	PromQL string
	// NodeLabel and CellLabel name the labels holding the E2 node id and
	// the cell id, e.g. "gnb" and "cell".
	NodeLabel, CellLabel string
}

// Config configures Run. URL, Interval and Queries are required; the rest
// has defaults.
type Config struct {
	// URL is the Prometheus server's base URL, e.g. http://prometheus:9090
	// (user info, if any, is sent as Basic auth and never logged).
	URL string
	// Interval is the time between polls and each report's granularity
	// period.
	Interval time.Duration
	Queries  []Query

	// MaxBackoff caps the delay after failed polls (default 5 min, at
	// least Interval).
	MaxBackoff time.Duration
	// Client makes the HTTP requests (default: a client with no timeout
	// of its own; each poll is bounded by Interval).
	Client *http.Client
	// Logger logs failures and dropped samples (default: discard).
	Logger *slog.Logger
	// Registerer receives the pull's Prometheus collectors (metrics.go);
	// nil registers none. Run fails when they are already registered
	// there (two pulls on one Registerer).
	Registerer prometheus.Registerer
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// check reports the first thing wrong with c, naming the field.
func (c *Config) check() error {
	u, err := url.Parse(c.URL)
	switch {
	case c.URL == "":
		return errors.New("url: required")
	case err != nil:
		return fmt.Errorf("url: %w", err)
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		return fmt.Errorf("url: %q is not an http(s) URL with a host", u.Redacted())
	case c.Interval <= 0:
		return fmt.Errorf("interval: must be positive, got %s", c.Interval)
	case len(c.Queries) == 0:
		return errors.New("queries: at least one is required")
	}
	seen := map[string]bool{}
	for i, q := range c.Queries {
		switch {
		case q.Measurement == "":
			return fmt.Errorf("queries[%d].measurement: required", i)
		case seen[q.Measurement]:
			return fmt.Errorf("queries[%d].measurement: %q is pulled twice", i, q.Measurement)
		case strings.TrimSpace(q.PromQL) == "":
			return fmt.Errorf("queries[%d].promql: required", i)
		case !model.LabelName(q.NodeLabel).IsValidLegacy():
			return fmt.Errorf("queries[%d].nodeLabel: %q is not a label name", i, q.NodeLabel)
		case !model.LabelName(q.CellLabel).IsValidLegacy():
			return fmt.Errorf("queries[%d].cellLabel: %q is not a label name", i, q.CellLabel)
		}
		seen[q.Measurement] = true
	}
	return nil
}

// Run polls the queries every cfg.Interval, the first poll at once, and
// hands each poll's reports (if any) to ingest, until ctx is done; then it
// returns nil. An invalid Config, or metrics that cannot be registered on
// cfg.Registerer, are the only errors it returns.
func Run(ctx context.Context, cfg Config, ingest func([]kpmmodel.KPMReport)) error {
	if err := cfg.check(); err != nil {
		return fmt.Errorf("prometheus pull: %w", err)
	}
	p := newPoller(cfg)
	if err := p.m.register(cfg.Registerer); err != nil {
		return fmt.Errorf("prometheus pull: %w", err)
	}
	failures := 0
	for {
		started := time.Now()
		if err := p.poll(ctx, ingest); err != nil && ctx.Err() == nil {
			failures++
			p.log.Warn("KPM pull from Prometheus failed", "url", p.redacted, "failures", failures,
				"retryIn", p.delay(failures), "err", err)
		} else {
			failures = 0
		}
		// Polls start Interval apart (not Interval after the last one ended).
		t := time.NewTimer(p.delay(failures) - time.Since(started))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

type poller struct {
	cfg      Config
	base     *url.URL
	redacted string
	log      *slog.Logger
	m        *metrics
}

func newPoller(cfg Config) *poller {
	if cfg.Client == nil {
		cfg.Client = &http.Client{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 5 * time.Minute
	}
	cfg.MaxBackoff = max(cfg.MaxBackoff, cfg.Interval)
	base, _ := url.Parse(cfg.URL) // check parsed it
	return &poller{cfg: cfg, base: base, redacted: base.Redacted(), log: cfg.Logger, m: newMetrics(cfg.Queries)}
}

// delay is the wait before the next poll after n consecutive failures:
// Interval, doubled per failure, capped at MaxBackoff.
func (p *poller) delay(n int) time.Duration {
	d := p.cfg.Interval
	for range n {
		if d >= p.cfg.MaxBackoff/2 {
			return p.cfg.MaxBackoff
		}
		d *= 2
	}
	return d
}

// cellKey is one report of a poll.
type cellKey struct{ node, cell string }

// poll evaluates every query at one instant and ingests what answered; it
// returns the queries' errors joined.
func (p *poller) poll(ctx context.Context, ingest func([]kpmmodel.KPMReport)) error {
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Interval)
	defer cancel()
	at := p.cfg.Now()
	reports := map[cellKey]*kpmmodel.KPMReport{}
	var errs []error
	var dropped []string
	ingested := 0
	for _, q := range p.cfg.Queries {
		started := time.Now()
		vec, err := p.query(ctx, q.PromQL, at)
		if parent.Err() != nil {
			// Run is stopping: not Prometheus' failure, not counted.
			return parent.Err()
		}
		p.m.query(q.Measurement, time.Since(started), err)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", q.Measurement, err))
			continue
		}
		for _, s := range vec {
			node, cell := string(s.Metric[model.LabelName(q.NodeLabel)]), string(s.Metric[model.LabelName(q.CellLabel)])
			v := float64(s.Value)
			if node == "" || cell == "" || math.IsNaN(v) {
				dropped = append(dropped, q.Measurement+s.Metric.String())
				continue
			}
			k := cellKey{node, cell}
			r := reports[k]
			if r == nil {
				r = &kpmmodel.KPMReport{
					NodeID: node, CellID: cell,
					CollectStart:      at.Add(-p.cfg.Interval),
					GranularityPeriod: p.cfg.Interval,
				}
				reports[k] = r
			}
			if has(r.Measurements, q.Measurement) {
				dropped = append(dropped, q.Measurement+s.Metric.String())
				continue
			}
			r.Measurements = append(r.Measurements, kpmmodel.Measurement{Name: q.Measurement, Value: v})
			ingested++
		}
	}
	p.m.polled(at, ingested, len(dropped), len(errs) == 0)
	if len(dropped) > 0 {
		p.log.Warn("KPM pull: samples without node or cell label, NaN or duplicate left out; aggregate by the node and cell labels in the query",
			"count", len(dropped), "first", dropped[0])
	}
	if len(reports) > 0 {
		out := make([]kpmmodel.KPMReport, 0, len(reports))
		received := p.cfg.Now()
		for _, r := range reports {
			r.ReceivedAt = received
			out = append(out, *r)
		}
		sort.Slice(out, func(i, j int) bool {
			if out[i].NodeID != out[j].NodeID {
				return out[i].NodeID < out[j].NodeID
			}
			return out[i].CellID < out[j].CellID
		})
		ingest(out)
	}
	return errors.Join(errs...)
}

func has(ms []kpmmodel.Measurement, name string) bool {
	for _, m := range ms {
		if m.Name == name {
			return true
		}
	}
	return false
}

// apiResponse is the envelope of Prometheus' HTTP API.
type apiResponse struct {
	Status    string `json:"status"`
	ErrorType string `json:"errorType"`
	Error     string `json:"error"`
	Data      struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	} `json:"data"`
}

// maxResponse bounds one query's answer (about 100,000 series).
const maxResponse = 32 << 20

// query evaluates promql at the instant at (GET /api/v1/query).
func (p *poller) query(ctx context.Context, promql string, at time.Time) (model.Vector, error) {
	u := *p.base
	u.User = nil
	u.Path = strings.TrimSuffix(u.Path, "/") + "/api/v1/query"
	u.RawQuery = url.Values{
		"query": {promql},
		"time":  {strconv.FormatFloat(float64(at.UnixMilli())/1000, 'f', 3, 64)},
	}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	if user := p.base.User; user != nil {
		pass, _ := user.Password()
		req.SetBasicAuth(user.Username(), pass)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := p.cfg.Client.Do(req)
	if err != nil {
		// url.Error repeats the URL, which has no credentials (User is nil).
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return nil, fmt.Errorf("read the answer: %w", err)
	}
	if len(body) > maxResponse {
		return nil, fmt.Errorf("answer larger than %d bytes", maxResponse)
	}
	var r apiResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("HTTP %s, not a Prometheus API answer: %w", resp.Status, err)
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("HTTP %s: %s: %s", resp.Status, r.ErrorType, r.Error)
	}
	if r.Data.ResultType != model.ValVector.String() {
		return nil, fmt.Errorf("result type %q, want vector", r.Data.ResultType)
	}
	var vec model.Vector
	if err := json.Unmarshal(r.Data.Result, &vec); err != nil {
		return nil, fmt.Errorf("decode the vector: %w", err)
	}
	return vec, nil
}

// Validate reports the first thing wrong with the configuration, naming the
// field, as Run would before polling; callers use it to refuse a bad config
// at startup.
func (c Config) Validate() error {
	return c.check()
}
