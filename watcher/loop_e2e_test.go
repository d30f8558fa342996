package watcher

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/internal/testenv"
)

// testClock is a clock the test moves.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// TestTheLoopFromSignalsToProposalBranches is the closed loop in one test,
// against a real git server and a real kube-apiserver: KPM reports breach
// the UPF rule, the window closes, and a scale_out branch appears; a VES
// LINK_DOWN gives the DU a migrate branch; the objects rendered on each
// branch pass server-side dry-run.
func TestTheLoopFromSignalsToProposalBranches(t *testing.T) {
	root := testenv.RepoRoot(t)
	srv := testenv.StartGitServer(t)
	seed := t.TempDir()
	for _, nf := range []string{"upf", "du"} {
		require.NoError(t, os.CopyFS(filepath.Join(seed, nf), os.DirFS(filepath.Join(root, "blueprints", nf))))
	}
	// The DU may run in edge-1 or edge-2 and raises faults as odu-1.
	du := filepath.Join(seed, "du", "cnf.yaml")
	b, err := os.ReadFile(du)
	require.NoError(t, err)
	s := strings.Replace(string(b), "    sites: [edge-1]\n", "    sites: [edge-1, edge-2]\n", 1)
	s = strings.Replace(s, "  kpm:\n    nodeId: gnb-001", "  ves:\n    sourceNames: [odu-1]\n  kpm:\n    nodeId: gnb-101", 1)
	require.NoError(t, os.WriteFile(du, []byte(s), 0o644))
	srv.SeedRepo(t, "deploy", seed, "deploy")

	rules := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(rules, "rules.yaml"), []byte(`apiVersion: nephoran.com/v1
kind: AutomationRule
metadata:
  name: upf-prb-scaling
spec:
  target: {nfType: upf}
  condition: "metrics['kpm.prb_utilization'] > 0.85"
  action: scale_out
  intentTemplate: "Scale out UPF due to PRB utilization {.Value}"
---
rules:
  - name: link-down-migration
    eventDomain: fault
    severity: CRITICAL
    condition: "event.faultFields.alarmCondition == 'LINK_DOWN'"
    action: migrate
    intentTemplate: "Migrate {.SourceName} due to link failure"
`), 0o644))

	epoch := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	clock := &testClock{t: epoch}
	ctx, cancel := context.WithCancel(context.Background())
	ready, done := make(chan net.Addr, 1), make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{Listen: "127.0.0.1:0", Data: t.TempDir(), Rules: rules, Now: clock.Now,
			Config: Config{Git: &GitConfig{URL: srv.URL("deploy"), Path: "deploy"}},
			Ready:  func(a net.Addr) { ready <- a }})
	}()
	t.Cleanup(func() { cancel(); require.NoError(t, <-done) })
	base := "http://" + (<-ready).String()

	postJSON := func(path, body string) {
		resp, err := http.Post(base+path, "application/json", strings.NewReader(body))
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusAccepted, resp.StatusCode, path)
	}
	// PRB 0.9 on gnb-001 for the window [0 s, 30 s); the report of 40 s
	// moves the clock past its end and grace.
	for at := 10; at <= 40; at += 10 {
		clock.Set(epoch.Add(time.Duration(at) * time.Second))
		postJSON("/api/v1/kpm/reports", fmt.Sprintf(`{"nodeId":"gnb-001","cellId":"cell-001","collectStartTime":%q,"granularityPeriodMs":10000,
"measurements":[{"name":"RRU.PrbUsedDl","value":90},{"name":"RRU.PrbAvailDl","value":100}]}`, epoch.Add(time.Duration(at-10)*time.Second).Format(time.RFC3339)))
	}
	clock.Set(epoch.Add(50 * time.Second))
	postJSON("/eventListener/v7", linkDownEvent(clock.Now()))

	bare := srv.Dir("deploy")
	var branches []string
	require.Eventually(t, func() bool {
		branches = strings.Fields(testenv.Git(t, bare, "for-each-ref", "--format=%(refname:short)", "refs/heads/proposed/"))
		return len(branches) == 2
	}, 30*time.Second, 50*time.Millisecond)
	require.Contains(t, strings.Join(branches, " "), "proposed/deploy/upf/")
	require.Contains(t, strings.Join(branches, " "), "proposed/deploy/du/")

	cfg := testenv.StartKubeAPIServer(t)
	testenv.InstallCRDs(t, cfg, testenv.UpstreamCRDs(t)...)
	for _, branch := range branches {
		work := filepath.Join(t.TempDir(), "work")
		testenv.Git(t, "", "clone", "-q", "--branch", branch, bare, work)
		pkg := filepath.Join(work, strings.TrimPrefix(filepath.Dir(branch), "proposed/"))
		diff := testenv.Git(t, work, "diff", "HEAD~1", "--", "deploy")
		if strings.Contains(branch, "/upf/") {
			require.Contains(t, diff, "+  replicas: 3")
		} else {
			require.Contains(t, diff, "+    sites: [edge-2]")
		}
		require.NoError(t, testenv.ServerDryRun(context.Background(), cfg, testenv.KustomizeBuild(t, pkg)), branch)
	}
}

func linkDownEvent(at time.Time) string {
	us := at.UnixMicro()
	return fmt.Sprintf(`{"event":{"commonEventHeader":{"domain":"fault","eventId":"ld-1","eventName":"Fault_LINK_DOWN",
"sequence":1,"priority":"High","reportingEntityName":"odu-1","sourceName":"odu-1","version":"4.1",
"vesEventListenerVersion":"7.2.1","startEpochMicrosec":%d,"lastEpochMicrosec":%d},
"faultFields":{"faultFieldsVersion":"4.0","alarmCondition":"LINK_DOWN","alarmInterfaceA":"f1-c","eventSourceType":"O-DU",
"specificProblem":"link down","eventSeverity":"CRITICAL","vfStatus":"Active",
"alarmAdditionalInformation":{"site":"edge-1","node":"worker-3"}}}}`, us, us)
}
