package git_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/internal/testenv"
	"github.com/nephoran/nephoran/pipeline"
	"github.com/nephoran/nephoran/watcher/propose"
	gitpropose "github.com/nephoran/nephoran/watcher/propose/git"
)

const id1 = "3f2a9c0d1e4b5a67"

// TestProposePushesABranchThatChangesOnlyThePackage: the proposal is the
// branch proposed/<package>/<decision id> with one commit on main's head
// whose diff is the CNF's package re-rendered exactly as `nephoran intent`
// renders it (cnf.yaml and the Deployment at 3 replicas), nothing else, and
// whose message carries the reason, the evidence, the trailers and the kpt
// annotation.
func TestProposePushesABranchThatChangesOnlyThePackage(t *testing.T) {
	s := seed(t, upf("upf-edge-1"), upf("upf-edge-2"))
	main := s.Ref(t, repoName, "refs/heads/main")
	p := newProposer(t, s, gitpropose.Options{})
	d := decision("upf-edge-1", nephv1.ActionScaleOut, id1, nephv1.ApprovalManual)

	prop, err := p.Propose(context.Background(), d)
	require.NoError(t, err)
	branch := "proposed/deploy/upf-edge-1/" + id1
	require.Equal(t, propose.Proposal{ID: id1, CNF: "upf-edge-1", Action: nephv1.ActionScaleOut, Ref: branch,
		Commit: s.Ref(t, repoName, "refs/heads/"+branch), At: decidedAt}, prop)
	require.Equal(t, main, s.Ref(t, repoName, "refs/heads/main"), "main is untouched")

	dir := clone(t, s, prop.Commit)
	require.Equal(t, main, testenv.Git(t, dir, "rev-parse", "HEAD^"), "one commit on main's head")
	changed := strings.Split(testenv.Git(t, dir, "diff", "--name-only", main, "HEAD"), "\n")
	require.Subset(t, changed, []string{"deploy/upf-edge-1/cnf.yaml", "deploy/upf-edge-1/deployment.yaml"})
	for _, f := range changed {
		require.True(t, strings.HasPrefix(f, "deploy/upf-edge-1/"), "%s is outside the package", f)
	}
	diff := testenv.Git(t, dir, "diff", main, "HEAD", "--", "deploy/upf-edge-1/cnf.yaml", "deploy/upf-edge-1/deployment.yaml")
	require.Contains(t, diff, "-  replicas: 2\n+  replicas: 3")

	// The same intent applied by `nephoran intent`'s code on a copy of the
	// package as seeded gives the same files.
	want := testenv.CopyDir(t, filepath.Join(clone(t, s, main), "deploy", "upf-edge-1"))
	_, err = pipeline.ApplyIntent(want, d.Intent, decidedAt)
	require.NoError(t, err)
	require.Equal(t, testenv.Files(t, want), testenv.Files(t, filepath.Join(dir, "deploy", "upf-edge-1")))

	msg := testenv.Git(t, dir, "log", "-1", "--format=%B")
	lines := strings.Split(msg, "\n")
	require.Equal(t, d.Reason, lines[0])
	require.Empty(t, lines[1])
	for _, want := range []string{
		"Rule:        scale-out-on-prb", "Action:      scale_out", "CNF:         upf-edge-1 (package deploy/upf-edge-1)",
		"Correlation: gnb-001/2026-01-01T00:00:00Z", "Approval:    manual",
		"  metrics: kpm.prb_utilization=0.93 kpm.ue_count=120",
		"  window: end=2026-01-01T00:00:30Z node=gnb-001 start=2026-01-01T00:00:00Z",
	} {
		require.Contains(t, lines, want)
	}
	require.Equal(t, "nephoran-watcher <watcher@nephoran.invalid>", testenv.Git(t, dir, "log", "-1", "--format=%an <%ae>"))

	trailers := gitTrailers(t, dir)
	require.Equal(t, d.Intent.Name, trailers["Nephoran-Intent-Id"])
	require.Equal(t, id1, trailers["Nephoran-Decision-Id"])
	require.Equal(t, "scale-out-on-prb", trailers["Nephoran-Rule"])
	require.Equal(t, "gnb-001/2026-01-01T00:00:00Z", trailers["Nephoran-Correlation-Id"])
	require.Equal(t, "upf-edge-1", trailers["Nephoran-CNF"])
	require.Equal(t, "scale_out", trailers["Nephoran-Action"])

	var kpt struct {
		Package       string `json:"package"`
		WorkspaceName string `json:"workspaceName"`
		Task          struct {
			Type string `json:"type"`
			Edit struct {
				SourceRef struct {
					Name string `json:"name"`
				} `json:"sourceRef"`
			} `json:"edit"`
		} `json:"task"`
	}
	last := lines[len(lines)-1]
	require.True(t, strings.HasPrefix(last, "kpt:{"), last)
	require.NoError(t, json.Unmarshal([]byte(strings.TrimPrefix(last, "kpt:")), &kpt))
	require.Equal(t, "deploy/upf-edge-1", kpt.Package)
	require.Equal(t, id1, kpt.WorkspaceName)
	require.Equal(t, "edit", kpt.Task.Type)
	require.Equal(t, "deployments.deploy.upf-edge-1.main", kpt.Task.Edit.SourceRef.Name)
}

