package git_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/stretchr/testify/require"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/internal/testenv"
	"github.com/nephoran/nephoran/pipeline"
	gitpropose "github.com/nephoran/nephoran/watcher/propose/git"
)

// benchCNFs is the size of the benchmark repository: UPF packages made from
// blueprints/upf, each renamed and rendered.
const benchCNFs = 1000

var (
	templateOnce sync.Once
	templateDir  string // a bare repository with benchCNFs packages under deploy/
	templateErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if templateDir != "" {
		_ = os.RemoveAll(templateDir)
	}
	os.Exit(code)
}

// cnfName is the i-th benchmark CNF.
func cnfName(i int) string { return fmt.Sprintf("upf-%04d", i%benchCNFs) }

// bigServer starts a git server whose deployments repository is a copy of
// the 1,000-package template (built once per test binary: ~10 s).
func bigServer(b *testing.B) *testenv.GitServer {
	b.Helper()
	templateOnce.Do(func() {
		templateDir, templateErr = os.MkdirTemp("", "nephoran-bench-repo-")
		if templateErr != nil {
			return
		}
		s := testenv.StartGitServer(b)
		tree := b.TempDir()
		for i := range benchCNFs {
			writePackage(b, filepath.Join(tree, "deploy"), upf(cnfName(i)))
		}
		s.SeedRepo(b, repoName, tree, "")
		testenv.Git(b, s.Dir(repoName), "gc", "--quiet")
		templateErr = os.CopyFS(filepath.Join(templateDir, repoName+".git"), os.DirFS(s.Dir(repoName)))
	})
	require.NoError(b, templateErr)
	s := testenv.StartGitServer(b)
	require.NoError(b, os.CopyFS(s.Dir(repoName), os.DirFS(filepath.Join(templateDir, repoName+".git"))))
	return s
}

// BenchmarkProposeOn1000CNFs delivers scale-out decisions for different
// CNFs of a 1,000-package repository through Propose, against a real git
// server (git http-backend), each with a new id: decision -> pushed branch
// (and, for auto, merged onto main). Reported: proposals per minute and the
// p50/p99 latency of one Propose. Targets: >= 600/min, p99 < 1 s.
func BenchmarkProposeOn1000CNFs(b *testing.B) {
	for _, approval := range []nephv1.Approval{nephv1.ApprovalManual, nephv1.ApprovalAuto} {
		b.Run("approval="+string(approval), func(b *testing.B) {
			s := bigServer(b)
			p := newProposer(b, s, gitpropose.Options{})
			ctx := context.Background()
			_, err := p.State(ctx) // the first inventory read is State's benchmark
			require.NoError(b, err)
			var lat []time.Duration
			i := 0
			b.ResetTimer()
			for b.Loop() {
				d := decision(cnfName(i), nephv1.ActionScaleOut, fmt.Sprintf("%016x", i+1), approval)
				start := time.Now()
				prop, err := p.Propose(ctx, d)
				lat = append(lat, time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
				if approval == nephv1.ApprovalAuto && !prop.Merged {
					b.Fatalf("%s not merged", prop.Ref)
				}
				i++
			}
			reportLatency(b, lat, "proposals/min")
		})
	}
}

// BenchmarkPlainGoGitCommitPush is the baseline: the same change (the
// intent applied and the package re-rendered by pipeline.ApplyIntent) made
// the usual go-git way, in a worktree of the whole repository: Add,
// Commit, Push of a new branch.
func BenchmarkPlainGoGitCommitPush(b *testing.B) {
	s := bigServer(b)
	dir := filepath.Join(b.TempDir(), "worktree")
	repo, err := gogit.PlainClone(dir, false, &gogit.CloneOptions{URL: s.URL(repoName)})
	require.NoError(b, err)
	wt, err := repo.Worktree()
	require.NoError(b, err)
	ctx := context.Background()
	var lat []time.Duration
	i := 0
	b.ResetTimer()
	for b.Loop() {
		d := decision(cnfName(i), nephv1.ActionScaleOut, fmt.Sprintf("%016x", i+1), nephv1.ApprovalManual)
		start := time.Now()
		pkgDir := "deploy/" + d.CNF
		if _, err := pipeline.ApplyIntent(filepath.Join(dir, filepath.FromSlash(pkgDir)), d.Intent, decidedAt); err != nil {
			b.Fatal(err)
		}
		if err := wt.AddWithOptions(&gogit.AddOptions{Path: pkgDir}); err != nil {
			b.Fatal(err)
		}
		sig := &object.Signature{Name: "baseline", Email: "baseline@nephoran.invalid", When: decidedAt}
		if _, err := wt.Commit(d.Reason, &gogit.CommitOptions{Author: sig, Committer: sig}); err != nil {
			b.Fatal(err)
		}
		spec := config.RefSpec(fmt.Sprintf("refs/heads/main:refs/heads/plain/%s/%s", pkgDir, d.ID))
		if err := repo.PushContext(ctx, &gogit.PushOptions{RefSpecs: []config.RefSpec{spec}}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
		i++
	}
	reportLatency(b, lat, "commits/min")
}

// BenchmarkStateOn1000CNFs reads the inventory of 1,000 CNFs and the open
// proposals: from a fresh state directory (clone and decode everything),
// after main moved by one package (the steady state), and at an unchanged
// head. Target: well under 10 s.
func BenchmarkStateOn1000CNFs(b *testing.B) {
	ctx := context.Background()
	b.Run("fresh-clone", func(b *testing.B) {
		s := bigServer(b)
		for b.Loop() {
			p := newProposer(b, s, gitpropose.Options{})
			st, err := p.State(ctx)
			require.NoError(b, err)
			require.Len(b, st.CNFs, benchCNFs)
			require.NoError(b, p.Close())
		}
	})
	b.Run("after-one-merge", func(b *testing.B) {
		s := bigServer(b)
		p := newProposer(b, s, gitpropose.Options{})
		other := newProposer(b, s, gitpropose.Options{})
		_, err := p.State(ctx)
		require.NoError(b, err)
		i := 0
		for b.Loop() {
			b.StopTimer()
			_, err := other.Propose(ctx, decision(cnfName(i), nephv1.ActionScaleOut, fmt.Sprintf("%016x", i+1), nephv1.ApprovalAuto))
			require.NoError(b, err)
			i++
			b.StartTimer()
			st, err := p.State(ctx)
			require.NoError(b, err)
			require.Len(b, st.CNFs, benchCNFs)
		}
	})
	b.Run("same-head", func(b *testing.B) {
		s := bigServer(b)
		p := newProposer(b, s, gitpropose.Options{})
		_, err := p.State(ctx)
		require.NoError(b, err)
		for b.Loop() {
			st, err := p.State(ctx)
			require.NoError(b, err)
			require.Len(b, st.CNFs, benchCNFs)
		}
	})
}

// reportLatency reports throughput per minute and the p50/p99 latency.
func reportLatency(b *testing.B, lat []time.Duration, unit string) {
	b.Helper()
	if len(lat) == 0 {
		return
	}
	var total time.Duration
	for _, l := range lat {
		total += l
	}
	slices.Sort(lat)
	pct := func(q float64) time.Duration { return lat[min(len(lat)-1, int(q*float64(len(lat))))] }
	b.ReportMetric(float64(len(lat))/total.Minutes(), unit)
	b.ReportMetric(float64(pct(0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(pct(0.99).Microseconds())/1000, "p99-ms")
}
