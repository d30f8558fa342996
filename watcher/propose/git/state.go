package git

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"sort"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/watcher/propose"
)

// maxFixups bounds how far below a proposal branch's head State looks for
// the proposal commit (a reviewer may push fixups on top of it).
const maxFixups = 50

// State implements propose.Proposer: the CNFDeployments under Options.Path
// at the head of the deployment branch, and the proposal branches not
// merged into it.
func (p *Proposer) State(ctx context.Context) (propose.State, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var st propose.State
	h, err := p.list(ctx, false)
	if err != nil {
		return st, err
	}
	head, err := p.deploymentHead(h)
	if err != nil {
		return st, err
	}
	wants := []plumbing.Hash{head}
	var branches []string
	for name, hash := range h.branches {
		if _, _, ok := p.parseBranch(name); ok && name != p.opts.Branch {
			branches = append(branches, name)
			wants = append(wants, hash)
		}
	}
	sort.Strings(branches)
	if err := p.fetch(ctx, wants...); err != nil {
		return st, err
	}
	if err := p.setLocalHead(head); err != nil {
		return st, err
	}
	st.Head = head.String()

	commit, err := object.GetCommit(p.st, head)
	if err != nil {
		return st, err
	}
	found, err := p.inventoryAt(commit.TreeHash)
	if err != nil {
		return st, fmt.Errorf("inventory at %s@%s: %w", p.opts.Branch, head.String()[:12], err)
	}
	st.CNFs = make([]propose.CNF, 0, len(found))
	for _, f := range found {
		c := &nephv1.CNFDeployment{}
		if err := json.Unmarshal(f.json, c); err != nil {
			return st, fmt.Errorf("%s: %w", f.file, err)
		}
		pkg := path.Dir(f.file)
		if pkg == "." {
			pkg = ""
		}
		st.CNFs = append(st.CNFs, propose.CNF{CNFDeployment: c, Package: pkg})
	}
	sort.SliceStable(st.CNFs, func(i, j int) bool {
		if st.CNFs[i].Package != st.CNFs[j].Package {
			return st.CNFs[i].Package < st.CNFs[j].Package
		}
		return st.CNFs[i].Name < st.CNFs[j].Name
	})

	hist, err := p.historyAt(head)
	if err != nil {
		return st, err
	}
	for _, name := range branches {
		hash := h.branches[name]
		if _, id, _ := p.parseBranch(name); hist.merged(id, hash) {
			continue
		}
		prop, err := p.proposalAt(name, hash, hist)
		if err != nil {
			return st, fmt.Errorf("proposal branch %s: %w", name, err)
		}
		if hist.merged(prop.ID, hash) {
			continue
		}
		st.Open = append(st.Open, prop)
	}
	return st, nil
}

// proposalAt reads a proposal branch: its decision id, CNF and action from
// the proposal commit's trailers (the head, or the nearest first-parent
// ancestor off the deployment branch carrying them), else the id from the
// branch name.
func (p *Proposer) proposalAt(branch string, hash plumbing.Hash, hist *history) (propose.Proposal, error) {
	_, id, _ := p.parseBranch(branch)
	prop := propose.Proposal{ID: id, Ref: branch, Commit: hash.String()}
	c, err := object.GetCommit(p.st, hash)
	if err != nil {
		return prop, err
	}
	prop.At = c.Author.When.UTC()
	for range maxFixups {
		if t := trailers(c.Message); t[TrailerDecisionID] != "" {
			prop.ID = t[TrailerDecisionID]
			prop.CNF = t[TrailerCNF]
			prop.Action = nephv1.Action(t[TrailerAction])
			prop.At = c.Author.When.UTC()
			break
		}
		if len(c.ParentHashes) == 0 {
			break
		}
		if _, onMain := hist.commits[c.ParentHashes[0]]; onMain {
			break
		}
		if c, err = object.GetCommit(p.st, c.ParentHashes[0]); err != nil {
			return prop, err
		}
	}
	return prop, nil
}
