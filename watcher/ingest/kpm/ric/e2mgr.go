package ric

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// ConnectionStatus is e2mgr's connectionStatus of an E2 node, in its words.
type ConnectionStatus string

// The statuses e2mgr reports. Only Connected means the node's E2 association
// is up; any other value (or one not listed here) makes its data stale.
const (
	Connected               ConnectionStatus = "CONNECTED"
	Disconnected            ConnectionStatus = "DISCONNECTED"
	Connecting              ConnectionStatus = "CONNECTING"
	ShuttingDown            ConnectionStatus = "SHUTTING_DOWN"
	ShutDown                ConnectionStatus = "SHUT_DOWN"
	UnknownConnectionStatus ConnectionStatus = "UNKNOWN_CONNECTION_STATUS"
)

// NodebState is one entry of GET /v1/nodeb/states: e2mgr's NodebIdentity
// schema (testdata/E2Manager_API.yaml).
type NodebState struct {
	// InventoryName is the RAN name e2mgr knows the node by; it is also the
	// Meid of the node's subscriptions, and what spec.kpm.nodeId holds.
	InventoryName                string           `json:"inventoryName"`
	GlobalNbID                   GlobalNbID       `json:"globalNbId"`
	ConnectionStatus             ConnectionStatus `json:"connectionStatus"`
	HealthCheckTimestampSent     int64            `json:"healthCheckTimestampSent,omitempty"`
	HealthCheckTimestampReceived int64            `json:"healthCheckTimestampReceived,omitempty"`
}

// GlobalNbID is the node's global id: PLMN and node id, as e2mgr prints them.
type GlobalNbID struct {
	PlmnID string `json:"plmnId"`
	NbID   string `json:"nbId"`
}

// E2MgrClient calls O-RAN SC e2mgr's REST API.
type E2MgrClient struct {
	ep endpoint
}

// NewE2MgrClient returns a client for e2mgr at baseURL, which includes the
// API's /v1, for example http://service-ricplt-e2mgr-http.ricplt:3800/v1.
// A nil hc means http.DefaultClient.
func NewE2MgrClient(baseURL string, hc *http.Client) (*E2MgrClient, error) {
	ep, err := newEndpoint(baseURL, hc)
	if err != nil {
		return nil, fmt.Errorf("e2mgr: %w", err)
	}
	return &E2MgrClient{ep: ep}, nil
}

// States returns every E2 node e2mgr knows (GET /nodeb/states, 200).
func (c *E2MgrClient) States(ctx context.Context) ([]NodebState, error) {
	var s []NodebState
	if err := c.ep.do(ctx, http.MethodGet, []string{"nodeb", "states"}, nil, &s, http.StatusOK); err != nil {
		return nil, fmt.Errorf("e2mgr nodeb states: %w", err)
	}
	return s, nil
}

// Poller polls e2mgr's node states and answers whether a node is connected.
// A CNF's spec.kpm.nodeId is matched against e2mgr's inventoryName: the RAN
// name the node got at E2 Setup, which is also the Meid its KPM
// subscription names, so one id serves both services.
type Poller struct {
	client *E2MgrClient
	opts   Options
	maxAge time.Duration

	mu     sync.Mutex
	states map[string]NodebState
	at     time.Time // when states were read
	health healthState
}

// NewPoller returns a Poller over client. States older than three
// intervals (e2mgr unreachable meanwhile) are no longer known.
func NewPoller(client *E2MgrClient, opts Options) *Poller {
	opts = opts.withDefaults(10 * time.Second)
	return &Poller{client: client, opts: opts, maxAge: 3 * opts.Interval}
}

// Run polls every Interval, and after a failed poll again after a backoff
// delay, until ctx is done. It returns ctx's error.
func (p *Poller) Run(ctx context.Context) error {
	return loop(ctx, p.opts.Interval, p.opts.Backoff, p.opts.Sleep, p.Poll)
}

// Poll reads the node states once, retrying with backoff. On failure the
// previous states are kept until they are older than three intervals.
func (p *Poller) Poll(ctx context.Context) error {
	var states []NodebState
	err := p.opts.retrier().do(ctx, func(ctx context.Context) (err error) {
		states, err = p.client.States(ctx)
		return err
	})
	now := p.opts.Now()
	p.mu.Lock()
	if err == nil {
		p.states = make(map[string]NodebState, len(states))
		for _, s := range states {
			p.states[s.InventoryName] = s
		}
		p.at = now
	}
	n := len(p.states)
	p.mu.Unlock()
	if err != nil {
		p.opts.Logger.Warn("e2mgr poll", "err", err)
	}
	p.health.record(now, n, err)
	return err
}

// Connected reports whether e2mgr lists nodeID (its inventoryName) as
// CONNECTED. known is false when e2mgr does not list the node or no poll
// has succeeded within three intervals; the caller then cannot tell.
func (p *Poller) Connected(nodeID string) (connected, known bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.states == nil || p.opts.Now().Sub(p.at) > p.maxAge {
		return false, false
	}
	s, ok := p.states[nodeID]
	if !ok {
		return false, false
	}
	return s.ConnectionStatus == Connected, true
}

// State returns the last state read for nodeID.
func (p *Poller) State(nodeID string) (NodebState, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.states[nodeID]
	return s, ok
}

// Health returns the state of the last poll; Count is the nodes known.
func (p *Poller) Health() Health { return p.health.get() }

// Healthy reports whether the last poll succeeded.
func (p *Poller) Healthy() bool { return p.health.get().Healthy }
