package watcher_test

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/internal/testenv"
	"github.com/nephoran/nephoran/pipeline"
)

const restartRules = `apiVersion: nephoran.com/v1
kind: FCAPSRule
metadata:
  name: link-down-restart
spec:
  eventDomain: fault
  severity: CRITICAL
  condition: "event.faultFields.alarmCondition == 'LINK_DOWN'"
  action: restart
  intentTemplate: "Restart {.CNF}: LINK_DOWN from {.SourceName}"
`

// seedCNFs writes n UPF packages (upf-00 ... ) rendered from the blueprint,
// each raising its faults as src-<i> and reporting KPM as gnb-<i> (three
// digits), under a directory for SeedRepo.
func seedCNFs(t testing.TB, n int) string {
	t.Helper()
	root := t.TempDir()
	bp := filepath.Join(testenv.RepoRoot(t), "blueprints", "upf")
	for i := range n {
		name := fmt.Sprintf("upf-%02d", i)
		dir := filepath.Join(root, name)
		require.NoError(t, os.CopyFS(dir, os.DirFS(bp)))
		cnf, err := os.ReadFile(filepath.Join(dir, "cnf.yaml"))
		require.NoError(t, err)
		s := strings.Replace(string(cnf), "  name: upf\n", "  name: "+name+"\n", 1)
		s = strings.Replace(s, "  kpm:\n", fmt.Sprintf("  ves:\n    sourceNames: [src-%02d]\n  kpm:\n", i), 1)
		s = strings.Replace(s, "    nodeId: gnb-001\n", fmt.Sprintf("    nodeId: gnb-%03d\n", i), 1)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "cnf.yaml"), []byte(s), 0o644))
		pkg, err := pipeline.Load(dir)
		require.NoError(t, err)
		_, err = pkg.Render()
		require.NoError(t, err)
		require.NoError(t, pkg.Write())
	}
	return root
}

// proposalBranches lists the proposal branches per CNF package.
func proposalBranches(t testing.TB, bare string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, b := range strings.Fields(testenv.Git(t, bare, "for-each-ref", "--format=%(refname:short)", "refs/heads/proposed/")) {
		pkg := filepath.Base(filepath.Dir(b))
		out[pkg] = append(out[pkg], b)
	}
	return out
}

// TestKill9DeliversEveryProposalExactlyOnce posts one LINK_DOWN per CNF for
// 20 CNFs, kills the watcher with SIGKILL at random points three times while
// it decides and pushes, retries every event that was not acknowledged (as
// a VES producer does), and at the end finds exactly one proposal branch
// per CNF on the real git server: none lost, none twice.
func TestKill9DeliversEveryProposalExactlyOnce(t *testing.T) {
	const n = 20
	srv := testenv.StartGitServer(t)
	srv.SeedRepo(t, "deploy", seedCNFs(t, n), "deploy")
	dir := t.TempDir()
	rules, data := filepath.Join(dir, "rules"), filepath.Join(dir, "data")
	require.NoError(t, os.MkdirAll(rules, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(rules, "restart.yaml"), []byte(restartRules), 0o644))
	args := []string{"--rules", rules, "--git-url", srv.URL("deploy"), "--git-path", "deploy"}

	count := func() int {
		total := 0
		for _, bs := range proposalBranches(t, srv.Dir("deploy")) {
			total += len(bs)
		}
		return total
	}
	killRounds(t, n, 300*time.Millisecond, func() (*exec.Cmd, string) { return watch(t, data, args...) },
		func(base string) bool {
			return count() >= n && strings.Contains(get(t, base+"/metrics"), "planner_proposals_pending 0")
		},
		func() string { return fmt.Sprintf("%d branches so far", count()) })
	branches := proposalBranches(t, srv.Dir("deploy"))
	require.Len(t, branches, n, "one proposal per CNF: %v", branches)
	for pkg, bs := range branches {
		require.Len(t, bs, 1, "%s has %d proposals: %v", pkg, len(bs), bs)
	}
}

