package watcher_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/nephoran/nephoran/internal/porchserver"
	"github.com/nephoran/nephoran/internal/testenv"
	"github.com/nephoran/nephoran/watcher"
	porchprop "github.com/nephoran/nephoran/watcher/propose/porch"
)

// The Porch stand-in (internal/porchserver) serves these tests: Porch
// itself cannot be built from the modules this repository may use.

const porchRepo = "deployments"

// publishUPFs publishes n UPF packages deploy/upf-<i> in the Porch
// stand-in (see seedCNFs), and returns the CNF -> package path table.
func publishUPFs(t testing.TB, s *porchserver.Server, n int) map[string]string {
	t.Helper()
	root := seedCNFs(t, n)
	pkgs := map[string]string{}
	for i := range n {
		name := fmt.Sprintf("upf-%02d", i)
		s.Publish(porchRepo, "deploy/"+name, testenv.Files(t, filepath.Join(root, name)))
		pkgs[name] = "deploy/" + name
	}
	return pkgs
}

// porchConfig is the watcher's porch section for s, re-read every 200 ms.
func porchConfig(s *porchserver.Server, pkgs map[string]string) *watcher.PorchConfig {
	return &watcher.PorchConfig{Connection: porchprop.Connection{Server: s.URL()}, Namespace: porchserver.DefaultNamespace,
		Repository: porchRepo, Packages: pkgs, Refresh: "200ms"}
}

// proposals returns the revisions the watcher made (workspace: a decision
// id), by package.
func proposals(s *porchserver.Server) map[string][]porchserver.Revision {
	out := map[string][]porchserver.Revision{}
	for _, r := range s.Revisions() {
		if len(r.Workspace) == 16 {
			out[r.Package] = append(out[r.Package], r)
		}
	}
	return out
}

// movingClock is the watcher's clock in the in-process tests: the test
// moves it with the KPM reports it posts.
type movingClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *movingClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *movingClock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// runInProcess runs watcher.Run until the test ends and returns its base
// URL.
func runInProcess(t testing.TB, o watcher.Options) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready, done := make(chan net.Addr, 1), make(chan error, 1)
	o.Listen, o.Ready = "127.0.0.1:0", func(a net.Addr) { ready <- a }
	if o.Data == "" {
		o.Data = t.TempDir()
	}
	go func() { done <- watcher.Run(ctx, o) }()
	select {
	case a := <-ready:
		t.Cleanup(func() { cancel(); require.NoError(t, <-done) })
		return "http://" + a.String()
	case err := <-done:
		cancel()
		t.Fatalf("watcher stopped: %v", err)
		return ""
	}
}

// breach posts PRB 0.9 reports of each node for the window [start,
// start+30s) and one at start+40s that moves the clock past its end and
// grace.
func breach(t testing.TB, base string, clock *movingClock, start time.Time, nodes ...string) {
	t.Helper()
	prbWindow(t, base, clock, start, 90, nodes...)
}

// prbWindow is breach with PRB prb% (of 100 available).
func prbWindow(t testing.TB, base string, clock *movingClock, start time.Time, prb int, nodes ...string) {
	t.Helper()
	for at := 10; at <= 40; at += 10 {
		clock.Set(start.Add(time.Duration(at) * time.Second))
		for _, node := range nodes {
			body := fmt.Sprintf(`{"nodeId":%q,"cellId":"cell-001","collectStartTime":%q,"granularityPeriodMs":10000,
"measurements":[{"name":"RRU.PrbUsedDl","value":%d},{"name":"RRU.PrbAvailDl","value":100}]}`, node, start.Add(time.Duration(at-10)*time.Second).Format(time.RFC3339), prb)
			post(t, base+"/api/v1/kpm/reports", body, http.StatusAccepted)
		}
	}
}

