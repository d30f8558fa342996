package watcher

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/watcher/deliver"
	"github.com/nephoran/nephoran/watcher/inventory"
	"github.com/nephoran/nephoran/watcher/model"
	"github.com/nephoran/nephoran/watcher/propose"
	gitprop "github.com/nephoran/nephoran/watcher/propose/git"
	"github.com/nephoran/nephoran/watcher/store"
)

// defaultGitRefresh is how often the deployment repository is read again
// when git.refresh is unset.
const defaultGitRefresh = 10 * time.Second

// deployment is the watcher's view of the deployment repository: the
// Proposer decisions are delivered through and the worker that delivers
// them exactly once from the store's queue.
type deployment struct {
	proposer *gitprop.Proposer
	worker   *deliver.Worker
	store    *store.Store
	refresh  time.Duration
}

// openDeployment clones or fetches the repository and reads the inventory
// from it: Git is the truth.
func openDeployment(ctx context.Context, cfg GitConfig, data string, st *store.Store, reg prometheus.Registerer, log *slog.Logger, now func() time.Time) (*deployment, []inventory.CNF, error) {
	refresh := defaultGitRefresh
	if cfg.Refresh != "" {
		refresh, _ = time.ParseDuration(cfg.Refresh) // LoadConfig checked it
	}
	p, err := gitprop.New(ctx, gitprop.Options{
		URL: cfg.URL, Branch: cfg.Branch, Path: cfg.Path, BranchPrefix: cfg.BranchPrefix,
		Auth: gitprop.Auth{
			Username: cfg.Auth.Username, PasswordFile: cfg.Auth.PasswordFile, TokenFile: cfg.Auth.TokenFile,
			SSHKeyFile: cfg.Auth.SSHKeyFile, SSHKeyPassphraseFile: cfg.Auth.SSHKeyPassphraseFile,
			KnownHostsFile: cfg.Auth.KnownHostsFile,
		},
		Dir: filepath.Join(data, "git"), Now: now, Logger: log,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("git: %w", err)
	}
	state, err := p.State(ctx)
	if err != nil {
		_ = p.Close()
		return nil, nil, fmt.Errorf("git: read the deployment: %w", err)
	}
	d := &deployment{proposer: p, store: st, refresh: refresh}
	d.worker = deliver.New(deliver.Options{Proposer: p, Queue: st, Now: now, Logger: log, Registerer: reg})
	var _ deliver.Queue = st
	log.Info("deployment repository read", "cnfs", len(state.CNFs), "openProposals", len(state.Open), "head", state.Head)
	return d, cnfsOf(state), nil
}

func cnfsOf(s propose.State) []inventory.CNF {
	out := make([]inventory.CNF, len(s.CNFs))
	for i, c := range s.CNFs {
		out[i] = inventory.CNF{CNFDeployment: c.CNFDeployment, File: c.Package}
	}
	return out
}

// view is what the planner takes from the repository on each refresh.
type view struct {
	cnfs []*nephv1.CNFDeployment
	// open are the CNFs with a proposal not merged yet: queued, pushed
	// and waiting for review, or a branch found in the repository.
	open map[string]bool
}

// read reads the repository and the queue. A delivered proposal whose
// branch is no longer open (merged by a person, or deleted) is closed in
// the queue.
func (d *deployment) read(ctx context.Context) (view, error) {
	// The queue first: a proposal it shows delivered was pushed before the
	// repository is read, so it cannot be mistaken for a merged one.
	queued, err := d.store.OpenProposals(ctx)
	if err != nil {
		return view{}, err
	}
	state, err := d.proposer.State(ctx)
	if err != nil {
		return view{}, err
	}
	v := view{open: map[string]bool{}}
	for _, c := range state.CNFs {
		v.cnfs = append(v.cnfs, c.CNFDeployment)
	}
	inGit := map[string]bool{}
	for _, p := range state.Open {
		v.open[p.CNF] = true
		inGit[p.ID] = true
	}
	for _, q := range queued {
		if q.State == model.ProposalDelivered && !inGit[q.Decision.ID] {
			if err := d.store.MarkMerged(ctx, q.Decision.ID); err != nil {
				return view{}, err
			}
			continue
		}
		v.open[q.Decision.CNF] = true
	}
	return v, nil
}

func (d *deployment) close() error { return d.proposer.Close() }