// waitDelivered waits until want proposal branches exist and none is pending.
func waitDelivered(t *testing.T, base, bare string, want int) {
	t.Helper()
	require.Eventually(t, func() bool {
		total := 0
		for _, bs := range proposalBranches(t, bare) {
			total += len(bs)
		}
		return total >= want && strings.Contains(get(t, base+"/metrics"), "planner_proposals_pending 0")
	}, 60*time.Second, 100*time.Millisecond)
}

// linkDownFrom is a strict-valid CRITICAL LINK_DOWN fault of source.
func linkDownFrom(source, id string) string {
	now := time.Now().UnixMicro()
	return fmt.Sprintf(`{"event":{"commonEventHeader":{"domain":"fault","eventId":%q,"eventName":"Fault_LINK_DOWN",
"sequence":1,"priority":"High","reportingEntityName":%q,"sourceName":%q,"version":"4.1",
"vesEventListenerVersion":"7.2.1","startEpochMicrosec":%d,"lastEpochMicrosec":%d},
"faultFields":{"faultFieldsVersion":"4.0","alarmCondition":"LINK_DOWN","alarmInterfaceA":"n3","eventSourceType":"UPF",
"specificProblem":"link down","eventSeverity":"CRITICAL","vfStatus":"Active"}}}`, id, source, source, now, now)
}

// TestProposalsWaitForAGitServerThatIsDown stops the git server for 10 s:
// decisions queue (planner_proposals_pending), deliveries fail and retry
// with backoff, and every proposal is delivered once it is back.
func TestProposalsWaitForAGitServerThatIsDown(t *testing.T) {
	const n = 5
	srv := testenv.StartGitServer(t)
	srv.SeedRepo(t, "deploy", seedCNFs(t, n), "deploy")
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules")
	require.NoError(t, os.MkdirAll(rules, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(rules, "restart.yaml"), []byte(restartRules), 0o644))
	_, base := watch(t, filepath.Join(dir, "data"), "--rules", rules, "--git-url", srv.URL("deploy"), "--git-path", "deploy")

	srv.Stop()
	down := time.Now()
	for i := range n {
		post(t, base+"/eventListener/v7", linkDownFrom(fmt.Sprintf("src-%02d", i), fmt.Sprintf("ld-%02d", i)), http.StatusAccepted)
	}
	require.Eventually(t, func() bool {
		m := get(t, base+"/metrics")
		return strings.Contains(m, fmt.Sprintf("planner_proposals_pending %d", n)) &&
			!strings.Contains(m, "planner_proposal_delivery_errors_total 0\n")
	}, 20*time.Second, 100*time.Millisecond, "the proposals must wait, and the deliveries fail")
	require.Empty(t, proposalBranches(t, srv.Dir("deploy")))
	time.Sleep(10*time.Second - time.Since(down))
	srv.Start(t)
	waitDelivered(t, base, srv.Dir("deploy"), n)
	branches := proposalBranches(t, srv.Dir("deploy"))
	require.Len(t, branches, n)
	for pkg, bs := range branches {
		require.Len(t, bs, 1, pkg)
	}
}

