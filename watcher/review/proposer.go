package review

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"path"
	"strings"
	"sync"
	"time"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/watcher/model"
	"github.com/nephoran/nephoran/watcher/propose"
)

// Options configure a Proposer.
type Options struct {
	// Branches is the Git backend that pushes the proposal branches; it
	// must leave auto proposals unmerged (the review stage merges them
	// through the forge).
	Branches propose.Proposer
	// Forge hosts the deployment repository.
	Forge Forge
	// Base is the deployment branch pull requests target.
	Base string
	// BranchPrefix starts every proposal branch (reconciliation lists the
	// pull requests of these heads).
	BranchPrefix string
	// Labels are added to every pull request, after the decision's.
	Labels []string
	// Describe fills what the body shows beyond the decision (package,
	// replicas before and after, directories of the reproduce commands);
	// nil shows the decision only.
	Describe func(d model.Decision, p propose.Proposal) Change
	// Rebase, when set, moves an auto proposal's branch onto the
	// deployment branch's current head before it is merged, the guardrails
	// checked there (propose/git's Rebase); propose.ErrNoChange leaves the
	// pull request for a person.
	Rebase func(ctx context.Context, d model.Decision, p propose.Proposal) (propose.Proposal, error)
	// MergeWait bounds how long an auto proposal's merge is retried while
	// the forge refuses it right after opening (Gitea answers 405 until
	// its mergeability check has run; default 10 s). A refusal that lasts
	// is recorded and left for a person.
	MergeWait time.Duration
	// Logger (default slog.Default()).
	Logger *slog.Logger
}

// Proposer is the review stage as a propose.Proposer: it delivers a
// decision through Options.Branches (the proposal branch) and makes sure
// exactly one pull request is open for the branch, merging it through the
// forge when the rule approves automatically. Its State is the Git
// backend's with what the forge says: a branch whose pull request was
// closed without merging is not up for review (a rejection, with who
// closed it), and merged pull requests are approvals with their time.
type Proposer struct {
	opts Options

	mu sync.Mutex
	// closedBy remembers who closed or merged a pull request, learnt from
	// webhooks or a FindPullRequest, by head branch.
	closedBy map[string]string
	// byHead is the newest pull request of each proposal branch, as the
	// last State listed them plus those opened and observed since; listed
	// says a State has filled it (until then every lookup asks the forge).
	// It spares a proposal two listings of every pull request (Gitea
	// cannot filter its list by head).
	byHead map[string]PullRequest
	listed bool
}

var _ propose.Proposer = (*Proposer)(nil)

