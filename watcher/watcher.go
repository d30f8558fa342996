// Package watcher wires the signal-to-proposal service together and runs it:
// one HTTP server for the ingest endpoints (VES, KPM), the event query API,
// /metrics, /healthz and /readyz, with the durable event store behind the
// VES listener. It holds wiring and lifecycle only; each stage lives in its
// own package and never imports another.
package watcher

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/nephoran/nephoran/watcher/auth"
	"github.com/nephoran/nephoran/watcher/ingest/kpm"
	"github.com/nephoran/nephoran/watcher/ingest/kpm/promsource"
	"github.com/nephoran/nephoran/watcher/ingest/ves"
	"github.com/nephoran/nephoran/watcher/inventory"
	"github.com/nephoran/nephoran/watcher/model"
	"github.com/nephoran/nephoran/watcher/store"
)

// Options configure Run.
type Options struct {
	// Listen is the address of the HTTP server (default 127.0.0.1:9990).
	Listen string
	// Data is the state directory, created if missing (default ./data).
	Data string
	// Packages, when set, is the directory whose CNFDeployments are the inventory.
	Packages string
	// Rules is the rule directory, hot-reloaded (default ./rules; a missing
	// directory is an empty rule set).
	Rules string
	// Config holds the settings of the optional config file.
	Config Config
	Logger *slog.Logger
	Now    func() time.Time
	// ShutdownTimeout bounds the drain on SIGTERM (default 10 s).
	ShutdownTimeout time.Duration
	// Ready, when set, receives the listener's address once the server serves.
	Ready func(addr net.Addr)
}