// BenchmarkSignalToPushedProposal measures, through the binary and a real
// git server, the time from the POST of a LINK_DOWN to its proposal branch
// existing on the server (decide, queue, render, commit, push): the same
// path as a window close, which only differs in what starts the decision.
// One CNF per iteration (each CNF's next decision would be ProposalOpen).
//
//	go test ./watcher -run '^$' -bench SignalToPushedProposal -benchtime 100x
func BenchmarkSignalToPushedProposal(b *testing.B) {
	n := b.N
	srv := testenv.StartGitServer(b)
	srv.SeedRepo(b, "deploy", seedCNFs(b, n), "deploy")
	dir := b.TempDir()
	rules := filepath.Join(dir, "rules")
	require.NoError(b, os.MkdirAll(rules, 0o755))
	require.NoError(b, os.WriteFile(filepath.Join(rules, "restart.yaml"), []byte(restartRules), 0o644))
	_, base := watch(b, filepath.Join(dir, "data"), "--rules", rules, "--git-url", srv.URL("deploy"), "--git-path", "deploy")
	lat := make([]time.Duration, 0, n)
	b.ResetTimer()
	for i := range n {
		start := time.Now()
		post(b, base+"/eventListener/v7", linkDownFrom(fmt.Sprintf("src-%02d", i), fmt.Sprintf("ld-%02d", i)), http.StatusAccepted)
		refs := filepath.Join(srv.Dir("deploy"), "refs", "heads", "proposed", "deploy", fmt.Sprintf("upf-%02d", i))
		for {
			if es, _ := os.ReadDir(refs); len(es) > 0 {
				break
			}
			time.Sleep(500 * time.Microsecond)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// TestGitIsTheTruth changes the deployment repository behind a running
// watcher, as a person would: a package added on main is in the inventory
// at the next refresh (its fault gets a proposal), and replicas raised by
// hand to the maximum make the next scale-out AtBound.
func TestGitIsTheTruth(t *testing.T) {
	srv := testenv.StartGitServer(t)
	seeded := seedCNFs(t, 2)
	srv.SeedRepo(t, "deploy", filepath.Join(seeded, "upf-00"), "deploy/upf-00")
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules")
	require.NoError(t, os.MkdirAll(rules, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(rules, "rules.yaml"), []byte(restartRules+`---
apiVersion: nephoran.com/v1
kind: FCAPSRule
metadata:
  name: overload-scale-out
spec:
  eventDomain: fault
  condition: "event.faultFields.alarmCondition == 'OVERLOAD'"
  action: scale_out
`), 0o644))
	config := filepath.Join(dir, "watch.yaml")
	require.NoError(t, os.WriteFile(config, []byte(fmt.Sprintf("git: {url: %q, path: deploy, refresh: 200ms}\nrules: %q\n", srv.URL("deploy"), rules)), 0o644))
	_, base := watch(t, filepath.Join(dir, "data"), "--config", config, "--rules", rules)

	// By hand on main: upf-00's replicas raised to its maximum, then a
	// package added. Once the watcher sees the package, it has read both.
	srv.Commit(t, "deploy", "upf-00 at its maximum, by hand", func(work string) {
		p := filepath.Join(work, "deploy", "upf-00", "cnf.yaml")
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(p, []byte(strings.Replace(string(b), "  replicas: 2\n", "  replicas: 10\n", 1)), 0o644))
	})
	srv.SeedRepo(t, "deploy", filepath.Join(seeded, "upf-01"), "deploy/upf-01")
	require.Eventually(t, func() bool {
		return strings.Contains(get(t, base+"/metrics"), `planner_cooldown_active{cnf="upf-01"}`)
	}, 20*time.Second, 100*time.Millisecond, "the added package never became part of the inventory")

	post(t, base+"/eventListener/v7", linkDownFrom("src-01", "ld-01"), http.StatusAccepted)
	require.Eventually(t, func() bool {
		return len(proposalBranches(t, srv.Dir("deploy"))["upf-01"]) == 1
	}, 20*time.Second, 100*time.Millisecond, "no proposal for the added package")

	overload := strings.ReplaceAll(linkDownFrom("src-00", "ov-1"), "LINK_DOWN", "OVERLOAD")
	post(t, base+"/eventListener/v7", overload, http.StatusAccepted)
	require.Eventually(t, func() bool {
		return len(decisions(t, base, "suppressed=AtBound&cnf=upf-00")) == 1
	}, 10*time.Second, 50*time.Millisecond, "the hand edit was not used: %s", get(t, base+"/api/v1/decisions"))
	require.Empty(t, proposalBranches(t, srv.Dir("deploy"))["upf-00"], "no scale-out proposal at the bound")
}