// gitTrailers parses HEAD's trailers with git itself.
func gitTrailers(t *testing.T, dir string) map[string]string {
	t.Helper()
	msgFile := filepath.Join(t.TempDir(), "msg")
	require.NoError(t, os.WriteFile(msgFile, []byte(testenv.Git(t, dir, "log", "-1", "--format=%B")), 0o644))
	out := map[string]string{}
	for _, line := range strings.Split(testenv.Git(t, dir, "interpret-trailers", "--parse", msgFile), "\n") {
		k, v, _ := strings.Cut(line, ": ")
		out[k] = v
	}
	return out
}

// TestProposeIsIdempotentAcrossRetriesAndRestarts: delivering the same
// decision again, from the same proposer or from a new one with a fresh
// state directory, finds the first branch (Existed) and makes no second.
func TestProposeIsIdempotentAcrossRetriesAndRestarts(t *testing.T) {
	s := seed(t, upf("upf-edge-1"))
	d := decision("upf-edge-1", nephv1.ActionScaleOut, id1, nephv1.ApprovalManual)
	p := newProposer(t, s, gitpropose.Options{})
	first, err := p.Propose(context.Background(), d)
	require.NoError(t, err)
	require.False(t, first.Existed)

	again, err := p.Propose(context.Background(), d)
	require.NoError(t, err)
	require.True(t, again.Existed)
	again.Existed = false
	require.Equal(t, first, again)

	restarted := newProposer(t, s, gitpropose.Options{})
	third, err := restarted.Propose(context.Background(), d)
	require.NoError(t, err)
	require.True(t, third.Existed)
	require.Equal(t, first.Commit, third.Commit)
	require.Equal(t, first.At.Unix(), third.At.Unix())

	require.Equal(t, []string{first.Ref}, branches(t, s, "proposed/"))
}

// TestProposeThatChangesNothingIsErrNoChange: an intent apply-intent
// refuses or finds applied already is ErrNoChange with its reason, and no
// branch is pushed.
func TestProposeThatChangesNothingIsErrNoChange(t *testing.T) {
	applied := decision("upf-edge-1", nephv1.ActionScaleOut, id1, nephv1.ApprovalManual)
	for _, tc := range []struct {
		name   string
		pkg    pkg
		reason string
	}{
		{"at maxReplicas", upf("upf-edge-1", [2]string{"  replicas: 2\n", "  replicas: 10\n"}), "already 10, at maxReplicas 10"},
		{"the intent is the package's last intent already", upf("upf-edge-1",
			[2]string{"  annotations:\n", "  annotations:\n    nephoran.com/last-intent-id: " + applied.Intent.Name + "\n"}), "was already applied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := seed(t, tc.pkg)
			p := newProposer(t, s, gitpropose.Options{})
			_, err := p.Propose(context.Background(), applied)
			require.ErrorIs(t, err, propose.ErrNoChange)
			require.ErrorContains(t, err, tc.reason)
			require.Empty(t, branches(t, s, "proposed/"))
		})
	}
	t.Run("the CNF is not in the repository", func(t *testing.T) {
		s := seed(t, upf("upf-edge-2"))
		p := newProposer(t, s, gitpropose.Options{})
		_, err := p.Propose(context.Background(), applied)
		require.ErrorIs(t, err, propose.ErrNoChange)
		require.ErrorContains(t, err, `no CNFDeployment named "upf-edge-1"`)
	})
}

