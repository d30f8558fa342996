package porch

import (
	"context"
	"fmt"
	"sort"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/watcher/propose"
)

// State implements propose.Proposer: the CNFDeployments of every
// package's latest Published revision, and the open proposals (Draft and
// Proposed revisions whose workspace name is a decision id).
func (p *Proposer) State(ctx context.Context) (propose.State, error) {
	var st propose.State
	revs, head, err := p.list(ctx, "")
	if err != nil {
		return st, err
	}
	st.Head = head
	byPackage := map[string][]rev{}
	for _, r := range revs {
		byPackage[r.pkg()] = append(byPackage[r.pkg()], r)
	}
	pkgs := make([]string, 0, len(byPackage))
	for pkg := range byPackage {
		pkgs = append(pkgs, pkg)
	}
	sort.Strings(pkgs)
	cnfOf := map[string][]string{} // package -> CNF names
	used := map[publishedKey]bool{}
	for _, pkg := range pkgs {
		latest := latestPublished(byPackage[pkg])
		if latest == nil {
			continue
		}
		used[publishedKey{latest.GetName(), string(latest.GetUID())}] = true
		cnfs, err := p.publishedCNFs(ctx, latest)
		if err != nil {
			return st, err
		}
		for _, c := range cnfs {
			st.CNFs = append(st.CNFs, propose.CNF{CNFDeployment: c, Package: pkg})
			cnfOf[pkg] = append(cnfOf[pkg], c.Name)
		}
	}
	for _, r := range revs {
		lc := r.lifecycle()
		if (lc != Draft && lc != Proposed) || !decisionID.MatchString(r.workspace()) {
			continue
		}
		ann := r.GetAnnotations()
		prop := propose.Proposal{ID: r.workspace(), CNF: ann[AnnotationCNF], Action: nephv1.Action(ann[AnnotationAction]),
			Ref: r.GetName(), At: proposedAt(r)}
		if lc == Draft {
			prop.Rejection = "PackageRevision " + r.GetName() + " is a Draft (sent back by a reviewer, or not proposed yet)"
		}
		if prop.CNF == "" && len(cnfOf[r.pkg()]) == 1 {
			prop.CNF = cnfOf[r.pkg()][0]
		}
		st.Open = append(st.Open, prop)
	}
	sort.Slice(st.Open, func(i, j int) bool { return st.Open[i].Ref < st.Open[j].Ref })
	p.mu.Lock()
	for k := range p.published {
		if !used[k] {
			delete(p.published, k)
		}
	}
	p.mu.Unlock()
	return st, nil
}

// publishedCNFs returns the CNFDeployments of the Published revision r, by
// name. A Published revision's resources never change, so they are read
// once per revision (keyed by UID, which a deleted and recreated name does
// not keep) and served from memory afterwards: a refresh of a repository
// of 1,000 packages is one list, not 1,000 reads. Callers must not modify
// the objects returned.
func (p *Proposer) publishedCNFs(ctx context.Context, r *rev) ([]*nephv1.CNFDeployment, error) {
	k := publishedKey{r.GetName(), string(r.GetUID())}
	p.mu.Lock()
	cnfs, ok := p.published[k]
	p.mu.Unlock()
	if ok {
		return cnfs, nil
	}
	prr, err := p.resources().Get(ctx, r.GetName(), metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("read the resources of %s: %w", r.GetName(), err)
	}
	files, _, err := unstructured.NestedStringMap(prr.Object, "spec", "resources")
	if err != nil {
		return nil, fmt.Errorf("the resources of %s: %w", r.GetName(), err)
	}
	cnfs, err = decodeCNFs(files)
	if err != nil {
		return nil, fmt.Errorf("inventory of %s: %w", r.GetName(), err)
	}
	sort.SliceStable(cnfs, func(i, j int) bool { return cnfs[i].Name < cnfs[j].Name })
	p.mu.Lock()
	p.published[k] = cnfs
	p.mu.Unlock()
	return cnfs, nil
}

type publishedKey struct{ name, uid string }
