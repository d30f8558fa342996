package decide

import (
	"fmt"
	"slices"

	nephv1 "github.com/nephoran/nephoran/api/v1"
)

// replicaBounds are the tighter of the rule's min/maxReplicas and the CNF's
// spec.scaling, with where each came from.
func replicaBounds(c *cnf, r *rule) (lo, hi int32, loFrom, hiFrom string) {
	sc := c.dep.Spec.Scaling
	lo, loFrom = sc.MinReplicas, "spec.scaling.minReplicas"
	hi, hiFrom = sc.MaxReplicas, "spec.scaling.maxReplicas"
	if r.MinReplicas != nil && *r.MinReplicas > lo {
		lo, loFrom = *r.MinReplicas, "the rule's minReplicas"
	}
	if r.MaxReplicas != nil && *r.MaxReplicas < hi {
		hi, hiFrom = *r.MaxReplicas, "the rule's maxReplicas"
	}
	return lo, hi, loFrom, hiFrom
}

// atBound says why the action cannot change the CNF, or "" when it can.
// avoid is the rendered avoid lists of a migrate.
func atBound(c *cnf, r *rule, avoid *nephv1.Avoid) string {
	replicas := c.dep.Spec.Replicas
	lo, hi, loFrom, hiFrom := replicaBounds(c, r)
	switch r.Action {
	case nephv1.ActionScaleOut:
		if replicas >= hi {
			return fmt.Sprintf("replicas %d is at or above the maximum %d (%s)", replicas, hi, hiFrom)
		}
	case nephv1.ActionScaleIn:
		if replicas <= lo {
			return fmt.Sprintf("replicas %d is at or below the minimum %d (%s)", replicas, lo, loFrom)
		}
	case nephv1.ActionScaleTo:
		want := *r.Replicas
		switch {
		case want > hi:
			return fmt.Sprintf("scale_to %d is above the maximum %d (%s)", want, hi, hiFrom)
		case want < lo:
			return fmt.Sprintf("scale_to %d is below the minimum %d (%s)", want, lo, loFrom)
		case want == replicas:
			return fmt.Sprintf("replicas is already %d", replicas)
		}
	case nephv1.ActionMigrate:
		return migrateBound(c.dep.Spec.Placement, avoid)
	}
	return ""
}

// migrateBound: a migrate needs a node or site it does not already avoid,
// and must leave the CNF a site (as apply-intent checks).
func migrateBound(pl *nephv1.Placement, avoid *nephv1.Avoid) string {
	if pl == nil {
		pl = &nephv1.Placement{}
	}
	if len(avoid.Nodes)+len(avoid.Sites) == 0 {
		return "no node or site to avoid"
	}
	fresh := 0
	for _, n := range avoid.Nodes {
		if !slices.Contains(pl.ExcludedNodes, n) {
			fresh++
		}
	}
	for _, s := range avoid.Sites {
		if !slices.Contains(pl.ExcludedSites, s) {
			fresh++
		}
	}
	if fresh == 0 {
		return fmt.Sprintf("every node and site to avoid is already excluded (nodes %v, sites %v)", avoid.Nodes, avoid.Sites)
	}
	if len(pl.Sites) > 0 && !slices.ContainsFunc(pl.Sites, func(s string) bool { return !slices.Contains(avoid.Sites, s) }) {
		return fmt.Sprintf("migrate would leave no site: %v are all avoided", pl.Sites)
	}
	return ""
}
