package watcher_test

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/internal/testenv"
	"github.com/nephoran/nephoran/watcher"
)

// These tests run the review stage (watcher/review) against a real Gitea
// (testenv.StartGitea, bin/gitea from `make tools`): proposal branches
// pushed to a Gitea repository become pull requests, and merges and
// closes made through Gitea's API reach the watcher by webhook or by
// reconciliation.

// forgeEnv is a Gitea whose repository "deploy" holds UPF packages under
// deploy/ on main, with the files the watcher's forge config names.
type forgeEnv struct {
	g *testenv.Gitea
	// tokenFile holds the admin's API token; secretFile the webhook
	// secret (secret, as Gitea signs with it).
	tokenFile, secretFile, secret string
}

// startForge starts a Gitea and seeds its repository "deploy" with n UPF
// packages (seedCNFs: upf-00 ... with KPM node gnb-000 ... and VES source
// src-00 ...) under deploy/, pushed to main over HTTP.
func startForge(t testing.TB, n int) *forgeEnv {
	t.Helper()
	g := testenv.StartGitea(t)
	g.CreateRepo(t, "deploy")
	work := filepath.Join(t.TempDir(), "work")
	testenv.Git(t, "", "init", "--quiet", "--initial-branch=main", work)
	require.NoError(t, os.CopyFS(filepath.Join(work, "deploy"), os.DirFS(seedCNFs(t, n))))
	testenv.Git(t, work, "add", "--all")
	testenv.Git(t, work, "commit", "--quiet", "-m", fmt.Sprintf("seed %d UPFs", n))
	testenv.Git(t, work, "push", "--quiet", g.CloneURL("deploy"), "main")
	// Gitea takes a push through a queue: the repository is empty (and
	// its pull requests answer 404) until it was processed.
	require.Eventually(t, func() bool {
		var repo struct {
			Empty bool `json:"empty"`
		}
		return g.API(t, http.MethodGet, "/repos/"+g.User+"/deploy", nil, &repo) == http.StatusOK && !repo.Empty &&
			g.API(t, http.MethodGet, pullsPath(g), nil, nil) == http.StatusOK
	}, 30*time.Second, 20*time.Millisecond, "gitea never took the seed push")

	dir := t.TempDir()
	secret := make([]byte, 16)
	_, _ = rand.Read(secret)
	e := &forgeEnv{g: g, tokenFile: filepath.Join(dir, "token"), secretFile: filepath.Join(dir, "webhook-secret"),
		secret: hex.EncodeToString(secret)}
	require.NoError(t, os.WriteFile(e.tokenFile, []byte(g.Token+"\n"), 0o600))
	require.NoError(t, os.WriteFile(e.secretFile, []byte(e.secret+"\n"), 0o600))
	return e
}

// gitConfig is the watcher's git section for the repository, read again
// every refresh; with webhook the forge endpoint is on (webhookSecretFile).
func (e *forgeEnv) gitConfig(refresh string, webhook bool) *watcher.GitConfig {
	f := &watcher.ForgeConfig{Kind: "gitea", URL: e.g.URL, Owner: e.g.User, Repo: "deploy", TokenFile: e.tokenFile}
	if webhook {
		f.WebhookSecretFile = e.secretFile
	}
	return &watcher.GitConfig{URL: e.g.CloneURL("deploy"), Path: "deploy", Refresh: refresh, Forge: f}
}

// giteaPull is the part of Gitea's pull request JSON the tests check.
type giteaPull struct {
	Number   int64      `json:"number"`
	Title    string     `json:"title"`
	Body     string     `json:"body"`
	State    string     `json:"state"`
	Merged   bool       `json:"merged"`
	MergedAt *time.Time `json:"merged_at"`
	Head     struct {
		Ref string `json:"ref"`
	} `json:"head"`
	Base struct {
		Ref string `json:"ref"`
	} `json:"base"`
	Labels []struct {
		Name string `json:"name"`
	} `json:"labels"`
}

func (p giteaPull) labels() []string {
	var out []string
	for _, l := range p.Labels {
		out = append(out, l.Name)
	}
	return out
}

// pullsPath is the API path of the repository's pull requests.
func pullsPath(g *testenv.Gitea) string { return "/repos/" + g.User + "/deploy/pulls" }

