package git

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-billy/v5/osfs"
	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/client"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/kptdev/krm-functions-sdk/go/fn"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/pipeline"
	"github.com/nephoran/nephoran/watcher/model"
	"github.com/nephoran/nephoran/watcher/propose"
)

// mergeAttempts bounds the auto path's tries when the deployment branch
// keeps moving under it.
const mergeAttempts = 5

// originName is the remote's name in the local clone's configuration.
const originName = "origin"

// Proposer delivers decisions as proposal branches of one deployment
// repository. Its methods are safe for concurrent use; they run one at a
// time.
type Proposer struct {
	opts      Options
	remote    *remote
	endpoint  *transport.Endpoint
	transport transport.Transport
	st        *filesystem.Storage

	mu       sync.Mutex
	inv      inventory
	hist     *history
	sessions []transport.ReceivePackSession
}

var _ propose.Proposer = (*Proposer)(nil)

// New opens the local clone in o.Dir (creating it on first use) and
// fetches the deployment branch. When the server cannot be reached, New
// fails on first use and succeeds with a warning when a clone from an
// earlier run exists: the next Propose or State fetches.
func New(ctx context.Context, o Options) (*Proposer, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	r, err := newRemote(o.URL, o.Auth)
	if err != nil {
		return nil, err
	}
	if r.name != "" && o.Repository == "" {
		o.Repository = r.name
	}
	r.name = o.Repository
	ep, err := transport.NewEndpoint(r.url)
	if err != nil {
		return nil, fmt.Errorf("repository URL %s: %w", r.redacted, r.mask(err))
	}
	tr, err := client.NewClient(ep)
	if err != nil {
		return nil, fmt.Errorf("repository URL %s: %w", r.redacted, r.mask(err))
	}
	if _, err := r.method(); err != nil { // unreadable credentials fail now, not at the first proposal
		return nil, err
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	// Not ExclusiveAccess: with it, go-git's HasEncodedObject never looks
	// into packfiles, so every fetched object would look missing.
	st := filesystem.NewStorageWithOptions(osfs.New(o.Dir), cache.NewObjectLRUDefault(),
		filesystem.Options{MaxOpenDescriptors: 64})
	p := &Proposer{opts: o, remote: r, endpoint: ep, transport: tr, st: st}
	if err := p.initClone(); err != nil {
		_ = st.Close()
		return nil, fmt.Errorf("local clone in %s: %w", o.Dir, err)
	}
	if err := p.refresh(ctx); err != nil {
		if p.localHead().IsZero() {
			_ = st.Close()
			return nil, err
		}
		o.Logger.Warn("git proposer: starting from the local clone; the server did not answer",
			"repository", r.redacted, "err", err)
	}
	return p, nil
}

// Close releases the local clone's open files.
func (p *Proposer) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.st.Close()
}

// initClone makes o.Dir a bare repository whose origin is the server (a
// person can inspect it with the git CLI), or checks the one there.
func (p *Proposer) initClone() error {
	repo, err := gogit.Open(p.st, nil)
	if errors.Is(err, gogit.ErrRepositoryNotExists) {
		repo, err = gogit.Init(p.st, nil)
	}
	if err != nil {
		return err
	}
	cfg, err := repo.Config()
	if err != nil {
		return err
	}
	want := &config.RemoteConfig{Name: originName, URLs: []string{p.remote.url},
		Fetch: []config.RefSpec{config.RefSpec("+refs/heads/*:refs/remotes/" + originName + "/*")}}
	if old, ok := cfg.Remotes[originName]; ok && len(old.URLs) == 1 && old.URLs[0] == p.remote.url {
		return nil
	}
	cfg.Remotes[originName] = want
	return repo.SetConfig(cfg)
}

// refresh fetches the deployment branch's head.
func (p *Proposer) refresh(ctx context.Context) error {
	h, err := p.list(ctx, false)
	if err != nil {
		return err
	}
	head, err := p.deploymentHead(h)
	if err != nil {
		return err
	}
	if err := p.fetch(ctx, head); err != nil {
		return err
	}
	return p.setLocalHead(head)
}

func (p *Proposer) deploymentHead(h *heads) (plumbing.Hash, error) {
	head, ok := h.branches[p.opts.Branch]
	if !ok {
		return head, fmt.Errorf("%s has no branch %s", p.remote.redacted, p.opts.Branch)
	}
	return head, nil
}

func (p *Proposer) localRef() plumbing.ReferenceName {
	return plumbing.NewRemoteReferenceName(originName, p.opts.Branch)
}

