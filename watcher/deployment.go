package watcher

import (
	"context"
	"errors"
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
	porchprop "github.com/nephoran/nephoran/watcher/propose/porch"
	"github.com/nephoran/nephoran/watcher/store"
)

// defaultGitRefresh is how often the deployment (Git or Porch) is read
// again when git.refresh or porch.refresh is unset.
const defaultGitRefresh = 10 * time.Second

// deployment is the watcher's view of the deployment repository (Git or
// Porch): the Proposer decisions are delivered through and the worker that
// delivers them exactly once from the store's queue.
type deployment struct {
	proposer propose.Proposer
	// kind names the backend in logs and errors: git or porch.
	kind    string
	close   func() error
	worker  *deliver.Worker
	store   *store.Store
	refresh time.Duration
	// forge, when set, is the review stage (pull requests) of a Git
	// deployment.
	forge *forge
	// now asks the planner to read the deployment now (a forge webhook).
	now chan struct{}
}

// readNow asks for a read of the deployment before the next refresh; it
// never blocks.
func (d *deployment) readNow() {
	select {
	case d.now <- struct{}{}:
	default:
	}
}

// openDeployment opens the backend the config names and reads the
// inventory from it: Git (or Porch) is the truth.
func openDeployment(ctx context.Context, cfg Config, data, rules string, st *store.Store, reg prometheus.Registerer, log *slog.Logger, now func() time.Time) (*deployment, []inventory.CNF, error) {
	var (
		d   *deployment
		err error
	)
	if cfg.Porch != nil {
		d, err = openPorch(*cfg.Porch, now, log)
	} else {
		d, err = openGit(ctx, *cfg.Git, data, rules, now, log)
	}
	if err != nil {
		return nil, nil, err
	}
	d.now = make(chan struct{}, 1)
	state, err := d.proposer.State(ctx)
	if err != nil {
		_ = d.close()
		return nil, nil, fmt.Errorf("%s: read the deployment: %w", d.kind, err)
	}
	d.store = st
	d.worker = deliver.New(deliver.Options{Proposer: d.proposer, Queue: st, Now: now, Logger: log, Registerer: reg})
	var _ deliver.Queue = st
	log.Info("deployment read", "backend", d.kind, "cnfs", len(state.CNFs), "openProposals", len(state.Open), "head", state.Head)
	return d, cnfsOf(state), nil
}

// openGit clones or fetches the deployment repository; with a forge,
// proposals go through the review stage (a pull request each).
func openGit(ctx context.Context, cfg GitConfig, data, rules string, now func() time.Time, log *slog.Logger) (*deployment, error) {
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
		Dir: filepath.Join(data, "git"), Now: now, Logger: log, LeaveAutoUnmerged: cfg.Forge != nil,
	})
	if err != nil {
		return nil, fmt.Errorf("git: %w", err)
	}
	d := &deployment{proposer: p, kind: "git", close: p.Close, refresh: refresh}
	if cfg.Forge != nil {
		if d.forge, err = openForge(*cfg.Forge, cfg, p, data, rules, log); err != nil {
			_ = p.Close()
			return nil, err
		}
		d.proposer = d.forge.reviews
	}
	return d, nil
}

// openPorch builds the client of the Porch repository; it contacts the
// server only when the state is read.
func openPorch(cfg PorchConfig, now func() time.Time, log *slog.Logger) (*deployment, error) {
	if cfg.Repository == "" {
		return nil, errors.New("porch: the repository (porch.repository or --porch-repository) is required")
	}
	refresh := defaultGitRefresh
	if cfg.Refresh != "" {
		refresh, _ = time.ParseDuration(cfg.Refresh) // LoadConfig checked it
	}
	rc, err := cfg.Connection.RESTConfig()
	if err != nil {
		return nil, err
	}
	p, err := porchprop.New(porchprop.Options{
		Config: rc, Namespace: cfg.Namespace, Repository: cfg.Repository,
		PackagePath: porchprop.Packages(cfg.Packages), Now: now, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	return &deployment{proposer: p, kind: "porch", close: func() error { return nil }, refresh: refresh}, nil
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
	// open are the CNFs with a proposal not merged yet (queued, pushed
	// and waiting for review, or a branch or revision found in the
	// deployment) and its action.
	open map[string]nephv1.Action
	// rejected are the proposals reviewers turned down, as recorded.
	rejected []model.Rejection
	// approved are the approvals (merges) of recorded proposals: each
	// starts its CNF and action's cooldown at its time.
	approved []approval
}

// approval is a merged proposal of the queue.
type approval struct {
	cnf    string
	action nephv1.Action
	at     time.Time
}

// read reads the deployment and the queue. A delivered proposal no longer
// open (merged by a person, or its branch deleted) is closed in the queue;
// one sent back to Draft (Porch's rejection) is recorded as rejected.
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
	v := view{open: map[string]nephv1.Action{}}
	for _, c := range state.CNFs {
		v.cnfs = append(v.cnfs, c.CNFDeployment)
	}
	// A proposal not up for review (a Porch Draft, a closed pull request)
	// is open only while its delivery is pending (the queue says so
	// below): delivered, a reviewer turned it down.
	found := map[string]model.Proposal{}
	for _, p := range state.Open {
		found[p.ID] = p
		if p.Rejection == "" {
			v.open[p.CNF] = p.Action
		}
	}
	for _, q := range queued {
		id := q.Decision.ID
		if q.State == model.ProposalDelivered {
			p, ok := found[id]
			switch {
			case !ok:
				if err := d.store.MarkMerged(ctx, id); err != nil {
					return view{}, err
				}
				continue
			case p.Rejection != "":
				if err := d.store.MarkRejected(ctx, id, p.Rejection); err != nil {
					return view{}, err
				}
				continue
			}
		}
		v.open[q.Decision.CNF] = q.Decision.Action // oldest first: the newest wins
	}
	for _, a := range state.Approvals {
		q, ok, err := d.store.Proposal(ctx, a.ID)
		if err != nil {
			return view{}, err
		}
		if ok && !a.At.IsZero() {
			v.approved = append(v.approved, approval{cnf: q.Decision.CNF, action: q.Decision.Action, at: a.At})
		}
	}
	if d.forge != nil {
		d.forge.remember(v.cnfs)
	}
	// Every rejection kept (the store prunes them after its retention);
	// decide holds each for the cooldown of the rule asking again.
	if v.rejected, err = d.store.Rejections(ctx, time.Time{}); err != nil {
		return view{}, err
	}
	return v, nil
}
