package ves

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/nephoran/nephoran/watcher/model"
)

// Paths of the VES Event Listener 7.x resources.
const (
	PathEvent = "/eventListener/v7"
	PathBatch = "/eventListener/v7/eventBatch"
)

// DefaultMaxBodyBytes is the body limit when Options.MaxBodyBytes is zero.
const DefaultMaxBodyBytes = 2 << 20

// Version headers of VES Event Listener 7.2.1, sent on every response.
const (
	headerMinor  = "X-MinorVersion"
	headerPatch  = "X-PatchVersion"
	headerLatest = "X-LatestVersion"
)

// Sink keeps accepted events. The store implements it; the watcher wires it
// in. Append returns only once the events are durable: the listener answers
// 202 after a nil return and never otherwise. The events' Raw fields alias
// the request body, which the listener does not touch again.
type Sink interface {
	Append(ctx context.Context, events []model.Event) error
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(ctx context.Context, events []model.Event) error

// Append calls f.
func (f SinkFunc) Append(ctx context.Context, events []model.Event) error { return f(ctx, events) }

var _ Sink = SinkFunc(nil)

// Authenticator decides whether a request may post events; a non-nil error
// is answered 401 POL2000 before the body is read. It is the seam for HTTP
// Basic auth and mutual TLS (not built yet); nil in Options means no auth.
// It must not log or return credentials.
type Authenticator interface {
	Authenticate(r *http.Request) error
}

// AuthenticatorFunc adapts a function to Authenticator.
type AuthenticatorFunc func(r *http.Request) error

// Authenticate calls f.
func (f AuthenticatorFunc) Authenticate(r *http.Request) error { return f(r) }

var _ Authenticator = AuthenticatorFunc(nil)

// Options configure a Listener.
type Options struct {
	// Sink receives the accepted events of each request. Required.
	Sink Sink
	// Registerer receives the listener's metrics (see metrics.go); nil
	// registers them on a private registry nobody scrapes.
	Registerer prometheus.Registerer
	// Logger logs refusals (debug) and Sink failures (error); nil discards.
	Logger *slog.Logger
	// Now stamps model.Event.ReceivedAt; nil is time.Now.
	Now func() time.Time
	// MaxBodyBytes is the largest body accepted (POL9003 beyond);
	// 0 is DefaultMaxBodyBytes (2 MiB).
	MaxBodyBytes int64
	// Auth checks each request to the VES paths; nil accepts every
	// request. The webhook authenticates by its signature instead.
	Auth Authenticator
	// Lenient switches validation to lenient mode for VES 5-era producers
	// (see lenient.go): normalize the header, validate only
	// commonEventHeader, record deviations, model.Lenient. It applies to
	// the VES paths and the webhook alike. The default is strict.
	Lenient bool
	// WebhookSecret turns on the HMAC webhook (POST PathWebhook, see
	// webhook.go) with this shared secret; empty leaves it off (not
	// registered). The listener keeps a copy and never logs or returns it.
	WebhookSecret []byte
}

// Listener is the VES Event Listener 7.2.1 (strict or lenient) and the HMAC
// webhook. It is an http.Handler serving PathEvent, PathBatch and, with a
// secret, POST PathWebhook, or can Register them on a mux.
type Listener struct {
	sink      Sink
	auth      Authenticator
	lenient   bool
	webhook   *webhook
	log       *slog.Logger
	now       func() time.Time
	maxBody   int64
	validator *validator
	metrics   *metrics
	mux       *http.ServeMux
}

var _ http.Handler = (*Listener)(nil)

// New compiles the embedded schema and registers the metrics.
func New(opts Options) (*Listener, error) {
	if opts.Sink == nil {
		return nil, errors.New("new VES listener: Options.Sink is required")
	}
	if opts.MaxBodyBytes < 0 {
		return nil, fmt.Errorf("new VES listener: MaxBodyBytes %d is negative", opts.MaxBodyBytes)
	}
	l := &Listener{
		sink:    opts.Sink,
		auth:    opts.Auth,
		lenient: opts.Lenient,
		webhook: newWebhook(opts.WebhookSecret),
		log:     opts.Logger,
		now:     opts.Now,
		maxBody: opts.MaxBodyBytes,
	}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	if l.now == nil {
		l.now = time.Now
	}
	if l.maxBody == 0 {
		l.maxBody = DefaultMaxBodyBytes
	}
	reg := opts.Registerer
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	var err error
	if l.validator, err = newValidator(); err != nil {
		return nil, fmt.Errorf("new VES listener: %w", err)
	}
	if l.metrics, err = newMetrics(reg); err != nil {
		return nil, fmt.Errorf("new VES listener: %w", err)
	}
	l.mux = http.NewServeMux()
	l.Register(l.mux)
	return l, nil
}

// Register adds PathEvent and PathBatch to mux and, when the webhook is
// on, "POST "+PathWebhook. The VES patterns carry no method so that the
// listener itself answers other methods (405 with Allow and the version
// headers); the webhook's carries POST so that the event query API can
// register GET on the same path of the same mux.
func (l *Listener) Register(mux *http.ServeMux) {
	mux.Handle(PathEvent, l.handler(endpointEvent))
	mux.Handle(PathBatch, l.handler(endpointBatch))
	if l.webhook != nil {
		mux.Handle(http.MethodPost+" "+PathWebhook, l.handler(endpointWebhook))
	}
}

// ServeHTTP serves the listener paths; anything else is 404 (a GET on
// PathWebhook 405), still with the version headers.
func (l *Listener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setVersionHeaders(w.Header())
	l.mux.ServeHTTP(w, r)
}

func setVersionHeaders(h http.Header) {
	h.Set(headerMinor, "2")
	h.Set(headerPatch, "1")
	h.Set(headerLatest, "7.2.1")
}

func (l *Listener) handler(ep endpoint) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		setVersionHeaders(w.Header())
		code := http.StatusAccepted
		if e := l.serve(w, r, ep); e != nil {
			code = e.status
			if e.status == http.StatusMethodNotAllowed {
				w.Header().Set("Allow", http.MethodPost)
			}
			l.log.Debug("VES request refused", "endpoint", string(ep), "status", e.status,
				"messageId", e.MessageID, "error", e.Error(), "remote", r.RemoteAddr)
			e.write(w)
		} else {
			w.WriteHeader(http.StatusAccepted)
		}
		l.metrics.observe(ep, code, time.Since(start))
	})
}