// TestProposeMigrateExcludesTheNode: a migrate proposal adds the avoided
// node to the placement and the re-rendered Deployment's affinity.
func TestProposeMigrateExcludesTheNode(t *testing.T) {
	s := seed(t, upf("upf-edge-1"))
	p := newProposer(t, s, gitpropose.Options{})
	prop, err := p.Propose(context.Background(), decision("upf-edge-1", nephv1.ActionMigrate, id1, nephv1.ApprovalManual))
	require.NoError(t, err)
	require.Equal(t, "proposed/deploy/upf-edge-1/"+id1, prop.Ref)
	dir := clone(t, s, prop.Commit)
	cnf, err := os.ReadFile(filepath.Join(dir, "deploy", "upf-edge-1", "cnf.yaml"))
	require.NoError(t, err)
	require.Contains(t, string(cnf), "excludedNodes:")
	require.Contains(t, string(cnf), "edge-1-node-7")
	deployment, err := os.ReadFile(filepath.Join(dir, "deploy", "upf-edge-1", "deployment.yaml"))
	require.NoError(t, err)
	require.Contains(t, string(deployment), "edge-1-node-7")
}

// TestAutoApprovalMergesOntoMain: an auto proposal is pushed as a branch and
// landed on main as one commit on main's head with the same change, the
// same message and a Nephoran-Merged-From trailer.
func TestAutoApprovalMergesOntoMain(t *testing.T) {
	s := seed(t, upf("upf-edge-1"))
	main := s.Ref(t, repoName, "refs/heads/main")
	p := newProposer(t, s, gitpropose.Options{})
	prop, err := p.Propose(context.Background(), decision("upf-edge-1", nephv1.ActionScaleOut, id1, nephv1.ApprovalAuto))
	require.NoError(t, err)
	require.True(t, prop.Merged)
	require.Equal(t, prop.Commit, s.Ref(t, repoName, "refs/heads/"+prop.Ref), "the branch stays for the record")

	merged := s.Ref(t, repoName, "refs/heads/main")
	dir := clone(t, s, merged)
	require.Equal(t, main, testenv.Git(t, dir, "rev-parse", "HEAD^"))
	require.Empty(t, testenv.Git(t, dir, "diff", prop.Commit, "HEAD"), "main holds what the branch proposed")
	tr := gitTrailers(t, dir)
	require.Equal(t, prop.Ref, tr["Nephoran-Merged-From"])
	require.Equal(t, id1, tr["Nephoran-Decision-Id"])

	st, err := p.State(context.Background())
	require.NoError(t, err)
	require.Empty(t, st.Open, "a merged proposal is not open")

	again, err := p.Propose(context.Background(), decision("upf-edge-1", nephv1.ActionScaleOut, id1, nephv1.ApprovalAuto))
	require.NoError(t, err)
	require.True(t, again.Existed)
	require.True(t, again.Merged)
	require.Equal(t, merged, s.Ref(t, repoName, "refs/heads/main"), "a retry merges nothing twice")
}

// TestAutoApprovalRebuildsWhenMainMovesDuringTheMerge: another writer
// pushes to main between the proposer reading main and pushing its merge;
// the server refuses the stale update, and the proposer applies the intent
// again on the new head, keeping the other writer's change.
func TestAutoApprovalRebuildsWhenMainMovesDuringTheMerge(t *testing.T) {
	s := seed(t, upf("upf-edge-1"))
	p := newProposer(t, s, gitpropose.Options{})
	var pushes atomic.Int32
	var concurrent string
	s.OnRequest(func(r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/git-receive-pack") && pushes.Add(1) == 2 {
			// The second push is the merge into main: someone else lands
			// an image bump on main just before it (cnf.yaml only).
			concurrent = s.Commit(t, repoName, "bump the UPF image", func(work string) {
				edit(t, filepath.Join(work, "deploy", "upf-edge-1", "cnf.yaml"),
					[2]string{"upf:1.4.2", "upf:1.4.3"})
			})
		}
	})
	prop, err := p.Propose(context.Background(), decision("upf-edge-1", nephv1.ActionScaleOut, id1, nephv1.ApprovalAuto))
	require.NoError(t, err)
	require.True(t, prop.Merged)
	require.EqualValues(t, 3, pushes.Load(), "branch, refused merge, merge")

	dir := clone(t, s, s.Ref(t, repoName, "refs/heads/main"))
	require.Equal(t, concurrent, testenv.Git(t, dir, "rev-parse", "HEAD^"), "the merge sits on the other writer's commit")
	deployment, err := os.ReadFile(filepath.Join(dir, "deploy", "upf-edge-1", "deployment.yaml"))
	require.NoError(t, err)
	require.Contains(t, string(deployment), "  replicas: 3\n")
	require.Contains(t, string(deployment), "upf:1.4.3", "re-rendered on the new head: the bump is rendered too")
}

