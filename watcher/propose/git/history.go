package git

import (
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// history is what the deployment branch holds at a head: every commit
// reachable from it, and the decision ids its commits carry as
// Nephoran-Decision-Id trailers. A proposal is merged when its branch head
// is one of the commits (merged as it is) or its id is one of the
// decisions (landed by the auto path, or squashed or rebased by a person).
type history struct {
	head      plumbing.Hash
	commits   map[plumbing.Hash]struct{}
	decisions map[string]struct{}
}

func (h *history) merged(id string, branchHead plumbing.Hash) bool {
	if h == nil {
		return false
	}
	if _, ok := h.commits[branchHead]; ok {
		return true
	}
	_, ok := h.decisions[id]
	return ok
}

// historyAt returns the history at head. It extends the previous one by
// walking only the commits added since, when the previous head is an
// ancestor of the new one; otherwise (the branch was rewritten) it walks
// everything again.
func (p *Proposer) historyAt(head plumbing.Hash) (*history, error) {
	prev := p.hist
	if prev != nil && prev.head == head {
		return prev, nil
	}
	h, reachedPrev, err := p.walkHistory(head, prev)
	if err != nil {
		return nil, err
	}
	if prev != nil && !reachedPrev {
		if h, _, err = p.walkHistory(head, nil); err != nil {
			return nil, err
		}
	}
	p.hist = h
	return h, nil
}

// walkHistory walks from head, stopping at commits prev already holds; it
// reports whether prev's head was one of them: then prev's commits are all
// ancestors of head, and prev, extended by the walk, is the result.
func (p *Proposer) walkHistory(head plumbing.Hash, prev *history) (*history, bool, error) {
	h := &history{head: head, commits: map[plumbing.Hash]struct{}{}, decisions: map[string]struct{}{}}
	reachedPrev := false
	queue := []plumbing.Hash{head}
	for len(queue) > 0 {
		c := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		if _, seen := h.commits[c]; seen {
			continue
		}
		if prev != nil {
			if _, known := prev.commits[c]; known {
				reachedPrev = reachedPrev || c == prev.head
				continue
			}
		}
		commit, err := object.GetCommit(p.st, c)
		if err != nil {
			return nil, false, err
		}
		h.commits[c] = struct{}{}
		if id := trailers(commit.Message)[TrailerDecisionID]; id != "" {
			h.decisions[id] = struct{}{}
		}
		queue = append(queue, commit.ParentHashes...)
	}
	if reachedPrev { // extend prev in place: only this walk's commits are new
		for c := range h.commits {
			prev.commits[c] = struct{}{}
		}
		for d := range h.decisions {
			prev.decisions[d] = struct{}{}
		}
		prev.head = head
		return prev, true, nil
	}
	return h, false, nil
}