// serve takes one request to ep through method, auth, content type, size
// and accept; it returns the error to answer, nil for 202.
func (l *Listener) serve(w http.ResponseWriter, r *http.Request, ep endpoint) *apiError {
	if r.Method != http.MethodPost {
		return errMethod(r.Method, r.URL.Path)
	}
	if ep == endpointWebhook {
		return l.serveWebhook(w, r)
	}
	if l.auth != nil {
		if err := l.auth.Authenticate(r); err != nil {
			l.metrics.countEvent(invalidDomain, resultRejected)
			return errUnauthorized()
		}
	}
	if ct := r.Header.Get("Content-Type"); !isJSON(ct) {
		l.metrics.countEvent(invalidDomain, resultRejected)
		return errContentType(ct)
	}
	body, e := l.readBody(w, r)
	if e != nil {
		l.metrics.countEvent(invalidDomain, resultRejected)
		return e
	}
	return l.accept(r.Context(), ep, body)
}

// isJSON accepts application/json with any parameters (charset), as the
// ONAP collector's consumes="application/json" does.
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/json"
}

// readBody reads at most maxBody+1 bytes.
func (l *Listener) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *apiError) {
	if r.ContentLength > l.maxBody {
		return nil, errTooLarge()
	}
	rd := http.MaxBytesReader(w, r.Body, l.maxBody)
	var body []byte
	var err error
	if r.ContentLength >= 0 {
		// The server's body reader ends at Content-Length.
		body = make([]byte, r.ContentLength)
		_, err = io.ReadFull(rd, body)
	} else {
		body, err = io.ReadAll(rd)
	}
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, errTooLarge()
		}
		return nil, errInvalidJSON("reading the body: " + err.Error())
	}
	return body, nil
}

// accept validates body as a request to ep and, when it passes, hands its
// events to the Sink; it returns the error to answer, nil for 202. It is the
// core that the HMAC webhook reuses once it has checked its signature.
func (l *Listener) accept(ctx context.Context, ep endpoint, body []byte) *apiError {
	c := l.validator.check(ep, body, l.lenient)
	if c.err != nil {
		l.countRejected(c.events)
		return c.err
	}
	now := l.now()
	for i := range c.events {
		c.events[i].ReceivedAt = now
	}
	if err := l.sink.Append(ctx, c.events); err != nil {
		l.log.Error("VES events not stored; answering 503", "endpoint", string(ep), "events", len(c.events), "error", err)
		l.countRejected(c.events)
		return errUnavailable()
	}
	for _, ev := range c.events {
		l.metrics.countEvent(l.domainLabel(ev.Domain), string(ev.Result))
	}
	return nil
}

// countRejected counts each event of a refused request under its domain,
// or one "invalid" event when none could be read.
func (l *Listener) countRejected(events []model.Event) {
	if len(events) == 0 {
		l.metrics.countEvent(invalidDomain, resultRejected)
		return
	}
	for _, ev := range events {
		l.metrics.countEvent(l.domainLabel(ev.Domain), resultRejected)
	}
}

// domainLabel is the ves_events_total domain label: one of the schema's
// domains, in lenient mode also a VES 5 domain name, otherwise "invalid".
func (l *Listener) domainLabel(domain string) string {
	if _, ves5 := ves5Domains[domain]; ves5 && l.lenient {
		return domain
	}
	return l.validator.domainLabel(domain)
}