// TestAutoApprovalThatNoLongerAppliesLeavesTheBranch: main moves to the
// bound after the branch is pushed; the merge is refused by the guardrails,
// the branch stays open for a person and the error is ErrNoChange.
func TestAutoApprovalThatNoLongerAppliesLeavesTheBranch(t *testing.T) {
	s := seed(t, upf("upf-edge-1"))
	p := newProposer(t, s, gitpropose.Options{})
	var pushes atomic.Int32
	var concurrent string
	s.OnRequest(func(r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/git-receive-pack") && pushes.Add(1) == 2 {
			// Just before the merge lands, someone scales to the max by
			// hand: the merge is refused, and at the new head the intent
			// is at the bound.
			concurrent = s.Commit(t, repoName, "scale to the max by hand", func(work string) {
				edit(t, filepath.Join(work, "deploy", "upf-edge-1", "cnf.yaml"), [2]string{"  replicas: 2\n", "  replicas: 10\n"})
			})
		}
	})
	prop, err := p.Propose(context.Background(), decision("upf-edge-1", nephv1.ActionScaleOut, id1, nephv1.ApprovalAuto))
	require.ErrorIs(t, err, propose.ErrNoChange)
	require.ErrorContains(t, err, "left for review")
	require.ErrorContains(t, err, "maxReplicas 10")
	require.False(t, prop.Merged)
	require.Equal(t, prop.Commit, s.Ref(t, repoName, "refs/heads/"+prop.Ref))
	require.Equal(t, concurrent, s.Ref(t, repoName, "refs/heads/main"))

	st, err := p.State(context.Background())
	require.NoError(t, err)
	require.Len(t, st.Open, 1)
	require.Equal(t, prop.Ref, st.Open[0].Ref)
}

// TestStateReadsTheInventoryAndTheOpenProposals: every CNFDeployment under
// Path with its package, and only the proposals main does not hold: one
// merged by the auto path and one merged by a person are not open.
func TestStateReadsTheInventoryAndTheOpenProposals(t *testing.T) {
	s := seed(t, upf("upf-edge-1"), upf("upf-edge-2"), upf("upf-edge-3"), pkg{"amf", "amf-core", nil})
	p := newProposer(t, s, gitpropose.Options{})
	ctx := context.Background()

	open, err := p.Propose(ctx, decision("upf-edge-1", nephv1.ActionScaleOut, "1111111111111111", nephv1.ApprovalManual))
	require.NoError(t, err)
	auto, err := p.Propose(ctx, decision("upf-edge-2", nephv1.ActionScaleOut, "2222222222222222", nephv1.ApprovalAuto))
	require.NoError(t, err)
	require.True(t, auto.Merged)
	byHand, err := p.Propose(ctx, decision("upf-edge-3", nephv1.ActionRestart, "3333333333333333", nephv1.ApprovalManual))
	require.NoError(t, err)
	// A person merges it (a merge commit, as a forge does).
	work := filepath.Join(t.TempDir(), "work")
	testenv.Git(t, "", "clone", "--quiet", s.Dir(repoName), work)
	testenv.Git(t, work, "merge", "--quiet", "--no-ff", "-m", "Merge "+byHand.Ref, "origin/"+byHand.Ref)
	testenv.Git(t, work, "push", "--quiet", "origin", "HEAD:main")

	st, err := p.State(ctx)
	require.NoError(t, err)
	require.Equal(t, s.Ref(t, repoName, "refs/heads/main"), st.Head)
	var names, pkgs []string
	replicas := map[string]int32{}
	for _, c := range st.CNFs {
		names, pkgs = append(names, c.Name), append(pkgs, c.Package)
		replicas[c.Name] = c.Spec.Replicas
	}
	require.Equal(t, []string{"amf-core", "upf-edge-1", "upf-edge-2", "upf-edge-3"}, names)
	require.Equal(t, []string{"deploy/amf-core", "deploy/upf-edge-1", "deploy/upf-edge-2", "deploy/upf-edge-3"}, pkgs)
	require.EqualValues(t, 2, replicas["upf-edge-1"], "an open proposal is not on main")
	require.EqualValues(t, 3, replicas["upf-edge-2"], "the auto merge is")
	for _, c := range st.CNFs {
		if c.Name == "upf-edge-2" {
			require.Equal(t, "upf-edge-2-scale-out-2222222222", c.Annotations[nephv1.AnnotationLastIntentID], "the cooldown state is read back")
		}
	}

	open.Existed = false
	require.Equal(t, []propose.Proposal{open}, st.Open)

	// The inventory State returns is the caller's to change.
	st.CNFs[0].Spec.Replicas = 99
	again, err := p.State(ctx)
	require.NoError(t, err)
	require.NotEqualValues(t, 99, again.CNFs[0].Spec.Replicas)
}

