package git

import (
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"

	nephv1 "github.com/nephoran/nephoran/api/v1"
)

// The inventory is every CNFDeployment in the *.yaml and *.yml files under
// Options.Path at a commit. Reading it from 1,000 packages means reading
// 10,000 blobs, so each tree's findings are kept by the tree's hash: the
// next commit differs in one package, and only the trees on that package's
// path are read again. Findings of trees not seen in the last two reads are
// dropped, so the cache holds about two heads' worth.

// found is one CNFDeployment: the file (relative to the tree it was found
// in), its name, and the strictly decoded object as JSON (each caller
// gets its own copy from it).
type found struct {
	file, name string
	json       []byte
}

// scanned is what a tree holds, relative to it.
type scanned struct {
	cnfs     []found
	problems []string // "file: field: detail", sorted
	children []plumbing.Hash
	gen      uint64
}

type inventory struct {
	trees map[plumbing.Hash]*scanned
	gen   uint64
}

// inventoryAt reads the CNFDeployments under Options.Path in tree root.
// Any CNFDeployment that does not decode strictly is an error naming its
// file and field: Git is the truth, and a partial inventory would hide a
// CNF.
func (p *Proposer) inventoryAt(root plumbing.Hash) ([]found, error) {
	base, err := p.subtree(root, p.opts.Path)
	if err != nil {
		return nil, err
	}
	if base.IsZero() {
		if p.opts.Path == "" {
			return nil, nil
		}
		return nil, fmt.Errorf("no directory %s on %s", p.opts.Path, p.opts.Branch)
	}
	inv := &p.inv
	inv.gen++
	s, err := p.scan(base)
	if err != nil {
		return nil, err
	}
	for h, t := range inv.trees { // keep what the last two reads used
		if t.gen+1 < inv.gen {
			delete(inv.trees, h)
		}
	}
	if len(s.problems) > 0 {
		return nil, fmt.Errorf("%d CNFDeployment(s) under %s do not decode: %s",
			len(s.problems), orRoot(p.opts.Path), strings.Join(prefixAll(p.opts.Path, s.problems), "; "))
	}
	out := make([]found, len(s.cnfs))
	for i, f := range s.cnfs {
		out[i] = found{file: path.Join(p.opts.Path, f.file), name: f.name, json: f.json}
	}
	return out, nil
}

// scan returns what the tree h holds, from the cache when it was read
// before (marking it and its subtrees used).
func (p *Proposer) scan(h plumbing.Hash) (*scanned, error) {
	inv := &p.inv
	if s, ok := inv.trees[h]; ok {
		inv.touch(h)
		return s, nil
	}
	t, err := p.tree(h)
	if err != nil {
		return nil, err
	}
	s := &scanned{gen: inv.gen}
	for _, e := range t.Entries {
		switch {
		case e.Mode == filemode.Dir:
			if strings.HasPrefix(e.Name, ".") {
				continue // .git-like and hidden directories hold no packages
			}
			sub, err := p.scan(e.Hash)
			if err != nil {
				return nil, err
			}
			s.children = append(s.children, e.Hash)
			for _, f := range sub.cnfs {
				s.cnfs = append(s.cnfs, found{file: e.Name + "/" + f.file, name: f.name, json: f.json})
			}
			for _, pr := range sub.problems {
				s.problems = append(s.problems, e.Name+"/"+pr)
			}
		case e.Mode.IsRegular() && (strings.HasSuffix(e.Name, ".yaml") || strings.HasSuffix(e.Name, ".yml")):
			b, err := p.blob(e.Hash)
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", e.Name, err)
			}
			cnfs, problems, _ := nephv1.CNFDeploymentsIn(b) // a file that is not YAML is not an inventory file
			for _, c := range cnfs {
				js, err := json.Marshal(c)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", e.Name, err)
				}
				s.cnfs = append(s.cnfs, found{file: e.Name, name: c.Name, json: js})
			}
			for _, pr := range problems {
				s.problems = append(s.problems, e.Name+": "+pr)
			}
		}
	}
	sort.Strings(s.problems)
	if inv.trees == nil {
		inv.trees = map[plumbing.Hash]*scanned{}
	}
	inv.trees[h] = s
	return s, nil
}

// touch marks a cached tree and its cached subtrees as used now.
func (inv *inventory) touch(h plumbing.Hash) {
	s, ok := inv.trees[h]
	if !ok || s.gen == inv.gen {
		return
	}
	s.gen = inv.gen
	for _, c := range s.children {
		inv.touch(c)
	}
}

func prefixAll(dir string, ss []string) []string {
	if dir == "" {
		return ss
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = dir + "/" + s
	}
	return out
}

func orRoot(dir string) string {
	if dir == "" {
		return "the repository root"
	}
	return dir
}