// listPulls lists every pull request of the repository (open and closed,
// all pages).
func listPulls(t testing.TB, g *testenv.Gitea) []giteaPull {
	t.Helper()
	var all []giteaPull
	for page := 1; ; page++ {
		var prs []giteaPull
		require.Equal(t, http.StatusOK, g.API(t, http.MethodGet, fmt.Sprintf("%s?state=all&limit=50&page=%d", pullsPath(g), page), nil, &prs))
		if len(prs) == 0 {
			return all
		}
		all = append(all, prs...)
	}
}

// pullsByCNF groups pull requests by the CNF of their head branch
// (proposed/deploy/<cnf>/<id>); heads of no proposal are under "".
func pullsByCNF(prs []giteaPull) map[string][]giteaPull {
	out := map[string][]giteaPull{}
	for _, p := range prs {
		cnf := ""
		if parts := strings.Split(p.Head.Ref, "/"); len(parts) == 4 && parts[0] == "proposed" && parts[1] == "deploy" {
			cnf = parts[2]
		}
		out[cnf] = append(out[cnf], p)
	}
	return out
}

// pullCount is the number of pull requests of the repository, open and
// closed: the list's X-Total-Count, read with one small request.
func pullCount(t testing.TB, g *testenv.Gitea) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, g.URL+"/api/v1"+pullsPath(g)+"?state=all&limit=1", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "token "+g.Token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	n, err := strconv.Atoi(resp.Header.Get("X-Total-Count"))
	require.NoError(t, err, "X-Total-Count")
	return n
}

// requireOnePullPerCNF fails unless each of the n CNFs upf-00 ... has
// exactly one pull request and no two share a head; it returns them.
func requireOnePullPerCNF(t testing.TB, g *testenv.Gitea, n int) map[string]giteaPull {
	t.Helper()
	prs := listPulls(t, g)
	heads := map[string]int{}
	for _, p := range prs {
		heads[p.Head.Ref]++
	}
	for h, c := range heads {
		if c != 1 {
			t.Fatalf("%d pull requests from %s", c, h)
		}
	}
	by := pullsByCNF(prs)
	if len(prs) != n || len(by) != n {
		t.Fatalf("%d pull requests for %d CNFs, want one for each of %d: %v", len(prs), len(by), n, heads)
	}
	out := map[string]giteaPull{}
	for i := range n {
		cnf := fmt.Sprintf("upf-%02d", i)
		if len(by[cnf]) != 1 {
			t.Fatalf("%s has %d pull requests: %v", cnf, len(by[cnf]), heads)
		}
		out[cnf] = by[cnf][0]
	}
	return out
}

// mergePull merges pull request number through the API as the admin.
// Gitea answers 405 until its mergeability check of a new pull request
// has run: that is retried.
func mergePull(t testing.TB, g *testenv.Gitea, number int64) {
	t.Helper()
	path := fmt.Sprintf("%s/%d/merge", pullsPath(g), number)
	deadline := time.Now().Add(30 * time.Second)
	for {
		status := g.API(t, http.MethodPost, path, map[string]any{"Do": "merge"}, nil)
		if status == http.StatusOK {
			return
		}
		require.Equal(t, http.StatusMethodNotAllowed, status, "merge #%d", number)
		require.False(t, time.Now().After(deadline), "pull request #%d not mergeable after 30 s", number)
		time.Sleep(100 * time.Millisecond)
	}
}

// pull reads pull request number.
func pull(t testing.TB, g *testenv.Gitea, number int64) giteaPull {
	t.Helper()
	var p giteaPull
	require.Equal(t, http.StatusOK, g.API(t, http.MethodGet, fmt.Sprintf("%s/%d", pullsPath(g), number), nil, &p))
	return p
}

// mainFile returns the content of path on main.
func mainFile(t testing.TB, g *testenv.Gitea, path string) string {
	t.Helper()
	var c struct {
		Content  string `json:"content"`
		Encoding string `json:"encoding"`
	}
	require.Equal(t, http.StatusOK, g.API(t, http.MethodGet, "/repos/"+g.User+"/deploy/contents/"+path+"?ref=main", nil, &c))
	require.Equal(t, "base64", c.Encoding)
	b, err := base64.StdEncoding.DecodeString(c.Content)
	require.NoError(t, err)
	return string(b)
}