// TestStateRejectsACNFDeploymentThatDoesNotDecode: Git is the truth, so a
// CNFDeployment with an unknown field is an error naming file and field,
// not a CNF silently missing from the inventory.
func TestStateRejectsACNFDeploymentThatDoesNotDecode(t *testing.T) {
	s := seed(t, upf("upf-edge-1"), upf("upf-edge-2"))
	s.Commit(t, repoName, "typo", func(work string) {
		edit(t, filepath.Join(work, "deploy", "upf-edge-2", "cnf.yaml"), [2]string{"  replicas: 2\n", "  replicas: 2\n  replica: 3\n"})
	})
	p := newProposer(t, s, gitpropose.Options{})
	_, err := p.State(context.Background())
	require.ErrorContains(t, err, "deploy/upf-edge-2/cnf.yaml")
	require.ErrorContains(t, err, "spec.replica")
}

// TestProposeWhileTheServerIsDownFailsAndWorksWhenItIsBack: an outage is a
// plain error (the caller retries), not ErrNoChange; a proposer started
// during the outage from an earlier clone works once the server is back.
func TestProposeWhileTheServerIsDownFailsAndWorksWhenItIsBack(t *testing.T) {
	s := seed(t, upf("upf-edge-1"))
	dir := t.TempDir()
	p := newProposer(t, s, gitpropose.Options{Dir: dir})
	d := decision("upf-edge-1", nephv1.ActionScaleOut, id1, nephv1.ApprovalManual)

	s.Stop()
	_, err := p.Propose(context.Background(), d)
	require.Error(t, err)
	require.False(t, errors.Is(err, propose.ErrNoChange))
	_, err = p.State(context.Background())
	require.Error(t, err)
	require.NoError(t, p.Close())

	restarted := newProposer(t, s, gitpropose.Options{Dir: dir}) // from the local clone
	_, err = restarted.Propose(context.Background(), d)
	require.Error(t, err)

	s.Start(t)
	prop, err := restarted.Propose(context.Background(), d)
	require.NoError(t, err)
	require.False(t, prop.Existed)
	require.Equal(t, prop.Commit, s.Ref(t, repoName, "refs/heads/"+prop.Ref))

	_, err = gitpropose.New(context.Background(), gitpropose.Options{URL: s.URL("missing"), Dir: t.TempDir()})
	require.Error(t, err, "a first start without the server fails")
}

