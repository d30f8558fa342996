package ric

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/watcher/inventory"
)

func newTestReconciler(t *testing.T, url string, clock *fakeClock) *Reconciler {
	t.Helper()
	c, err := NewSubscriptionClient(url, testHTTPClient())
	require.NoError(t, err)
	return NewReconciler(c, KPMSubscription{ClientEndpoint: watcherEndpoint}, clock.options())
}

// calls counts the requests of a method in the fake's log.
func calls(log []string, method string) int {
	n := 0
	for _, l := range log {
		if strings.HasPrefix(l, method+" ") {
			n++
		}
	}
	return n
}

func TestReconcileKeepsOneSubscriptionPerCNF(t *testing.T) {
	f := newFakeSubmgr(t)
	clock := newFakeClock()
	r := newTestReconciler(t, f.URL, clock)
	ctx := context.Background()
	inv := []inventory.CNF{
		cnf("du-a", "gnb-a", "1s", "cell-a1"),
		cnf("du-b", "gnb-b", "", "cell-b1", "cell-b2"),
		cnf("upf", "", ""), // no spec.kpm: no subscription
	}

	require.NoError(t, r.Reconcile(ctx, inv))
	require.Equal(t, []string{"gnb-a", "gnb-b"}, f.held(), "one subscription per CNF with spec.kpm.nodeId")
	h := r.Health()
	require.True(t, h.Healthy)
	require.Equal(t, 2, h.Count)
	require.Empty(t, h.LastError)
	require.Equal(t, clock.Now(), h.LastSuccess)
	subs := r.Subscriptions()
	require.Len(t, subs, 2)
	require.Equal(t, "ran/du-a", subs[0].CNF)
	require.NotEqual(t, subs[0].XappEventInstanceID, subs[1].XappEventInstanceID, "each CNF has its own XappEventInstanceId")

	before := f.log()
	require.NoError(t, r.Reconcile(ctx, inv))
	after := f.log()[len(before):]
	require.Equal(t, 0, calls(after, "POST"), "a second pass over the same inventory creates nothing")
	require.Equal(t, 0, calls(after, "DELETE"), "and deletes nothing")
	require.Equal(t, []string{"gnb-a", "gnb-b"}, f.held())
	require.Equal(t, subs, r.Subscriptions())

	// du-b leaves the inventory: its subscription goes.
	require.NoError(t, r.Reconcile(ctx, inv[:1]))
	require.Equal(t, []string{"gnb-a"}, f.held())
	require.Len(t, r.Subscriptions(), 1)

	// du-a's cells change: its subscription is replaced, still one.
	changed := []inventory.CNF{cnf("du-a", "gnb-a", "1s", "cell-a1", "cell-a2")}
	require.NoError(t, r.Reconcile(ctx, changed))
	require.Equal(t, []string{"gnb-a"}, f.held())
	p, ok := f.params("gnb-a")
	require.True(t, ok)
	require.Contains(t, string(p.SubscriptionDetails[0].ActionToBeSetupList[0].ActionDefinition), "cell-a2")

	// Shutdown: every held subscription is deleted.
	require.NoError(t, r.Unsubscribe(ctx))
	require.Empty(t, f.held())
	require.Empty(t, r.Subscriptions())
	require.Empty(t, clock.Sleeps(), "nothing failed, so nothing waited")
}

func TestReconcileRetriesTransientFailures(t *testing.T) {
	tests := []struct {
		name   string
		status int // 0 drops the connection
	}{
		{"the manager answers 503 twice while starting", http.StatusServiceUnavailable},
		{"the manager answers 500 twice", http.StatusInternalServerError},
		{"the connection is dropped twice", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeSubmgr(t)
			clock := newFakeClock()
			r := newTestReconciler(t, f.URL, clock)
			f.set(2, tt.status)
			require.NoError(t, r.Reconcile(context.Background(), []inventory.CNF{cnf("du-a", "gnb-a", "1s")}))
			require.True(t, r.Healthy())
			require.Equal(t, []string{"gnb-a"}, f.held())
			require.Equal(t, []time.Duration{100 * time.Millisecond, 200 * time.Millisecond}, clock.Sleeps(),
				"two failures, two exponential backoff delays on the fake clock")
		})
	}
}

