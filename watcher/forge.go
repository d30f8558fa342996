package watcher

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path"
	"strings"
	"sync/atomic"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/watcher/model"
	"github.com/nephoran/nephoran/watcher/propose"
	gitprop "github.com/nephoran/nephoran/watcher/propose/git"
	"github.com/nephoran/nephoran/watcher/review"
	"github.com/nephoran/nephoran/watcher/review/gitea"
	"github.com/nephoran/nephoran/watcher/review/github"
)

// ForgeEventsPath is where forge webhooks deliver pull-request events.
const ForgeEventsPath = "/api/v1/forge/events"

// maxForgeEventBytes bounds a webhook delivery (Gitea's and GitHub's
// pull-request payloads are tens of KiB).
const maxForgeEventBytes = 5 << 20

// forge is the review stage of a Git deployment: its Proposer wraps the
// Git backend, and its webhook tells the planner to read the deployment
// again now.
type forge struct {
	reviews *review.Proposer
	client  review.Forge
	secret  []byte
	// inventory is the last view's CNFs by name, for pull request bodies.
	inventory atomic.Pointer[map[string]*nephv1.CNFDeployment]
}

// openForge builds the forge client of cfg and the review stage around
// branches.
func openForge(cfg ForgeConfig, git GitConfig, branches *gitprop.Proposer, dataDir, rulesDir string, log *slog.Logger) (*forge, error) {
	token, err := readSecretFile(cfg.TokenFile)
	if err != nil {
		return nil, fmt.Errorf("git.forge.tokenFile: %w", err)
	}
	f := &forge{}
	if cfg.WebhookSecretFile != "" {
		if f.secret, err = readSecretFile(cfg.WebhookSecretFile); err != nil {
			return nil, fmt.Errorf("git.forge.webhookSecretFile: %w", err)
		}
	}
	switch cfg.Kind {
	case "gitea":
		f.client, err = gitea.New(gitea.Config{BaseURL: cfg.URL, Owner: cfg.Owner, Repo: cfg.Repo, Token: string(token)})
	case "github":
		f.client, err = github.New(github.Config{BaseURL: cfg.URL, Owner: cfg.Owner, Repo: cfg.Repo, Token: string(token)})
	default:
		err = fmt.Errorf("kind %q is not gitea or github", cfg.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("git.forge: %w", err)
	}
	base, prefix := git.Branch, git.BranchPrefix
	if base == "" {
		base = "main"
	}
	if prefix == "" {
		prefix = "proposed/"
	}
	f.reviews, err = review.NewProposer(review.Options{
		Branches: branches, Forge: f.client, Base: base, BranchPrefix: prefix, Labels: cfg.Labels, Rebase: branches.Rebase,
		Describe: func(d model.Decision, p propose.Proposal) review.Change {
			return f.describe(d, p, git.Path, prefix, dataDir, rulesDir)
		},
		Logger: log,
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// readSecretFile reads a token or secret, trimmed; an empty file is an
// error. The content never appears in an error.
func readSecretFile(file string) ([]byte, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	if s := bytes.TrimSpace(b); len(s) > 0 {
		return s, nil
	}
	return nil, fmt.Errorf("%s is empty", file)
}

// remember keeps the inventory of a view for the bodies of the pull
// requests opened next.
func (f *forge) remember(cnfs []*nephv1.CNFDeployment) {
	m := make(map[string]*nephv1.CNFDeployment, len(cnfs))
	for _, c := range cnfs {
		m[c.Name] = c
	}
	f.inventory.Store(&m)
}

// describe is what a pull request body shows beyond the decision: the
// package, and the replicas before and after (from the inventory the
// decision was made on).
func (f *forge) describe(d model.Decision, p propose.Proposal, gitPath, prefix, dataDir, rulesDir string) review.Change {
	c := review.Change{DataDir: dataDir, RulesDir: rulesDir}
	if pkg := strings.TrimPrefix(p.Ref, prefix); pkg != p.Ref {
		c.Package = path.Dir(pkg)
	} else {
		c.Package = path.Join(gitPath, d.CNF)
	}
	inv := f.inventory.Load()
	if inv == nil || d.Intent == nil {
		return c
	}
	dep, ok := (*inv)[d.CNF]
	if !ok {
		return c
	}
	before := dep.Spec.Replicas
	switch s := d.Intent.Spec; s.Action {
	case nephv1.ActionScaleOut:
		c.ReplicasBefore, c.ReplicasAfter = before, before+max(s.Delta, 1)
	case nephv1.ActionScaleIn:
		c.ReplicasBefore, c.ReplicasAfter = before, before-max(s.Delta, 1)
	case nephv1.ActionScaleTo:
		if s.Replicas != nil {
			c.ReplicasBefore, c.ReplicasAfter = before, *s.Replicas
		}
	}
	return c
}

// handler is POST ForgeEventsPath: a delivery whose signature checks is
// taken (a close remembered with who did it) and the deployment read
// again at once; 401 for a bad or missing signature, 202 otherwise (also
// for events the watcher does not act on, so the forge does not retry
// them).
func (f *forge) handler(refresh func()) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxForgeEventBytes))
		if err != nil {
			http.Error(w, "request body too large or unreadable", http.StatusRequestEntityTooLarge)
			return
		}
		ev, err := f.client.ParseWebhook(r.Header, body, f.secret)
		switch {
		case errors.Is(err, review.ErrSignature):
			http.Error(w, "signature missing or invalid", http.StatusUnauthorized)
			return
		case errors.Is(err, review.ErrIgnored):
			w.WriteHeader(http.StatusAccepted)
			return
		case err != nil:
			http.Error(w, "not a pull request event this watcher can read", http.StatusBadRequest)
			return
		}
		f.reviews.Observe(ev)
		refresh()
		w.WriteHeader(http.StatusAccepted)
	})
}