const porchRules = `apiVersion: nephoran.com/v1
kind: AutomationRule
metadata:
  name: upf-prb-scaling
spec:
  target: {names: [upf-00]}
  condition: "metrics['kpm.prb_utilization'] > 0.85"
  action: scale_out
  cooldown: 1m
  intentTemplate: "Scale out {.CNF}: PRB utilization {.Value}"
---
apiVersion: nephoran.com/v1
kind: AutomationRule
metadata:
  name: upf-prb-scaling-auto
spec:
  target: {names: [upf-01]}
  condition: "metrics['kpm.prb_utilization'] > 0.85"
  action: scale_out
  approval: auto
  cooldown: 30s
  intentTemplate: "Scale out {.CNF}: PRB utilization {.Value}"
`

// TestPorchKPMBreachBecomesAProposedRevision is the Porch backend end to
// end, in process against the Porch stand-in: a KPM breach of upf-00 ends
// as one Proposed PackageRevision of deploy/upf-00 with the intent applied
// (replicas 2 -> 3 in cnf.yaml and the Deployment); an auto rule's breach
// of upf-01 ends Published as revision 2, which becomes the inventory; a
// reviewer's rejection (Proposed -> Draft through the approval
// subresource, as `porchctl rpkg reject`) is recorded and holds the next
// scale_out of upf-00 as Rejected.
func TestPorchKPMBreachBecomesAProposedRevision(t *testing.T) {
	s := porchserver.Start(t)
	pkgs := publishUPFs(t, s, 2)
	rules := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(rules, "rules.yaml"), []byte(porchRules), 0o644))
	epoch := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	clock := &movingClock{t: epoch}
	base := runInProcess(t, watcher.Options{Rules: rules, Now: clock.Now, Config: watcher.Config{Porch: porchConfig(s, pkgs)}})

	breach(t, base, clock, epoch, "gnb-000", "gnb-001")
	var props map[string][]porchserver.Revision
	require.Eventually(t, func() bool {
		props = proposals(s)
		return len(props["deploy/upf-00"]) == 1 && props["deploy/upf-00"][0].Lifecycle == porchserver.Proposed &&
			len(props["deploy/upf-01"]) == 1 && props["deploy/upf-01"][0].Lifecycle == porchserver.Published
	}, 30*time.Second, 20*time.Millisecond, "one Proposed revision of upf-00 and one Published of upf-01")

	manual := props["deploy/upf-00"][0]
	require.Equal(t, porchRepo+".deploy.upf-00."+manual.Workspace, manual.Name)
	require.Equal(t, "upf-00", manual.Annotations[porchprop.AnnotationCNF])
	require.Equal(t, "scale_out", manual.Annotations[porchprop.AnnotationAction])
	require.Equal(t, "upf-prb-scaling", manual.Annotations[porchprop.AnnotationRule])
	require.Contains(t, manual.Resources["cnf.yaml"], "  replicas: 3\n")
	require.Contains(t, manual.Resources["deployment.yaml"], "  replicas: 3\n")
	require.Contains(t, string(manual.RenderStatus), `"result"`, "Porch rendered the package")
	published, ok := s.Get(porchserver.DefaultNamespace, porchRepo+".deploy.upf-00.v1")
	require.True(t, ok)
	for f, c := range published.Resources {
		if f != "cnf.yaml" && f != "deployment.yaml" {
			require.Equal(t, c, manual.Resources[f], "%s is untouched", f)
		}
	}
	auto := props["deploy/upf-01"][0]
	require.Equal(t, int64(2), auto.Revision)
	require.True(t, auto.Latest)

	// A reviewer rejects upf-00's proposal.
	dc, err := dynamic.NewForConfig(s.Config())
	require.NoError(t, err)
	revs := dc.Resource(schema.GroupVersionResource{Group: porchserver.Group, Version: porchserver.Version, Resource: porchserver.PackageRevisions}).
		Namespace(porchserver.DefaultNamespace)
	pr, err := revs.Get(context.Background(), manual.Name, metav1.GetOptions{})
	require.NoError(t, err)
	require.NoError(t, unstructured.SetNestedField(pr.Object, porchserver.Draft, "spec", "lifecycle"))
	_, err = revs.Update(context.Background(), pr, metav1.UpdateOptions{}, porchserver.Approval)
	require.NoError(t, err)

	// The next breach (after the refresh saw the rejection) is held.
	time.Sleep(time.Second)
	next := epoch.Add(60 * time.Second)
	breach(t, base, clock, next, "gnb-000", "gnb-001")
	var held []decisionItem
	require.Eventually(t, func() bool {
		held = decisions(t, base, "cnf=upf-00&suppressed=Rejected")
		return len(held) == 1
	}, 10*time.Second, 20*time.Millisecond)
	require.Contains(t, held[0].Detail, manual.Workspace)
	require.Contains(t, held[0].Detail, "is a Draft")
	require.Len(t, proposals(s)["deploy/upf-00"], 1, "no new proposal")

	// upf-01's inventory is its Published revision 2: replicas 3.
	require.Eventually(t, func() bool {
		return len(proposals(s)["deploy/upf-01"]) == 2
	}, 10*time.Second, 20*time.Millisecond)
	for _, r := range proposals(s)["deploy/upf-01"] {
		if r.Revision == 3 {
			require.Contains(t, r.Resources["cnf.yaml"], "  replicas: 4\n")
		}
	}
}