// NewProposer checks o and returns the stage.
func NewProposer(o Options) (*Proposer, error) {
	if o.Branches == nil || o.Forge == nil {
		return nil, errors.New("review: Options.Branches and Options.Forge are required")
	}
	if o.Base == "" {
		return nil, errors.New("review: Options.Base is required")
	}
	if o.MergeWait == 0 {
		o.MergeWait = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Proposer{opts: o, closedBy: map[string]string{}, byHead: map[string]PullRequest{}}, nil
}

// Propose implements propose.Proposer: the branch, then its one pull
// request (found by head branch on a retry or after a restart, opened
// otherwise), then, for an auto decision, its merge.
func (p *Proposer) Propose(ctx context.Context, d model.Decision) (propose.Proposal, error) {
	prop, err := p.opts.Branches.Propose(ctx, d)
	if err != nil {
		return prop, err
	}
	if prop.Merged { // landed without review (found merged by the Git backend)
		return prop, nil
	}
	pr, err := p.find(ctx, prop.Ref, d.Approval == nephv1.ApprovalAuto)
	switch {
	case errors.Is(err, ErrNotFound):
		pr, err = p.open(ctx, d, prop)
		if errors.Is(Refusal(err), ErrRefused) { // the forge has one for the branch already (409)
			pr, err = p.find(ctx, prop.Ref, true)
			prop.Existed = true
		}
		if err != nil {
			return prop, err
		}
	case err != nil:
		return prop, fmt.Errorf("find the pull request of %s: %w", prop.Ref, err)
	default:
		prop.Existed = true
	}
	p.remember(pr)
	prop.Review = pr.URL
	if pr.Merged {
		prop.Merged = true
		return prop, nil
	}
	if pr.Open {
		if err := p.supersede(ctx, d, prop.Ref, pr); err != nil {
			return prop, err
		}
	}
	if !pr.Open || d.Approval != nephv1.ApprovalAuto {
		return prop, nil
	}
	return p.merge(ctx, d, prop, pr)
}

// find returns the newest pull request of head: from what State listed
// (and what was opened or observed since) unless fresh is set or no State
// has run yet, else from the forge.
func (p *Proposer) find(ctx context.Context, head string, fresh bool) (PullRequest, error) {
	p.mu.Lock()
	pr, ok := p.byHead[head]
	listed := p.listed
	p.mu.Unlock()
	switch {
	case listed && !fresh && ok:
		return pr, nil
	case listed && !fresh:
		return PullRequest{}, ErrNotFound
	}
	return p.opts.Forge.FindPullRequest(ctx, head)
}

// remember records pr as its head's newest pull request.
func (p *Proposer) remember(pr PullRequest) {
	if pr.Head == "" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if cur, ok := p.byHead[pr.Head]; !ok || pr.Number >= cur.Number {
		p.byHead[pr.Head] = pr
	}
}

// open opens the branch's pull request with the decision's title, body
// and labels.
func (p *Proposer) open(ctx context.Context, d model.Decision, prop propose.Proposal) (PullRequest, error) {
	var c Change
	if p.opts.Describe != nil {
		c = p.opts.Describe(d, prop)
	}
	c.Branch, c.Base = prop.Ref, p.opts.Base
	pr, err := p.opts.Forge.OpenPullRequest(ctx, NewPullRequest{
		Head: prop.Ref, Base: p.opts.Base, Title: Title(d), Body: Body(d, c),
		Labels: append(Labels(d), p.opts.Labels...),
	})
	if err != nil {
		if pr.Number != 0 { // opened; a later step (labels) failed: the retry finds it
			return pr, fmt.Errorf("pull request #%d of %s opened, but: %w", pr.Number, prop.Ref, err)
		}
		return pr, fmt.Errorf("open the pull request of %s: %w", prop.Ref, err)
	}
	p.opts.Logger.Info("pull request opened", "cnf", d.CNF, "decision", d.ID, "number", pr.Number, "url", pr.URL)
	return pr, nil
}

// supersede closes the other open pull requests of the package of branch:
// proposals of an earlier decision for the same CNF, which the newer one
// replaces. The comment links the newer pull request.
func (p *Proposer) supersede(ctx context.Context, d model.Decision, branch string, newer PullRequest) error {
	prefix := path.Dir(branch) + "/"
	var prs []PullRequest
	p.mu.Lock()
	if p.listed {
		for head, pr := range p.byHead {
			if strings.HasPrefix(head, prefix) {
				prs = append(prs, pr)
			}
		}
	}
	listed := p.listed
	p.mu.Unlock()
	if !listed {
		var err error
		if prs, err = p.opts.Forge.ListPullRequests(ctx, prefix); err != nil {
			return fmt.Errorf("list the pull requests of %s: %w", path.Dir(branch), err)
		}
	}
	for _, pr := range prs {
		if !pr.Open || pr.Number == newer.Number || pr.Number > newer.Number {
			continue
		}
		comment := fmt.Sprintf("Superseded by #%d (%s, decision %s): %s", newer.Number, d.Action, d.ID, newer.URL)
		if err := p.opts.Forge.Close(ctx, pr.Number, comment); err != nil {
			return fmt.Errorf("close pull request #%d superseded by #%d: %w", pr.Number, newer.Number, err)
		}
		pr.Open = false
		p.remember(pr)
		p.opts.Logger.Info("pull request superseded", "cnf", d.CNF, "closed", pr.Number, "by", newer.Number)
	}
	return nil
}

// merge merges an auto decision's pull request, rebased first when
// Options.Rebase is set. A refusal right after opening (or a rebase) is
// retried for MergeWait; one that lasts (branch protection,
// required reviews, conflicts) is logged and left for a person: the
// proposal is delivered, not merged, and not retried.
func (p *Proposer) merge(ctx context.Context, d model.Decision, prop propose.Proposal, pr PullRequest) (propose.Proposal, error) {
	head := pr.HeadSHA
	if p.opts.Rebase != nil {
		rebased, err := p.opts.Rebase(ctx, d, prop)
		switch {
		case errors.Is(err, propose.ErrNoChange):
			prop.Note = "auto merge left for review: " + err.Error()
			p.opts.Logger.Warn("an auto proposal no longer applies at the head; it stays open for a person",
				"cnf", d.CNF, "decision", d.ID, "number", pr.Number, "error", err)
			return prop, nil
		case err != nil:
			return prop, err
		case rebased.Merged:
			prop.Merged = true
			return prop, nil
		}
		head = rebased.Commit
	}
	msg := fmt.Sprintf("%s\n\nMerged by nephoran (approval: auto) for decision %s.", Title(d), d.ID)
	deadline := time.Now().Add(p.opts.MergeWait)
	wait := 250 * time.Millisecond
	for {
		err := p.opts.Forge.Merge(ctx, pr.Number, head, msg)
		switch {
		case err == nil:
			prop.Merged = true
			p.opts.Logger.Info("pull request merged (approval: auto)", "cnf", d.CNF, "decision", d.ID, "number", pr.Number)
			return prop, nil
		case !errors.Is(err, ErrRefused):
			return prop, fmt.Errorf("merge pull request #%d: %w", pr.Number, err)
		case time.Now().After(deadline):
			prop.Note = "auto merge refused by the forge: " + err.Error()
			p.opts.Logger.Warn("the forge refused to merge an auto proposal; it stays open for a person",
				"cnf", d.CNF, "decision", d.ID, "number", pr.Number, "error", err)
			return prop, nil
		}
		select {
		case <-ctx.Done():
			return prop, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// Observe takes a webhook's event: who closed or merged a pull request,
// which List does not say. The caller then reads the State again.
func (p *Proposer) Observe(ev Event) {
	p.remember(ev.PullRequest)
	if ev.Action != ActionClosed || ev.Sender == "" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closedBy[ev.PullRequest.Head] = ev.Sender
}

// State implements propose.Proposer: the Git backend's state, where a
// proposal whose newest pull request was closed without merging carries
// its Rejection (and who closed it), and a merged pull request (its
// branch merged by the forge) is an approval at its merge time.
func (p *Proposer) State(ctx context.Context) (propose.State, error) {
	st, err := p.opts.Branches.State(ctx)
	if err != nil {
		return st, err
	}
	prs, err := p.opts.Forge.ListPullRequests(ctx, p.opts.BranchPrefix)
	if err != nil {
		return st, fmt.Errorf("list pull requests: %w", err)
	}
	newest := make(map[string]PullRequest, len(prs))
	latest := map[string]PullRequest{} // package directory -> its newest pull request
	for _, pr := range prs {
		if cur, ok := newest[pr.Head]; !ok || pr.Number > cur.Number {
			newest[pr.Head] = pr
		}
		if l, ok := latest[path.Dir(pr.Head)]; !ok || pr.Number > l.Number {
			latest[path.Dir(pr.Head)] = pr
		}
	}
	// What the listing saw, and what was opened since it began, serves the
	// lookups until the next State.
	p.mu.Lock()
	known := maps.Clone(newest)
	for head, pr := range p.byHead {
		if cur, ok := known[head]; !ok || pr.Number > cur.Number {
			known[head] = pr
		}
	}
	p.byHead, p.listed = known, true
	p.mu.Unlock()
	for i := range st.Open {
		pr, ok := newest[st.Open[i].Ref]
		if !ok || pr.Open || pr.Merged {
			continue
		}
		if l := latest[path.Dir(pr.Head)]; l.Number > pr.Number {
			st.Open[i].Rejection = fmt.Sprintf("pull request #%d superseded by #%d", pr.Number, l.Number)
			continue
		}
		by := p.closer(ctx, pr)
		st.Open[i].Rejection = fmt.Sprintf("pull request #%d closed without merging", pr.Number)
		if by != "" {
			st.Open[i].Rejection += " by " + by
		}
	}
	for _, pr := range prs {
		if !pr.Merged || !strings.HasPrefix(pr.Head, p.opts.BranchPrefix) {
			continue
		}
		id := MarkedDecision(pr.Body)
		if id == "" {
			continue
		}
		st.Approvals = append(st.Approvals, model.Approval{ID: id, At: pr.MergedAt, By: pr.MergedBy})
	}
	return st, nil
}

// closer says who closed pr: from a webhook, else asked once from the
// forge (List does not say), "" when the forge does not tell.
func (p *Proposer) closer(ctx context.Context, pr PullRequest) string {
	p.mu.Lock()
	by, ok := p.closedBy[pr.Head]
	p.mu.Unlock()
	if ok {
		return by
	}
	full, err := p.opts.Forge.FindPullRequest(ctx, pr.Head)
	if err != nil || full.Number != pr.Number {
		return ""
	}
	p.mu.Lock()
	p.closedBy[pr.Head] = full.ClosedBy
	p.mu.Unlock()
	return full.ClosedBy
}