func TestReconcileGivesUpAfterAttemptsThenRecovers(t *testing.T) {
	f := newFakeSubmgr(t)
	clock := newFakeClock()
	r := newTestReconciler(t, f.URL, clock)
	inv := []inventory.CNF{cnf("du-a", "gnb-a", "1s")}
	f.set(4, http.StatusServiceUnavailable)

	err := r.Reconcile(context.Background(), inv)
	var se *StatusError
	require.ErrorAs(t, err, &se)
	require.Equal(t, http.StatusServiceUnavailable, se.StatusCode)
	h := r.Health()
	require.False(t, h.Healthy)
	require.Contains(t, h.LastError, "503")
	require.Equal(t, 1, h.ConsecutiveFailures)
	require.Equal(t, []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond}, clock.Sleeps(),
		"four attempts, three delays")

	require.NoError(t, r.Reconcile(context.Background(), inv))
	require.True(t, r.Healthy())
	require.Equal(t, 0, r.Health().ConsecutiveFailures)
	require.Equal(t, []string{"gnb-a"}, f.held())
}

func TestReconcileDoesNotRetryAnE2Refusal(t *testing.T) {
	f := newFakeSubmgr(t)
	f.refuse = "RAN function not supported"
	clock := newFakeClock()
	r := newTestReconciler(t, f.URL, clock)

	err := r.Reconcile(context.Background(), []inventory.CNF{cnf("du-a", "gnb-a", "1s")})
	require.ErrorContains(t, err, "RAN function not supported")
	require.False(t, r.Healthy())
	require.Empty(t, f.held(), "the refused subscription is deleted, the next pass asks again")
	require.Empty(t, clock.Sleeps(), "a refusal is not retried within the pass")
}

func TestReconcileRecreatesWhatARestartedManagerLost(t *testing.T) {
	f := newFakeSubmgr(t)
	clock := newFakeClock()
	r := newTestReconciler(t, f.URL, clock)
	inv := []inventory.CNF{cnf("du-a", "gnb-a", "1s"), cnf("du-b", "gnb-b", "1s")}
	require.NoError(t, r.Reconcile(context.Background(), inv))

	addr := f.Listener.Addr().String()
	f.Close()
	f2 := newFakeSubmgrOn(t, addr) // same address, empty state
	require.NoError(t, r.Reconcile(context.Background(), inv))
	require.Equal(t, []string{"gnb-a", "gnb-b"}, f2.held())
}

func TestRunReconnectsAfterTheManagerWasDown(t *testing.T) {
	f := newFakeSubmgr(t)
	addr := f.Listener.Addr().String()
	url := f.URL
	f.Close() // the manager is down when the watcher starts

	clock := newFakeClock()
	r := newTestReconciler(t, url, clock)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var up *fakeSubmgr
	var healthyWhileDown bool
	clock.onSleep = func(n int) {
		switch n {
		case 4: // the first pass gave up: the manager comes back
			healthyWhileDown = r.Healthy()
			up = newFakeSubmgrOn(t, addr)
		case 5: // the interval after the successful pass
			cancel()
		}
	}

	err := r.Run(ctx, func() []inventory.CNF { return []inventory.CNF{cnf("du-a", "gnb-a", "1s")} })
	require.True(t, errors.Is(err, context.Canceled))
	require.False(t, healthyWhileDown, "unhealthy while the manager refused connections")
	require.True(t, r.Healthy())
	require.Equal(t, []string{"gnb-a"}, up.held())
	require.Equal(t, []time.Duration{
		100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, // retries of the first List
		100 * time.Millisecond, // backoff after the failed pass
		30 * time.Second,       // the interval after the good one
	}, clock.Sleeps())
}