// cooling is the value of planner_cooldown_active{cnf} ("" when absent).
func cooling(t *testing.T, base, cnf string) string {
	t.Helper()
	prefix := `planner_cooldown_active{cnf="` + cnf + `"} `
	for _, line := range strings.Split(get(t, base+"/metrics"), "\n") {
		if v, ok := strings.CutPrefix(line, prefix); ok {
			return v
		}
	}
	return ""
}

// forgeRules: a manual scale-out for upf-00 and upf-01, an auto one for
// upf-02, each with a 1 min cooldown.
const forgeRules = `apiVersion: nephoran.com/v1
kind: AutomationRule
metadata:
  name: upf-00-prb-scaling
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
  name: upf-01-prb-scaling
spec:
  target: {names: [upf-01]}
  condition: "metrics['kpm.prb_utilization'] > 0.85"
  action: scale_out
  cooldown: 1m
  intentTemplate: "Scale out {.CNF}: PRB utilization {.Value}"
---
apiVersion: nephoran.com/v1
kind: AutomationRule
metadata:
  name: upf-02-prb-scaling-auto
spec:
  target: {names: [upf-02]}
  condition: "metrics['kpm.prb_utilization'] > 0.85"
  action: scale_out
  approval: auto
  cooldown: 1m
  intentTemplate: "Scale out {.CNF}: PRB utilization {.Value}"
`

// writeRules writes rules into a new rule directory and returns it.
func writeRules(t testing.TB, rules string) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "rules.yaml"), []byte(rules), 0o644))
	return dir
}

