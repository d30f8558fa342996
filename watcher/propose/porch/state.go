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
	revs, head, err := p.list(ctx)
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
	for _, pkg := range pkgs {
		latest := latestPublished(byPackage[pkg])
		if latest == nil {
			continue
		}
		prr, err := p.resources().Get(ctx, latest.GetName(), metav1.GetOptions{})
		if err != nil {
			return st, fmt.Errorf("read the resources of %s: %w", latest.GetName(), err)
		}
		files, _, err := unstructured.NestedStringMap(prr.Object, "spec", "resources")
		if err != nil {
			return st, fmt.Errorf("the resources of %s: %w", latest.GetName(), err)
		}
		cnfs, err := decodeCNFs(files)
		if err != nil {
			return st, fmt.Errorf("inventory of %s: %w", latest.GetName(), err)
		}
		sort.SliceStable(cnfs, func(i, j int) bool { return cnfs[i].Name < cnfs[j].Name })
		for _, c := range cnfs {
			st.CNFs = append(st.CNFs, propose.CNF{CNFDeployment: c, Package: pkg})
			cnfOf[pkg] = append(cnfOf[pkg], c.Name)
		}
	}
	for _, r := range revs {
		if lc := r.lifecycle(); (lc != Draft && lc != Proposed) || !decisionID.MatchString(r.workspace()) {
			continue
		}
		ann := r.GetAnnotations()
		prop := propose.Proposal{ID: r.workspace(), CNF: ann[AnnotationCNF], Action: nephv1.Action(ann[AnnotationAction]),
			Ref: r.GetName(), At: proposedAt(r)}
		if prop.CNF == "" && len(cnfOf[r.pkg()]) == 1 {
			prop.CNF = cnfOf[r.pkg()][0]
		}
		st.Open = append(st.Open, prop)
	}
	sort.Slice(st.Open, func(i, j int) bool { return st.Open[i].Ref < st.Open[j].Ref })
	return st, nil
}