// TestPorchKill9LeavesOneRevisionPerDecision posts one LINK_DOWN per CNF
// for 10 CNFs to bin/nephoran watch --porch-repository, kills it with
// SIGKILL at random points three times while it proposes, retries every
// event not acknowledged, and at the end finds exactly one Proposed
// revision per package: none lost, none twice, no Draft left over.
func TestPorchKill9LeavesOneRevisionPerDecision(t *testing.T) {
	const n = 10
	s := porchserver.Start(t)
	publishUPFs(t, s, n)
	dir := t.TempDir()
	rules, data := filepath.Join(dir, "rules"), filepath.Join(dir, "data")
	require.NoError(t, os.MkdirAll(rules, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(rules, "restart.yaml"), []byte(restartRules), 0o644))
	kubeconfig := filepath.Join(dir, "kubeconfig")
	require.NoError(t, os.WriteFile(kubeconfig, []byte("apiVersion: v1\nkind: Config\nclusters: [{name: porch, cluster: {server: "+s.URL()+
		"}}]\nusers: [{name: w, user: {}}]\ncontexts: [{name: porch, context: {cluster: porch, user: w}}]\ncurrent-context: porch\n"), 0o600))
	config := filepath.Join(dir, "watch.yaml")
	require.NoError(t, os.WriteFile(config, []byte("porch:\n  packages: {"+packagesYAML(n)+"}\n"), 0o644))
	args := []string{"--rules", rules, "--config", config, "--kubeconfig", kubeconfig, "--porch-repository", porchRepo}

	killRounds(t, n, 300*time.Millisecond, func() (*exec.Cmd, string) { return watch(t, data, args...) },
		func(base string) bool {
			return countProposed(s) == n && strings.Contains(get(t, base+"/metrics"), "planner_proposals_pending 0")
		},
		func() string { return fmt.Sprintf("%d revisions so far", len(proposals(s))) })
	props := proposals(s)
	require.Len(t, props, n, "one proposal per package")
	for pkg, rs := range props {
		require.Len(t, rs, 1, "%s has %d revisions", pkg, len(rs))
		require.Equal(t, porchserver.Proposed, rs[0].Lifecycle, pkg)
		require.Contains(t, rs[0].Resources["cnf.yaml"], "restartGeneration: 1", pkg)
	}
}

// packagesYAML maps upf-<i> to deploy/upf-<i> for n CNFs, as flow YAML.
func packagesYAML(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "upf-%02d: deploy/upf-%02d", i, i)
	}
	return b.String()
}

// countProposed counts the watcher's revisions that are Proposed.
func countProposed(s *porchserver.Server) int {
	n := 0
	for _, rs := range proposals(s) {
		for _, r := range rs {
			if r.Lifecycle == porchserver.Proposed {
				n++
			}
		}
	}
	return n
}