// TestForgeBreachOpensOnePullRequest is the review stage end to end, in
// process, against a real Gitea whose webhook is the only way the watcher
// learns about reviews (the repository is read again every hour):
//
//   - a KPM breach of upf-00 ends as exactly one open pull request from
//     proposed/deploy/upf-00/<id> into main, titled with the rendered
//     intentTemplate, labelled nephoran/scale_out, whose body carries the
//     decision marker, the CNF, replicas 2 -> 3, the metric value and the
//     reproduce commands, and whose changes are all under deploy/upf-00/;
//   - upf-02's auto rule ends with its pull request merged by the watcher
//     and the change on main;
//   - upf-01's pull request closed through the API holds its next breach
//     as Rejected, naming the close and who closed it;
//   - upf-00's pull request merged through the API restarts its cooldown
//     from the merge: the next breach is CooldownActive, started at the
//     pull request's merged_at (the decision's own cooldown is long over
//     on the watcher's clock).
func TestForgeBreachOpensOnePullRequest(t *testing.T) {
	e := startForge(t, 3)
	g := e.g
	rules := writeRules(t, forgeRules)
	// The first breach is 10 minutes before now on the watcher's clock:
	// its decisions' cooldowns are over by the time the reviews happen
	// (now, on Gitea's clock).
	epoch := time.Now().UTC().Truncate(30 * time.Second).Add(-10 * time.Minute)
	clock := &movingClock{t: epoch}
	base := runInProcess(t, watcher.Options{Rules: rules, Now: clock.Now,
		Config: watcher.Config{Git: e.gitConfig("1h", true)}})
	require.Positive(t, g.AddWebhook(t, "deploy", base+watcher.ForgeEventsPath, e.secret))

	breach(t, base, clock, epoch, "gnb-000", "gnb-001", "gnb-002")
	var by map[string][]giteaPull
	require.Eventually(t, func() bool {
		by = pullsByCNF(listPulls(t, g))
		return len(by["upf-00"]) == 1 && by["upf-00"][0].State == "open" &&
			len(by["upf-01"]) == 1 && by["upf-01"][0].State == "open" &&
			len(by["upf-02"]) == 1 && by["upf-02"][0].Merged
	}, 60*time.Second, 100*time.Millisecond, "open pull requests of upf-00 and upf-01, upf-02's merged: %v", by)
	require.Len(t, by, 3, "no other pull request: %v", by)

	// upf-00's pull request.
	ds := decisions(t, base, "cnf=upf-00&suppressed=none")
	require.Len(t, ds, 1)
	d, pr := ds[0], by["upf-00"][0]
	require.Equal(t, "proposed/deploy/upf-00/"+d.ID, pr.Head.Ref)
	require.Equal(t, "main", pr.Base.Ref)
	require.Equal(t, "Scale out upf-00: PRB utilization 0.9", d.Reason)
	require.Equal(t, d.Reason, pr.Title, "the title is the rendered intentTemplate")
	require.Contains(t, pr.labels(), "nephoran/scale_out")
	require.NotContains(t, pr.labels(), "nephoran/auto")
	for _, want := range []string{
		"<!-- nephoran:decision " + d.ID + " -->",
		"`upf-00`",
		"`2` → `3`",
		"`kpm.prb_utilization` | `0.9`",
		"nephoran trace export",
		"nephoran replay",
	} {
		require.Contains(t, pr.Body, want)
	}
	require.True(t, strings.HasPrefix(pr.Body, "<!-- nephoran:decision "+d.ID+" -->\n"), "the marker comes first")
	var files []struct {
		Filename string `json:"filename"`
	}
	require.Equal(t, http.StatusOK, g.API(t, http.MethodGet, fmt.Sprintf("%s/%d/files", pullsPath(g), pr.Number), nil, &files))
	require.NotEmpty(t, files)
	for _, f := range files {
		require.True(t, strings.HasPrefix(f.Filename, "deploy/upf-00/"), "%s changed by upf-00's proposal", f.Filename)
	}

	// upf-02 (auto): merged by the watcher; main has the change.
	auto := pull(t, g, by["upf-02"][0].Number)
	require.Equal(t, "closed", auto.State)
	require.True(t, auto.Merged)
	require.Contains(t, auto.labels(), "nephoran/auto")
	require.Contains(t, mainFile(t, g, "deploy/upf-02/cnf.yaml"), "  replicas: 3\n")
	require.Contains(t, mainFile(t, g, "deploy/upf-00/cnf.yaml"), "  replicas: 2\n", "upf-00 waits for its review")

	// The reviews happen now. The watcher's clock moves there first: the
	// first decisions' cooldowns are over.
	now := time.Now().UTC().Truncate(30 * time.Second)
	clock.Set(now)
	require.Eventually(t, func() bool { return cooling(t, base, "upf-00") == "0" }, 10*time.Second, 50*time.Millisecond)

	rejected := by["upf-01"][0]
	require.Equal(t, http.StatusCreated, g.API(t, http.MethodPatch, fmt.Sprintf("%s/%d", pullsPath(g), rejected.Number),
		map[string]any{"state": "closed"}, nil))
	mergePull(t, g, pr.Number)
	merged := pull(t, g, pr.Number)
	require.True(t, merged.Merged)
	require.NotNil(t, merged.MergedAt)
	// Only the webhook can tell the watcher (no refresh for an hour): its
	// cooldown of upf-00 restarts at the merge. The read that saw the
	// merge listed the close before it too.
	require.Eventually(t, func() bool { return cooling(t, base, "upf-00") == "1" }, 30*time.Second, 50*time.Millisecond,
		"the merge never reached the watcher")

	breach(t, base, clock, now, "gnb-000", "gnb-001")
	var held, rej []decisionItem
	require.Eventually(t, func() bool {
		held = decisions(t, base, "cnf=upf-00&suppressed=CooldownActive")
		rej = decisions(t, base, "cnf=upf-01&suppressed=Rejected")
		return len(held) == 1 && len(rej) == 1
	}, 20*time.Second, 50*time.Millisecond, "decisions: %s", get(t, base+"/api/v1/decisions"))
	require.Contains(t, held[0].Detail, "started "+merged.MergedAt.UTC().Format(time.RFC3339),
		"the cooldown counts from the merge")
	require.Contains(t, rej[0].Detail, fmt.Sprintf("pull request #%d closed without merging", rejected.Number))
	require.Contains(t, rej[0].Detail, "by "+g.User)
	require.Len(t, decisions(t, base, "cnf=upf-00&suppressed=none"), 1, "no second scale-out of upf-00")
	require.Len(t, decisions(t, base, "cnf=upf-01&suppressed=none"), 1, "no second scale-out of upf-01")

	after := pullsByCNF(listPulls(t, g))
	require.Len(t, after, 3)
	for cnf, prs := range after {
		require.Len(t, prs, 1, "%s has %d pull requests", cnf, len(prs))
	}
	require.Equal(t, "closed", pull(t, g, rejected.Number).State)
	require.False(t, pull(t, g, rejected.Number).Merged)
}