// TestCredentialsNeverAppearInErrorsOrLogs: with basic auth from the URL or
// from files, right credentials work, and wrong ones or an outage give
// errors and logs without the secret.
func TestCredentialsNeverAppearInErrorsOrLogs(t *testing.T) {
	const password, token = "pa55-w0rd-in-url", "t0ken-from-file"
	s := seed(t, upf("upf-edge-1"))
	s.RequireBasicAuth("watcher", password)
	withUser := func(pass string) string {
		return strings.Replace(s.URL(repoName), "http://", "http://watcher:"+pass+"@", 1)
	}
	var logs strings.Builder
	logger := testLogger(&logs)

	p := newProposer(t, s, gitpropose.Options{URL: withUser(password), Logger: logger})
	_, err := p.Propose(context.Background(), decision("upf-edge-1", nephv1.ActionScaleOut, id1, nephv1.ApprovalManual))
	require.NoError(t, err)
	require.Contains(t, logs.String(), "proposal pushed")
	require.Contains(t, logs.String(), "watcher:xxxxx@")

	s.Stop()
	_, err = p.State(context.Background())
	require.Error(t, err)
	require.NotContains(t, err.Error(), password)
	s.Start(t)

	passwordFile := filepath.Join(t.TempDir(), "password")
	require.NoError(t, os.WriteFile(passwordFile, []byte(password+"\n"), 0o600))
	fromFile := newProposer(t, s, gitpropose.Options{Auth: gitpropose.Auth{Username: "watcher", PasswordFile: passwordFile}, Logger: logger})
	_, err = fromFile.State(context.Background())
	require.NoError(t, err)

	for name, o := range map[string]gitpropose.Options{
		"wrong password in the URL": {URL: withUser("wr0ng-" + password)},
		"wrong token file":          {Auth: gitpropose.Auth{TokenFile: writeSecret(t, token)}},
	} {
		t.Run(name, func(t *testing.T) {
			if o.URL == "" {
				o.URL = s.URL(repoName)
			}
			o.Dir, o.Logger = t.TempDir(), logger
			_, err := gitpropose.New(context.Background(), o)
			require.Error(t, err)
			require.NotContains(t, err.Error(), password)
			require.NotContains(t, err.Error(), token)
		})
	}
	require.NotContains(t, logs.String(), password)
	require.NotContains(t, logs.String(), token)
}

func writeSecret(t *testing.T, secret string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(f, []byte(secret), 0o600))
	return f
}

// TestRebaseMovesAnAutoProposalOntoTheHead: with LeaveAutoUnmerged (a
// forge merges), an auto proposal stays a branch; after main moves, Rebase
// applies the intent again on the new head and moves the branch there
// (its one commit on top of main, only the package changed); a proposal
// already on the head is left as it is; and an intent that no longer
// applies at the head (main scaled to the bound by hand) is ErrNoChange
// with the branch untouched.
func TestRebaseMovesAnAutoProposalOntoTheHead(t *testing.T) {
	s := seed(t, upf("upf-edge-1"), upf("upf-edge-2"))
	p := newProposer(t, s, gitpropose.Options{LeaveAutoUnmerged: true})
	ctx := context.Background()
	d := decision("upf-edge-1", nephv1.ActionScaleOut, id1, nephv1.ApprovalAuto)
	prop, err := p.Propose(ctx, d)
	require.NoError(t, err)
	require.False(t, prop.Merged, "a forge merges it")

	same, err := p.Rebase(ctx, d, prop)
	require.NoError(t, err)
	require.Equal(t, prop.Commit, same.Commit, "already on the head")

	moved := s.Commit(t, repoName, "bump upf-edge-2's image", func(work string) {
		edit(t, filepath.Join(work, "deploy", "upf-edge-2", "cnf.yaml"), [2]string{"upf:1.4.2", "upf:1.4.3"})
	})
	rebased, err := p.Rebase(ctx, d, prop)
	require.NoError(t, err)
	require.NotEqual(t, prop.Commit, rebased.Commit)
	require.Equal(t, rebased.Commit, s.Ref(t, repoName, "refs/heads/"+prop.Ref))
	work := clone(t, s, rebased.Commit)
	require.Equal(t, moved, testenv.Git(t, work, "rev-parse", "HEAD~1"))
	require.Equal(t, "deploy/upf-edge-1/cnf.yaml\ndeploy/upf-edge-1/deployment.yaml",
		testenv.Git(t, work, "diff", "--name-only", "HEAD~1"))

	s.Commit(t, repoName, "scale to the max by hand", func(work string) {
		edit(t, filepath.Join(work, "deploy", "upf-edge-1", "cnf.yaml"), [2]string{"  replicas: 2\n", "  replicas: 10\n"})
	})
	_, err = p.Rebase(ctx, d, rebased)
	require.ErrorIs(t, err, propose.ErrNoChange)
	require.Equal(t, rebased.Commit, s.Ref(t, repoName, "refs/heads/"+prop.Ref), "the branch is left as it was")
}
