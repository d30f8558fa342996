package watcher

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/nephoran/nephoran/watcher/ingest/kpm/ric"
	"github.com/nephoran/nephoran/watcher/inventory"
)

// RICConfig points the watcher at a Near-RT RIC (O-RAN SC): the
// subscription manager keeps one KPM subscription per inventory CNF with a
// spec.kpm block, and e2mgr's node states mark nodes that are not CONNECTED
// as stale. Both are off when their URL is empty.
type RICConfig struct {
	// SubscriptionManager is submgr's REST base, e.g. http://service-ricplt-submgr-http.ricplt:8088/ric/v1.
	SubscriptionManager string `json:"subscriptionManager,omitempty"`
	// E2Mgr is e2mgr's REST base, e.g. http://service-ricplt-e2mgr-http.ricplt:3800/v1.
	E2Mgr string `json:"e2mgr,omitempty"`
	// ClientEndpoint is how the subscription manager reaches the watcher.
	ClientEndpoint ric.ClientEndpoint `json:"clientEndpoint,omitempty"`
	// RANFunctionID of E2SM-KPM on the E2 nodes (default 2).
	RANFunctionID int `json:"ranFunctionId,omitempty"`
	// Interval between subscription passes and e2mgr polls (Go duration;
	// defaults 30s and 10s).
	Interval string `json:"interval,omitempty"`
}

// startRIC starts the configured RIC clients in the background and returns
// the E2 connection state for the KPM ingester (nil without e2mgr).
func startRIC(ctx context.Context, cfg RICConfig, cnfs []inventory.CNF, reg prometheus.Registerer, log *slog.Logger) (func(string) (bool, bool), error) {
	opts := ric.Options{Logger: log}
	if cfg.Interval != "" {
		d, err := time.ParseDuration(cfg.Interval)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("ric.interval: %q is not a positive Go duration", cfg.Interval)
		}
		opts.Interval = d
	}
	client := &http.Client{Timeout: 10 * time.Second}
	healthy := func(name, help string, f func() bool) {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 {
			if f() {
				return 1
			}
			return 0
		}))
	}
	if cfg.SubscriptionManager != "" {
		sc, err := ric.NewSubscriptionClient(cfg.SubscriptionManager, client)
		if err != nil {
			return nil, fmt.Errorf("ric.subscriptionManager: %w", err)
		}
		r := ric.NewReconciler(sc, ric.KPMSubscription{ClientEndpoint: cfg.ClientEndpoint, RANFunctionID: cfg.RANFunctionID}, opts)
		healthy("ric_subscriptions_healthy", "1 when the last pass kept one KPM subscription per inventory CNF.", r.Healthy)
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "ric_subscriptions", Help: "KPM subscriptions the watcher holds at the subscription manager.",
		}, func() float64 { return float64(r.Health().Count) }))
		go func() { _ = r.Run(ctx, func() []inventory.CNF { return cnfs }) }()
	}
	if cfg.E2Mgr == "" {
		return nil, nil
	}
	ec, err := ric.NewE2MgrClient(cfg.E2Mgr, client)
	if err != nil {
		return nil, fmt.Errorf("ric.e2mgr: %w", err)
	}
	p := ric.NewPoller(ec, opts)
	healthy("ric_e2mgr_healthy", "1 when the last e2mgr poll succeeded.", p.Healthy)
	go func() { _ = p.Run(ctx) }()
	return p.Connected, nil
}