// TestForgeReconciliationWithoutWebhooks: without a webhook secret the
// forge endpoint is off, and the periodic refresh (every 300 ms) is what
// learns that a pull request was merged: the next breach cools down from
// the merge.
func TestForgeReconciliationWithoutWebhooks(t *testing.T) {
	e := startForge(t, 1)
	g := e.g
	rules := writeRules(t, strings.SplitN(forgeRules, "---\n", 2)[0])
	epoch := time.Now().UTC().Truncate(30 * time.Second).Add(-10 * time.Minute)
	clock := &movingClock{t: epoch}
	base := runInProcess(t, watcher.Options{Rules: rules, Now: clock.Now,
		Config: watcher.Config{Git: e.gitConfig("300ms", false)}})
	post(t, base+watcher.ForgeEventsPath, `{}`, http.StatusNotFound)

	breach(t, base, clock, epoch, "gnb-000")
	var prs []giteaPull
	require.Eventually(t, func() bool {
		prs = listPulls(t, g)
		return len(prs) == 1
	}, 60*time.Second, 100*time.Millisecond)
	ds := decisions(t, base, "cnf=upf-00&suppressed=none")
	require.Len(t, ds, 1)
	require.Equal(t, "proposed/deploy/upf-00/"+ds[0].ID, prs[0].Head.Ref)

	now := time.Now().UTC().Truncate(30 * time.Second)
	clock.Set(now)
	require.Eventually(t, func() bool { return cooling(t, base, "upf-00") == "0" }, 10*time.Second, 50*time.Millisecond)
	mergePull(t, g, prs[0].Number)
	merged := pull(t, g, prs[0].Number)
	require.True(t, merged.Merged)
	require.NotNil(t, merged.MergedAt)
	require.Eventually(t, func() bool { return cooling(t, base, "upf-00") == "1" }, 30*time.Second, 50*time.Millisecond,
		"reconciliation never saw the merge")

	breach(t, base, clock, now, "gnb-000")
	var held []decisionItem
	require.Eventually(t, func() bool {
		held = decisions(t, base, "cnf=upf-00&suppressed=CooldownActive")
		return len(held) == 1
	}, 20*time.Second, 50*time.Millisecond, "decisions: %s", get(t, base+"/api/v1/decisions"))
	require.Contains(t, held[0].Detail, "started "+merged.MergedAt.UTC().Format(time.RFC3339))
	require.Len(t, listPulls(t, g), 1)
}

