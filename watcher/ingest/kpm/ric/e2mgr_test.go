package ric

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func newTestPoller(t *testing.T, url string, clock *fakeClock) *Poller {
	t.Helper()
	c, err := NewE2MgrClient(url, testHTTPClient())
	require.NoError(t, err)
	opts := clock.options()
	opts.Interval = 10 * time.Second
	return NewPoller(c, opts)
}

var nodes = []NodebState{
	{InventoryName: "gnb-up", GlobalNbID: GlobalNbID{PlmnID: "00f110", NbID: "0000000000000000000000000001"}, ConnectionStatus: Connected},
	{InventoryName: "gnb-down", GlobalNbID: GlobalNbID{PlmnID: "00f110", NbID: "0000000000000000000000000010"}, ConnectionStatus: Disconnected},
	{InventoryName: "gnb-setup", ConnectionStatus: Connecting},
}

func TestPollerConnected(t *testing.T) {
	f := newFakeE2Mgr(t)
	f.set(nodes...)
	clock := newFakeClock()
	p := newTestPoller(t, f.URL, clock)

	c, known := p.Connected("gnb-up")
	require.False(t, known, "nothing is known before the first poll")
	require.False(t, c)

	require.NoError(t, p.Poll(context.Background()))
	tests := []struct {
		name          string
		nodeID        string
		wantConnected bool
		wantKnown     bool
	}{
		{"a CONNECTED node is connected", "gnb-up", true, true},
		{"a DISCONNECTED node is not: its KPM data is stale", "gnb-down", false, true},
		{"any status but CONNECTED is not connected", "gnb-setup", false, true},
		{"a node e2mgr does not list is unknown", "gnb-other", false, false},
		{"nodeId matches inventoryName exactly, not the nbId", "0000000000000000000000000001", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, known := p.Connected(tt.nodeID)
			require.Equal(t, tt.wantConnected, c)
			require.Equal(t, tt.wantKnown, known)
		})
	}
	s, ok := p.State("gnb-down")
	require.True(t, ok)
	require.Equal(t, "00f110", s.GlobalNbID.PlmnID, "globalNbId is decoded")
	require.Equal(t, 3, p.Health().Count)
}

func TestPollerSurvivesE2MgrFailures(t *testing.T) {
	tests := []struct {
		name   string
		status int // 0 drops the connection
	}{
		{"e2mgr answers 500 (RNIB error) twice", http.StatusInternalServerError},
		{"the connection is dropped twice", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeE2Mgr(t)
			f.set(nodes...)
			clock := newFakeClock()
			p := newTestPoller(t, f.URL, clock)
			f.faults.set(2, tt.status)
			require.NoError(t, p.Poll(context.Background()))
			require.True(t, p.Healthy())
			c, known := p.Connected("gnb-up")
			require.True(t, c)
			require.True(t, known)
			require.Equal(t, []time.Duration{100 * time.Millisecond, 200 * time.Millisecond}, clock.Sleeps())
		})
	}
}

func TestPollerKeepsLastStatesOnlyForAWhile(t *testing.T) {
	f := newFakeE2Mgr(t)
	f.set(nodes...)
	clock := newFakeClock()
	p := newTestPoller(t, f.URL, clock)
	require.NoError(t, p.Poll(context.Background()))

	f.faults.set(100, http.StatusInternalServerError)
	require.Error(t, p.Poll(context.Background()))
	require.False(t, p.Healthy())
	require.Contains(t, p.Health().LastError, "500")
	c, known := p.Connected("gnb-up")
	require.True(t, known, "a failed poll keeps the last states (0.7s old here)")
	require.True(t, c)

	require.NoError(t, clock.Sleep(context.Background(), 30*time.Second))
	_, known = p.Connected("gnb-up")
	require.False(t, known, "states older than three intervals are not known any more")

	f.faults.set(0, 0)
	f.set(nodes[0], NodebState{InventoryName: "gnb-down", ConnectionStatus: Connected})
	require.NoError(t, p.Poll(context.Background()))
	c, known = p.Connected("gnb-down")
	require.True(t, known)
	require.True(t, c, "a node that reconnected is connected again")
}

func TestPollerRun(t *testing.T) {
	f := newFakeE2Mgr(t)
	f.set(nodes...)
	clock := newFakeClock()
	p := newTestPoller(t, f.URL, clock)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock.onSleep = func(n int) {
		if n == 1 {
			f.faults.set(1, http.StatusInternalServerError)
		}
		if n == 3 {
			cancel()
		}
	}
	err := p.Run(ctx)
	require.True(t, errors.Is(err, context.Canceled))
	// poll ok, interval; poll: 500 then a retry after 100ms, ok, interval.
	require.Equal(t, []time.Duration{10 * time.Second, 100 * time.Millisecond, 10 * time.Second}, clock.Sleeps())
	require.True(t, p.Healthy())
}

func TestE2MgrValidatorRefusesRequestsOutsideTheAPI(t *testing.T) {
	f := newFakeE2Mgr(t)
	tests := []struct {
		name   string
		method string
		path   string
		want   int
	}{
		{"GET /v1/nodeb/states is the API", http.MethodGet, "/v1/nodeb/states", http.StatusOK},
		{"POST is not an operation of /nodeb/states", http.MethodPost, "/v1/nodeb/states", http.StatusMethodNotAllowed},
		{"a path outside the API is not found", http.MethodGet, "/v1/enodeb/states", http.StatusNotFound},
		{"the base path /v1 is part of the API", http.MethodGet, "/nodeb/states", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, f.Server.URL+tt.path, nil)
			require.NoError(t, err)
			resp, err := testHTTPClient().Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, tt.want, resp.StatusCode)
		})
	}
}
