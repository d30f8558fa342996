package testenv_test

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/internal/testenv"
)

// TestStartPrometheusScrapesItsTargets: the started server scrapes a live
// target (up 1, its sample readable) and marks a dead one down (up 0).
func TestStartPrometheusScrapesItsTargets(t *testing.T) {
	live := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "# TYPE testenv_answer gauge\ntestenv_answer{kind=\"real\"} 42\n")
	}))
	t.Cleanup(live.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := ln.Addr().String()
	require.NoError(t, ln.Close())

	base := testenv.StartPrometheus(t, []string{strings.TrimPrefix(live.URL, "http://"), dead}, time.Second)
	require.True(t, strings.HasPrefix(base, "http://127.0.0.1:"), base)

	v := testenv.WaitQuery(t, base, `testenv_answer`, func(v model.Vector) bool { return len(v) == 1 })
	require.Equal(t, model.SampleValue(42), v[0].Value)
	require.Equal(t, model.LabelValue(testenv.PrometheusJob), v[0].Metric["job"])

	testenv.WaitQuery(t, base, `up`, func(v model.Vector) bool { return len(v) == 2 })
	up := map[string]model.SampleValue{}
	for _, s := range testenv.QueryInstant(t, base, `up`) {
		up[string(s.Metric["instance"])] = s.Value
	}
	require.Equal(t, map[string]model.SampleValue{strings.TrimPrefix(live.URL, "http://"): 1, dead: 0}, up)
}