// postForgeEvent posts body to the forge endpoint with event and
// signature headers (none when empty) and returns the status.
func postForgeEvent(t testing.TB, base, event, signature, body string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+watcher.ForgeEventsPath, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if event != "" {
		req.Header.Set("X-Gitea-Event", event)
	}
	if signature != "" {
		req.Header.Set("X-Gitea-Signature", signature)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// sign is Gitea's X-Gitea-Signature of body: hex(HMAC-SHA256(secret, body)).
func sign(secret, body string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	return hex.EncodeToString(mac.Sum(nil))
}

// TestForgeWebhookRefusesBadSignatures: the forge endpoint takes only
// deliveries signed with the webhook secret (401 otherwise, whatever the
// event), and answers 202 to signed events it does not act on (a ping, a
// push) as well as to signed pull-request events.
func TestForgeWebhookRefusesBadSignatures(t *testing.T) {
	e := startForge(t, 1)
	base := runInProcess(t, watcher.Options{Rules: writeRules(t, restartRules),
		Config: watcher.Config{Git: e.gitConfig("1h", true)}})

	closed := `{"action":"closed","number":7,"pull_request":{"number":7,"state":"closed","merged":false,` +
		`"head":{"ref":"proposed/deploy/upf-00/0123456789abcdef","repo_id":1},"base":{"ref":"main","repo_id":1}},` +
		`"sender":{"login":"reviewer"}}`
	ping := `{"zen":"Keep it logically awesome.","hook_id":1}`
	for _, tc := range []struct {
		name, event, signature, body string
		want                         int
	}{
		{"pull request, no signature", "pull_request", "", closed, http.StatusUnauthorized},
		{"pull request, wrong secret", "pull_request", sign("not-the-secret", closed), closed, http.StatusUnauthorized},
		{"pull request, signature of another body", "pull_request", sign(e.secret, closed+" "), closed, http.StatusUnauthorized},
		{"pull request, not hex", "pull_request", "zz" + sign(e.secret, closed)[2:], closed, http.StatusUnauthorized},
		{"ping, no signature", "ping", "", ping, http.StatusUnauthorized},
		{"ping, wrong secret", "ping", sign("not-the-secret", ping), ping, http.StatusUnauthorized},
		{"no event, no signature", "", "", ping, http.StatusUnauthorized},
		{"ping, signed", "ping", sign(e.secret, ping), ping, http.StatusAccepted},
		{"push, signed", "push", sign(e.secret, `{"ref":"refs/heads/main"}`), `{"ref":"refs/heads/main"}`, http.StatusAccepted},
		{"pull request, signed", "pull_request", sign(e.secret, closed), closed, http.StatusAccepted},
	} {
		require.Equal(t, tc.want, postForgeEvent(t, base, tc.event, tc.signature, tc.body), tc.name)
	}
	require.Contains(t, get(t, base+"/readyz"), "ok", "the watcher still serves")
}

// TestForgeKill9LeavesOnePullRequestPerProposal posts one LINK_DOWN per
// CNF for 8 CNFs to bin/nephoran watch with a Gitea forge, kills it with
// SIGKILL at random points three times while it decides, pushes and opens
// pull requests, retries every event not acknowledged, and at the end
// finds exactly one pull request per CNF on Gitea: none lost, none
// opened twice for a branch, no second branch.
func TestForgeKill9LeavesOnePullRequestPerProposal(t *testing.T) {
	const n = 8
	e := startForge(t, n)
	g := e.g
	dir := t.TempDir()
	rules, data := filepath.Join(dir, "rules"), filepath.Join(dir, "data")
	require.NoError(t, os.MkdirAll(rules, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(rules, "restart.yaml"), []byte(restartRules), 0o644))
	config := filepath.Join(dir, "watch.yaml")
	require.NoError(t, os.WriteFile(config, fmt.Appendf(nil, `git:
  url: %q
  path: deploy
  refresh: 1s
  forge:
    kind: gitea
    url: %q
    owner: %q
    repo: deploy
    tokenFile: %q
`, g.CloneURL("deploy"), g.URL, g.User, e.tokenFile), 0o600))
	args := []string{"--config", config, "--rules", rules}

	// A push and a pull request take about half a second each here: the
	// kills are spread over up to 1.5 s.
	killRounds(t, n, 1500*time.Millisecond, func() (*exec.Cmd, string) { return watch(t, data, args...) },
		func(base string) bool {
			return pullCount(t, g) >= n && strings.Contains(get(t, base+"/metrics"), "planner_proposals_pending 0")
		},
		func() string { return fmt.Sprintf("%d pull requests so far", pullCount(t, g)) })
	for cnf, p := range requireOnePullPerCNF(t, g, n) {
		require.Equal(t, "open", p.State, cnf)
		require.Equal(t, "main", p.Base.Ref, cnf)
		require.Contains(t, p.labels(), "nephoran/restart", cnf)
		require.Contains(t, p.Body, "<!-- nephoran:decision "+p.Head.Ref[strings.LastIndex(p.Head.Ref, "/")+1:]+" -->", cnf)
	}
}

// BenchmarkWindowCloseToPullRequest measures, in process against a real
// Gitea, the time from the KPM report that closes a breaching window (it
// moves the clock past the window's end and grace) to the pull request
// being listed by Gitea's API: decide, queue, commit and push the
// proposal branch, find no pull request of it, create the labels the
// first time, open the pull request. One CNF (one KPM node) per iteration.
//
//	go test ./watcher -run '^$' -bench WindowCloseToPullRequest -benchtime 20x
func BenchmarkWindowCloseToPullRequest(b *testing.B) {
	e := startForge(b, b.N)
	epoch := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	clock := &movingClock{t: epoch}
	base := runInProcess(b, watcher.Options{Rules: writeRules(b, upfScaleOutRule), Now: clock.Now,
		Config: watcher.Config{Git: e.gitConfig("", false)}})
	windowCloseLatency(b, base, clock, func(i int) bool { return pullCount(b, e.g) >= i+1 })
	requireOnePullPerCNF(b, e.g, b.N)
}

// BenchmarkConcurrentProposalsToPullRequests measures the review stage's
// throughput against a real Gitea: 100 CNFs, one LINK_DOWN each posted
// concurrently, until 100 pull requests exist; then exactly one per CNF,
// from 100 distinct heads. Reports the seconds it took.
//
//	go test ./watcher -run '^$' -bench ConcurrentProposalsToPullRequests -benchtime 1x
func BenchmarkConcurrentProposalsToPullRequests(b *testing.B) {
	const n = 100
	for range b.N {
		b.StopTimer()
		e := startForge(b, n)
		base := runInProcess(b, watcher.Options{Rules: writeRules(b, restartRules), Config: watcher.Config{Git: e.gitConfig("", false)}})
		b.StartTimer()
		t0 := time.Now()
		var wg sync.WaitGroup
		statuses := make([]int, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				body := linkDownFrom(fmt.Sprintf("src-%02d", i), fmt.Sprintf("ld-%03d", i))
				if resp, err := http.Post(base+"/eventListener/v7", "application/json", strings.NewReader(body)); err == nil {
					resp.Body.Close()
					statuses[i] = resp.StatusCode
				}
			}()
		}
		wg.Wait()
		for i, s := range statuses {
			if s != http.StatusAccepted {
				b.Fatalf("LINK_DOWN of src-%02d: status %d", i, s)
			}
		}
		deadline := t0.Add(5 * time.Minute)
		for pullCount(b, e.g) < n {
			if time.Now().After(deadline) {
				b.Fatalf("%d of %d pull requests after 5 min", pullCount(b, e.g), n)
			}
			time.Sleep(10 * time.Millisecond)
		}
		elapsed := time.Since(t0)
		b.StopTimer()
		requireOnePullPerCNF(b, e.g, n)
		b.ReportMetric(elapsed.Seconds(), "seconds")
	}
}

// TestForgeNewerDecisionSupersedesAnOpenPullRequest: while upf-00's
// scale_out pull request is open, a scale_in decision goes through; its
// pull request is opened and the scale_out one closed (not merged) with a
// comment linking it.
func TestForgeNewerDecisionSupersedesAnOpenPullRequest(t *testing.T) {
	e := startForge(t, 1)
	rules := writeRules(t, `apiVersion: nephoran.com/v1
kind: AutomationRule
metadata:
  name: upf-out
spec:
  target: {nfType: upf}
  condition: "metrics['kpm.prb_utilization'] > 0.85"
  action: scale_out
---
apiVersion: nephoran.com/v1
kind: AutomationRule
metadata:
  name: upf-in
spec:
  target: {nfType: upf}
  condition: "metrics['kpm.prb_utilization'] < 0.2"
  action: scale_in
`)
	epoch := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	clock := &movingClock{t: epoch}
	base := runInProcess(t, watcher.Options{Rules: rules, Now: clock.Now, Config: watcher.Config{Git: e.gitConfig("300ms", false)}})

	breach(t, base, clock, epoch, "gnb-000")
	require.Eventually(t, func() bool { return pullCount(t, e.g) == 1 }, 30*time.Second, 20*time.Millisecond)
	older := listPulls(t, e.g)[0]
	require.Contains(t, older.labels(), "nephoran/scale_out")

	prbWindow(t, base, clock, epoch.Add(time.Minute), 10, "gnb-000")
	var prs []giteaPull
	require.Eventually(t, func() bool {
		prs = listPulls(t, e.g)
		return len(prs) == 2 && pull(t, e.g, older.Number).State == "closed"
	}, 30*time.Second, 20*time.Millisecond, "the scale_in pull request opened and the scale_out one closed")
	var newer giteaPull
	for _, p := range prs {
		if p.Number != older.Number {
			newer = p
		}
	}
	require.Equal(t, "open", newer.State)
	require.Contains(t, newer.labels(), "nephoran/scale_in")
	closed := pull(t, e.g, older.Number)
	require.False(t, closed.Merged)
	var comments []struct {
		Body string `json:"body"`
	}
	require.Equal(t, http.StatusOK, e.g.API(t, http.MethodGet, fmt.Sprintf("/repos/%s/deploy/issues/%d/comments", e.g.User, older.Number), nil, &comments))
	require.Len(t, comments, 1)
	require.Contains(t, comments[0].Body, fmt.Sprintf("Superseded by #%d (scale_in", newer.Number))
	require.Len(t, decisions(t, base, "cnf=upf-00&action=scale_in&suppressed=none"), 1, "the scale_in was not held")
	require.Empty(t, decisions(t, base, "cnf=upf-00&action=scale_in&suppressed=ProposalOpen"))
}