// localHead is the deployment branch's head as last seen (zero if never).
func (p *Proposer) localHead() plumbing.Hash {
	ref, err := p.st.Reference(p.localRef())
	if err != nil || !p.has(ref.Hash()) {
		return plumbing.ZeroHash
	}
	return ref.Hash()
}

func (p *Proposer) setLocalHead(h plumbing.Hash) error {
	return p.st.SetReference(plumbing.NewHashReference(p.localRef(), h))
}

// Propose implements propose.Proposer: see the package documentation for
// the branch, the commit and the idempotency rule.
func (p *Proposer) Propose(ctx context.Context, d model.Decision) (propose.Proposal, error) {
	d, err := checkDecision(d)
	prop := propose.Proposal{ID: d.ID, CNF: d.CNF, Action: d.Action}
	if err != nil {
		return prop, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	defer p.closeSessions()

	h, err := p.list(ctx, true)
	if err != nil {
		return prop, err
	}
	if branch, ok := p.existing(h, d.ID); ok {
		return p.existed(ctx, d, h, branch)
	}
	head, err := p.deploymentHead(h)
	if err != nil {
		return prop, err
	}
	if err := p.fetch(ctx, head); err != nil {
		return prop, err
	}
	if err := p.setLocalHead(head); err != nil {
		return prop, err
	}
	c, err := p.commitIntent(d, head, "")
	if err != nil {
		return prop, err
	}
	branch := p.branchName(c.pkg, d.ID)
	prop.Ref, prop.Commit, prop.At = branch, c.commit.String(), c.at
	if err := p.push(ctx, h, branch, plumbing.ZeroHash, c.commit, c.objects); err != nil {
		if errors.Is(err, errRejected) { // made meanwhile by another writer: deliver that one
			if h2, err2 := p.list(ctx, true); err2 == nil {
				if b, ok := p.existing(h2, d.ID); ok {
					return p.existed(ctx, d, h2, b)
				}
			}
		}
		return prop, err
	}
	p.opts.Logger.Info("proposal pushed", "cnf", d.CNF, "action", string(d.Action), "decision", d.ID,
		"ref", branch, "commit", c.commit.String()[:12], "repository", p.remote.redacted)
	if d.Approval == nephv1.ApprovalAuto && !p.opts.LeaveAutoUnmerged {
		return p.merge(ctx, d, prop, h)
	}
	return prop, nil
}

// existed returns the proposal branch made earlier for d. An auto
// proposal that is not merged yet (the earlier delivery stopped between
// the push and the merge) is merged now.
func (p *Proposer) existed(ctx context.Context, d model.Decision, h *heads, branch string) (propose.Proposal, error) {
	prop := propose.Proposal{ID: d.ID, CNF: d.CNF, Action: d.Action, Ref: branch, Existed: true}
	hash := h.branches[branch]
	prop.Commit = hash.String()
	head, err := p.deploymentHead(h)
	if err != nil {
		return prop, err
	}
	if err := p.fetch(ctx, hash, head); err != nil {
		return prop, err
	}
	if err := p.setLocalHead(head); err != nil {
		return prop, err
	}
	hist, err := p.historyAt(head)
	if err != nil {
		return prop, err
	}
	found, err := p.proposalAt(branch, hash, hist)
	if err != nil {
		return prop, err
	}
	prop.At = found.At.UTC()
	prop.Merged = hist.merged(d.ID, hash)
	p.opts.Logger.Debug("proposal exists", "decision", d.ID, "ref", branch, "merged", prop.Merged)
	if d.Approval == nephv1.ApprovalAuto && !prop.Merged && !p.opts.LeaveAutoUnmerged {
		return p.merge(ctx, d, prop, h)
	}
	return prop, nil
}

// merge lands an auto proposal on the deployment branch: the intent is
// applied again to the branch's current head and committed on top of it,
// then the branch is pushed from that head; when another writer moved it
// meanwhile, the server refuses the update and all of it is done again on
// the new head. An intent that no longer applies there leaves the proposal
// branch for a person.
//
// The first attempt takes the head from h, the listing the proposal branch
// was just pushed with (the server's compare-and-swap catches a head that
// moved since); when that head is still the proposal's parent, applying the
// intent again would give the proposal's tree, so that tree is reused.
func (p *Proposer) merge(ctx context.Context, d model.Decision, prop propose.Proposal, h *heads) (propose.Proposal, error) {
	branchHead := plumbing.NewHash(prop.Commit)
	proposal, err := object.GetCommit(p.st, branchHead)
	if err != nil {
		return prop, fmt.Errorf("merge %s: %w", prop.Ref, err)
	}
	for attempt := 1; ; attempt++ {
		if attempt > 1 || h == nil || !p.reusable() {
			if h, err = p.list(ctx, true); err != nil {
				return prop, fmt.Errorf("merge %s: %w", prop.Ref, err)
			}
		}
		head, err := p.deploymentHead(h)
		if err != nil {
			return prop, err
		}
		if err := p.fetch(ctx, head); err != nil {
			return prop, fmt.Errorf("merge %s: %w", prop.Ref, err)
		}
		if err := p.setLocalHead(head); err != nil {
			return prop, err
		}
		hist, err := p.historyAt(head)
		if err != nil {
			return prop, err
		}
		if hist.merged(d.ID, branchHead) {
			prop.Merged = true
			return prop, nil
		}
		var c built
		if len(proposal.ParentHashes) == 1 && proposal.ParentHashes[0] == head && trailers(proposal.Message)[TrailerDecisionID] == d.ID {
			c, err = p.recommit(d, proposal, prop.Ref)
		} else {
			c, err = p.commitIntent(d, head, prop.Ref)
		}
		if errors.Is(err, propose.ErrNoChange) {
			return prop, fmt.Errorf("auto-merge of %s left for review: %w", prop.Ref, err)
		}
		if errors.Is(err, errRender) {
			return prop, fmt.Errorf("auto-merge of %s left for review: %v: %w", prop.Ref, err, propose.ErrNoChange)
		}
		if err != nil {
			return prop, fmt.Errorf("merge %s: %w", prop.Ref, err)
		}
		err = p.push(ctx, h, p.opts.Branch, head, c.commit, c.objects)
		if err == nil {
			prop.Merged = true
			p.opts.Logger.Info("proposal merged", "cnf", d.CNF, "decision", d.ID, "ref", prop.Ref,
				"branch", p.opts.Branch, "commit", c.commit.String()[:12], "attempt", attempt)
			return prop, p.setLocalHead(c.commit)
		}
		if !errors.Is(err, errRejected) || attempt == mergeAttempts {
			return prop, fmt.Errorf("merge %s into %s (attempt %d): %w", prop.Ref, p.opts.Branch, attempt, err)
		}
		p.opts.Logger.Debug("deployment branch moved; merging again", "ref", prop.Ref, "attempt", attempt)
	}
}

// Rebase moves an auto proposal's branch onto the deployment branch's
// current head when that moved since the proposal was made: the intent is
// applied again there (the guardrails checked at the head, as the Git
// backend's own auto merge does) and committed on it, and the branch is
// updated from the commit it had (a compare-and-swap). A forge then merges
// exactly what applies at the head. prop.Commit becomes the branch's
// commit; an intent that no longer applies at the head is ErrNoChange, and
// the branch is left as it was.
func (p *Proposer) Rebase(ctx context.Context, d model.Decision, prop propose.Proposal) (propose.Proposal, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	defer p.closeSessions()
	h, err := p.list(ctx, true)
	if err != nil {
		return prop, err
	}
	head, err := p.deploymentHead(h)
	if err != nil {
		return prop, err
	}
	branchHead, ok := h.branches[prop.Ref]
	if !ok {
		return prop, fmt.Errorf("rebase %s: no such branch", prop.Ref)
	}
	if err := p.fetch(ctx, head, branchHead); err != nil {
		return prop, fmt.Errorf("rebase %s: %w", prop.Ref, err)
	}
	if err := p.setLocalHead(head); err != nil {
		return prop, err
	}
	prop.Commit = branchHead.String()
	proposal, err := object.GetCommit(p.st, branchHead)
	if err != nil {
		return prop, fmt.Errorf("rebase %s: %w", prop.Ref, err)
	}
	if len(proposal.ParentHashes) == 1 && proposal.ParentHashes[0] == head {
		return prop, nil // made on the head
	}
	hist, err := p.historyAt(head)
	if err != nil {
		return prop, err
	}
	if hist.merged(d.ID, branchHead) {
		prop.Merged = true
		return prop, nil
	}
	c, err := p.commitIntent(d, head, "")
	switch {
	case errors.Is(err, errRender):
		return prop, fmt.Errorf("rebase %s: %v: %w", prop.Ref, err, propose.ErrNoChange)
	case err != nil:
		return prop, fmt.Errorf("rebase %s: %w", prop.Ref, err)
	}
	if err := p.push(ctx, h, prop.Ref, branchHead, c.commit, c.objects); err != nil {
		return prop, fmt.Errorf("rebase %s: %w", prop.Ref, err)
	}
	prop.Commit = c.commit.String()
	p.opts.Logger.Info("proposal rebased on the deployment branch", "cnf", d.CNF, "decision", d.ID, "ref", prop.Ref,
		"onto", head.String()[:12], "commit", c.commit.String()[:12])
	return prop, nil
}

// recommit commits the proposal's tree again on the proposal's parent with
// the merge message: what commitIntent would build there, without
// re-rendering.
func (p *Proposer) recommit(d model.Decision, proposal *object.Commit, branch string) (built, error) {
	pkg, _, _ := p.parseBranch(branch)
	b := &builder{p: p}
	at := p.opts.Now().Truncate(time.Second).UTC()
	return b.commit(d, pkg, proposal.TreeHash, proposal.ParentHashes[0], branch, at)
}

// errRender is a package whose pipeline failed after the intent was
// applied: a guardrail of validate-cnf, or a package broken at the head.
var errRender = errors.New("the package's pipeline failed after the intent")

// built is a commit made for a decision, not pushed yet.
type built struct {
	commit  plumbing.Hash
	objects []plumbing.Hash // every object the commit added, itself included
	pkg     string
	at      time.Time
}

// commitIntent applies d's intent to its CNF's package at base and commits
// the result on top of base: only that package's files are read, written
// and re-rendered, in a temporary directory.
func (p *Proposer) commitIntent(d model.Decision, base plumbing.Hash, mergedFrom string) (built, error) {
	var out built
	baseCommit, err := object.GetCommit(p.st, base)
	if err != nil {
		return out, err
	}
	short := p.opts.Branch + "@" + base.String()[:12]
	cnfs, err := p.inventoryAt(baseCommit.TreeHash)
	if err != nil {
		return out, fmt.Errorf("%s: %w", short, err)
	}
	pkg, err := packageOf(cnfs, d.CNF)
	if err != nil {
		return out, fmt.Errorf("%s: %w", short, err)
	}
	out.pkg = pkg
	pkgTree, err := p.subtree(baseCommit.TreeHash, pkg)
	if err != nil {
		return out, err
	}
	files := map[string]entry{}
	if err := p.files(pkgTree, "", files); err != nil {
		return out, fmt.Errorf("read package %s: %w", pkg, err)
	}
	tmp, err := os.MkdirTemp("", "nephoran-propose-")
	if err != nil {
		return out, err
	}
	defer os.RemoveAll(tmp)
	if err := p.materialize(files, tmp); err != nil {
		return out, fmt.Errorf("materialize package %s: %w", pkg, err)
	}
	now := p.opts.Now()
	res, err := pipeline.ApplyIntent(tmp, d.Intent, now)
	switch {
	case err != nil && res.Applied.Failed:
		return out, fmt.Errorf("%s: %s at %s: %s: %w", d.CNF, d.Action, short, why(res.Applied), propose.ErrNoChange)
	case errors.Is(err, pipeline.ErrFailed):
		return out, fmt.Errorf("%s: %s at %s: %s: %w", pkg, d.Action, short, whySteps(res.Rendered), errRender)
	case err != nil:
		return out, fmt.Errorf("apply the intent to %s: %w", pkg, err)
	case !res.Changed:
		return out, fmt.Errorf("%s: %s at %s: %s: %w", d.CNF, d.Action, short, why(res.Applied), propose.ErrNoChange)
	}
	b := &builder{p: p}
	after, err := b.readBack(files, tmp)
	if err != nil {
		return out, fmt.Errorf("read back package %s: %w", pkg, err)
	}
	newPkg, err := b.packageTree(after, pkgTree)
	if err != nil {
		return out, err
	}
	if newPkg == pkgTree {
		return out, fmt.Errorf("%s: %s at %s: no file changed: %w", d.CNF, d.Action, short, propose.ErrNoChange)
	}
	root, err := b.replace(baseCommit.TreeHash, splitPath(pkg), newPkg)
	if err != nil {
		return out, err
	}
	return b.commit(d, pkg, root, base, mergedFrom, now.Truncate(time.Second).UTC())
}

// commit stores the commit of a decision's change (tree root on parent)
// and returns it with every object the builder added.
func (b *builder) commit(d model.Decision, pkg string, root, parent plumbing.Hash, mergedFrom string, at time.Time) (built, error) {
	out := built{pkg: pkg, at: at}
	p := b.p
	sig := object.Signature{Name: p.opts.AuthorName, Email: p.opts.AuthorEmail, When: at}
	commit := &object.Commit{Author: sig, Committer: sig, Message: p.message(d, pkg, mergedFrom),
		TreeHash: root, ParentHashes: []plumbing.Hash{parent}}
	o := p.st.NewEncodedObject()
	if err := commit.Encode(o); err != nil {
		return out, err
	}
	var err error
	if out.commit, err = b.store(o); err != nil {
		return out, err
	}
	out.objects = b.new
	return out, nil
}

// packageOf returns the package directory of the CNFDeployment named cnf.
// A CNF that is not there makes the intent change nothing.
func packageOf(cnfs []found, cnf string) (string, error) {
	var dirs []string
	for _, f := range cnfs {
		if f.name == cnf {
			dirs = append(dirs, path.Dir(f.file))
		}
	}
	switch len(dirs) {
	case 0:
		return "", fmt.Errorf("no CNFDeployment named %q: %w", cnf, propose.ErrNoChange)
	case 1:
		if dirs[0] == "." {
			return "", nil
		}
		return dirs[0], nil
	}
	sort.Strings(dirs)
	return "", fmt.Errorf("CNFDeployment %q is declared in %d packages (%s): it must be one", cnf, len(dirs), strings.Join(dirs, ", "))
}

// why is what a step's results say, errors first.
func why(s pipeline.Step) string {
	var errs, all []string
	for _, r := range s.Results {
		msg := r.Message
		if r.Field != nil && r.Field.Path != "" && !strings.HasPrefix(msg, r.Field.Path+":") {
			msg = r.Field.Path + ": " + msg
		}
		all = append(all, msg)
		if r.Severity == fn.Error {
			errs = append(errs, msg)
		}
	}
	if len(errs) > 0 {
		return strings.Join(errs, "; ")
	}
	if len(all) > 0 {
		return strings.Join(all, "; ")
	}
	return s.Function + " changed nothing"
}

func whySteps(steps []pipeline.Step) string {
	for _, s := range steps {
		if s.Failed {
			return s.Function + ": " + why(s)
		}
	}
	return "a function failed"
}

// branchName is the proposal branch of a decision for a package.
func (p *Proposer) branchName(pkg, id string) string {
	if pkg == "" {
		return p.opts.BranchPrefix + id
	}
	return p.opts.BranchPrefix + pkg + "/" + id
}

// parseBranch splits a proposal branch into package and decision id.
func (p *Proposer) parseBranch(branch string) (pkg, id string, ok bool) {
	rest, ok := strings.CutPrefix(branch, p.opts.BranchPrefix)
	if !ok || rest == "" {
		return "", "", false
	}
	if i := strings.LastIndex(rest, "/"); i >= 0 {
		return rest[:i], rest[i+1:], true
	}
	return "", rest, true
}

// existing finds the proposal branch of decision id, whatever package it
// was made for (the package may have moved since).
func (p *Proposer) existing(h *heads, id string) (string, bool) {
	var names []string
	for name := range h.branches {
		if _, bid, ok := p.parseBranch(name); ok && bid == id {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return "", false
	}
	sort.Strings(names)
	return names[0], true
}

// idPattern is what a decision id may be: one element of a branch name.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)

func checkDecision(d model.Decision) (model.Decision, error) {
	if d.Intent == nil {
		return d, fmt.Errorf("decision %q has no intent: only decisions, not suppressions, are proposed", d.ID)
	}
	if d.CNF == "" {
		d.CNF = d.Intent.Spec.Target
	}
	if d.Action == "" {
		d.Action = d.Intent.Spec.Action
	}
	switch {
	case !idPattern.MatchString(d.ID) || strings.Contains(d.ID, "..") || strings.HasSuffix(d.ID, ".lock"):
		return d, fmt.Errorf("decision id %q cannot name a branch", d.ID)
	case d.Intent.Spec.Target != d.CNF:
		return d, fmt.Errorf("decision %s: CNF %q but its intent targets %q", d.ID, d.CNF, d.Intent.Spec.Target)
	case d.Intent.Spec.Action != d.Action:
		return d, fmt.Errorf("decision %s: action %q but its intent asks %q", d.ID, d.Action, d.Intent.Spec.Action)
	}
	return d, nil
}