func (o *Options) defaults() {
	if o.Listen == "" {
		o.Listen = "127.0.0.1:9990"
	}
	if o.Data == "" {
		o.Data = "data"
	}
	if o.Rules == "" {
		o.Rules = "rules"
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ShutdownTimeout == 0 {
		o.ShutdownTimeout = 10 * time.Second
	}
}

// Run serves until ctx is done, then drains in reverse start order: the HTTP
// server first (no new events), then the store.
func Run(ctx context.Context, opts Options) error {
	opts.defaults()
	log := opts.Logger

	var cnfs []inventory.CNF
	if opts.Packages != "" && (opts.Config.Git != nil || opts.Config.Porch != nil) {
		return errors.New("--packages and a deployment (git or porch) are both set: the deployment's CNFDeployments are the inventory")
	}
	if opts.Config.Git != nil && opts.Config.Porch != nil {
		return errors.New("git and porch are both set: the deployment is one or the other")
	}
	if opts.Packages != "" {
		var err error
		if cnfs, err = inventory.Load(opts.Packages); err != nil {
			return fmt.Errorf("inventory: %w", err)
		}
		log.Info("inventory loaded", "dir", opts.Packages, "cnfs", len(cnfs))
	}

	if err := os.MkdirAll(opts.Data, 0o750); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	storeOpts := store.Options{Now: opts.Now, Logger: log}
	if r := opts.Config.Store.Retention; r != "" {
		storeOpts.Retention, _ = time.ParseDuration(r) // LoadConfig checked it
	}
	if r := opts.Config.Store.KPMRetention; r != "" {
		storeOpts.KPMRetention, _ = time.ParseDuration(r)
	}
	events, err := store.Open(ctx, opts.Data, storeOpts)
	if err != nil {
		return fmt.Errorf("open the event store: %w", err)
	}
	defer events.Close()
	go func() { _ = events.Run(context.Background()) }() // prunes past the retention until Close

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "store_kpm_reports_dropped_total", ConstLabels: prometheus.Labels{"reason": "queue_full"},
			Help: "KPM reports not recorded for trace export, by reason (queue_full: the store's writer fell behind; write_failed: a batch failed).",
		}, func() float64 { return float64(events.Stats().KPMDropped) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "store_kpm_reports_dropped_total", ConstLabels: prometheus.Labels{"reason": "write_failed"},
			Help: "KPM reports not recorded for trace export, by reason (queue_full: the store's writer fell behind; write_failed: a batch failed).",
		}, func() float64 { return float64(events.Stats().KPMWriteFailed) }),
	)

	authn, err := auth.New(opts.Config.Auth)
	if err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	tlsConfig, err := authn.TLSConfig()
	if err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	secret, err := opts.Config.Webhook.Secret()
	if err != nil {
		return err
	}
	background, stopBackground := context.WithCancel(context.Background())
	defer stopBackground()
	var dep *deployment
	if opts.Config.Git != nil || opts.Config.Porch != nil {
		if dep, cnfs, err = openDeployment(ctx, opts.Config, opts.Data, opts.Rules, events, reg, log, opts.Now); err != nil {
			return err
		}
		defer dep.close()
	}
	connected, err := startRIC(background, opts.Config.RIC, cnfs, reg, log)
	if err != nil {
		return err
	}
	// KPM reports are recorded for trace export and move the planner's
	// clock; plan is set before anything can ingest (the server and the
	// Prometheus pull start below).
	var plan *planner
	record := func(rs []model.KPMReport) {
		events.RecordKPM(rs)
		plan.reports(rs)
	}
	reports := kpm.New(kpm.Options{Registerer: reg, Logger: log, Now: opts.Now, Connected: connected, Record: record})
	plan, err = newPlanner(ctx, plannerOptions{
		rulesDir: opts.Rules, cnfs: cnfs, windows: reports, store: events, deployment: dep,
		metrics: newPlannerMetrics(reg), log: log, now: opts.Now,
	})
	if err != nil {
		return err
	}
	// The loop stops before the store closes (defers run in reverse).
	loopCtx, stopLoop := context.WithCancel(context.Background())
	plan.start(loopCtx, opts.Rules)
	defer plan.wait()
	defer stopLoop()

	// An accepted event is durable first, then decided on.
	sink := ves.SinkFunc(func(ctx context.Context, evs []model.Event) error {
		if err := events.Append(ctx, evs); err != nil {
			return err
		}
		return plan.observe(ctx, evs)
	})
	listener, err := ves.New(ves.Options{
		Sink: sink, Registerer: reg, Logger: log, Now: opts.Now,
		MaxBodyBytes: opts.Config.VES.MaxBodyBytes, Lenient: opts.Config.VES.Lenient,
		Auth: authn, WebhookSecret: secret,
	})
	if err != nil {
		return fmt.Errorf("VES listener: %w", err)
	}
	if p := opts.Config.KPM.Prometheus; p != nil {
		src, err := p.source()
		if err != nil {
			return err
		}
		src.Logger = log
		src.Registerer = reg
		go func() { _ = promsource.Run(background, src, reports.Ingest) }()
	}

	mux := http.NewServeMux()
	listener.Register(mux)
	reports.Register(mux)
	// The event query API sits behind the same authentication as ingest.
	mux.Handle("GET "+store.QueryPath, authn.Require(events.QueryHandler(), ves.DenyAuth))
	mux.Handle("GET "+store.DecisionsPath, authn.Require(events.DecisionsHandler(), ves.DenyAuth))
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	if dep != nil && dep.forge != nil && dep.forge.secret != nil {
		// Signed by the forge (HMAC), so outside the ingest authentication.
		mux.Handle("POST "+ForgeEventsPath, dep.forge.handler(dep.readNow))
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := events.Ping(r.Context()); err != nil {
			http.Error(w, "event store: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		// A failed rule reload leaves the last good set running: still
		// ready, with the detail.
		if err := plan.status(); err != nil {
			fmt.Fprintln(w, "ok;", err)
			return
		}
		fmt.Fprintln(w, "ok")
	})

	return serve(ctx, opts, mux, authn.Mode(), tlsConfig)
}

// serve runs the HTTP server on opts.Listen until ctx is done, then shuts
// it down within opts.ShutdownTimeout.
func serve(ctx context.Context, opts Options, handler http.Handler, mode auth.Mode, tlsConfig *tls.Config) error {
	log := opts.Logger
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if host, _, _ := net.SplitHostPort(ln.Addr().String()); !net.ParseIP(host).IsLoopback() {
		switch {
		case mode == auth.ModeNone:
			log.Warn("listening beyond loopback without authentication: anyone who reaches this address can post events", "addr", ln.Addr().String())
		case tlsConfig == nil:
			log.Warn("listening beyond loopback with Basic auth over plain HTTP: credentials cross the network in clear text", "addr", ln.Addr().String())
		}
	}
	if tlsConfig != nil {
		ln = tls.NewListener(ln, tlsConfig)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("watching", "addr", ln.Addr().String(), "data", opts.Data)
	if opts.Ready != nil {
		opts.Ready(ln.Addr())
	}

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	drain, cancel := context.WithTimeout(context.Background(), opts.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(drain); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}
