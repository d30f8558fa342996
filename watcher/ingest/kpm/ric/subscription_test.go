package ric

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/watcher/inventory"
)

func cnf(name, nodeID, period string, cells ...string) inventory.CNF {
	c := &nephv1.CNFDeployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ran"}}
	c.Spec.NFType = nephv1.NFTypeDU
	if nodeID != "" {
		c.Spec.KPM = &nephv1.KPM{NodeID: nodeID, CellIDs: cells, GranularityPeriod: period}
	}
	return inventory.CNF{CNFDeployment: c, File: name + ".yaml"}
}

var watcherEndpoint = ClientEndpoint{Host: "service-nephoran-watcher-http.nephoran", HTTPPort: 9990, RMRPort: 4560}

func testHTTPClient() *http.Client { return &http.Client{Timeout: 5 * time.Second} }

func TestKPMSubscriptionParams(t *testing.T) {
	p, err := KPMSubscription{ClientEndpoint: watcherEndpoint}.Params(cnf("du-1", "gnb_001_001_00000001", "5s", "cell-1", "cell-2"), 7)
	require.NoError(t, err)
	require.Equal(t, "gnb_001_001_00000001", p.Meid, "Meid is spec.kpm.nodeId")
	require.Equal(t, KPMRANFunctionID, p.RANFunctionID)
	require.Len(t, p.SubscriptionDetails, 1)
	d := p.SubscriptionDetails[0]
	require.Equal(t, 7, d.XappEventInstanceID)
	var trig KPMEventTrigger
	require.NoError(t, json.Unmarshal(d.EventTriggers, &trig))
	require.Equal(t, int64(5000), trig.ReportingPeriodMs, "the reporting period is the granularity period in ms")
	require.Len(t, d.ActionToBeSetupList, 1)
	a := d.ActionToBeSetupList[0]
	require.Equal(t, ActionReport, a.ActionType)
	var def KPMActionDefinition
	require.NoError(t, json.Unmarshal(a.ActionDefinition, &def))
	require.Equal(t, KPMActionDefinition{Format: 1, MeasNames: KPMMeasurements, GranularityPeriodMs: 5000, CellIDs: []string{"cell-1", "cell-2"}}, def)

	_, err = KPMSubscription{}.Params(cnf("core", "", ""), 1)
	require.Error(t, err, "a CNF without spec.kpm.nodeId has no KPM subscription")
	_, err = KPMSubscription{}.Params(cnf("du-2", "gnb-2", "500us"), 1)
	require.Error(t, err, "KPM periods are whole milliseconds, at least 1")
}

func TestSubscribeRequestValidatesAgainstSwagger(t *testing.T) {
	f := newFakeSubmgr(t)
	c, err := NewSubscriptionClient(f.URL, testHTTPClient())
	require.NoError(t, err)
	ctx := context.Background()

	// What the client sends for a CNF is accepted by the Swagger validator.
	p, err := KPMSubscription{ClientEndpoint: watcherEndpoint}.Params(cnf("du-1", "gnb-1", "1s", "cell-1"), 1)
	require.NoError(t, err)
	resp, err := c.Subscribe(ctx, p)
	require.NoError(t, err)
	require.NotEmpty(t, resp.SubscriptionID)
	require.Equal(t, []string{"gnb-1"}, f.held())
	list, err := c.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, "gnb-1", list[0].Meid)
	require.NoError(t, c.Delete(ctx, resp.SubscriptionID))
	require.Empty(t, f.held())

	// The validator can fail: hand-made requests that break the Swagger are
	// refused with 400 before the fake looks at them.
	valid := `{"ClientEndpoint":{"Host":"w","HTTPPort":9990,"RMRPort":4560},"Meid":"gnb-1","RANFunctionID":2,` +
		`"SubscriptionDetails":[{"XappEventInstanceId":1,"EventTriggers":[1,2],"ActionToBeSetupList":[{"ActionID":1,"ActionType":"report","ActionDefinition":[3]}]}]}`
	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        string
		want        int
	}{
		{"the hand-made baseline is valid, so the refusals below are about their one change", "POST", "/subscriptions", "application/json", valid, http.StatusCreated},
		{"Meid is required", "POST", "/subscriptions", "application/json", strings.Replace(valid, `"Meid":"gnb-1",`, "", 1), http.StatusBadRequest},
		{"ActionType must be insert, policy or report", "POST", "/subscriptions", "application/json", strings.Replace(valid, `"report"`, `"subscribe"`, 1), http.StatusBadRequest},
		{"RANFunctionID is at most 4095", "POST", "/subscriptions", "application/json", strings.Replace(valid, `"RANFunctionID":2`, `"RANFunctionID":5000`, 1), http.StatusBadRequest},
		{"XappEventInstanceId is at most 65535", "POST", "/subscriptions", "application/json", strings.Replace(valid, `"XappEventInstanceId":1`, `"XappEventInstanceId":70000`, 1), http.StatusBadRequest},
		{"ActionDefinition is an integer array, not encoding/json's base64 of []byte", "POST", "/subscriptions", "application/json", strings.Replace(valid, `"ActionDefinition":[3]`, `"ActionDefinition":"Aw=="`, 1), http.StatusBadRequest},
		{"ActionID is at most 255", "POST", "/subscriptions", "application/json", strings.Replace(valid, `"ActionID":1`, `"ActionID":256`, 1), http.StatusBadRequest},
		{"the body must be JSON", "POST", "/subscriptions", "application/json", `{"Meid":`, http.StatusBadRequest},
		{"the API consumes application/json only", "POST", "/subscriptions", "text/plain", valid, http.StatusBadRequest},
		{"a path outside the API is not found", "GET", "/subscriptionz", "", "", http.StatusNotFound},
		{"a method outside the API is not allowed", "PUT", "/subscriptions", "application/json", valid, http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, f.URL+tt.path, strings.NewReader(tt.body))
			require.NoError(t, err)
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			resp, err := testHTTPClient().Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, tt.want, resp.StatusCode)
		})
	}
}

func TestSubscriptionClientErrors(t *testing.T) {
	f := newFakeSubmgr(t)
	c, err := NewSubscriptionClient(f.URL, testHTTPClient())
	require.NoError(t, err)
	f.set(1, http.StatusServiceUnavailable)
	_, err = c.List(context.Background())
	var se *StatusError
	require.ErrorAs(t, err, &se, "a status other than the promised one is a *StatusError")
	require.Equal(t, http.StatusServiceUnavailable, se.StatusCode)
	require.True(t, retryable(err), "503 is worth another attempt")

	_, err = NewSubscriptionClient("ftp://user:secret@host/ric/v1", nil)
	require.Error(t, err)
	require.NotContains(t, err.Error(), "secret", "credentials in a base URL never reach an error")
}
