// Package applyintent is the apply-intent KRM function: it applies one
// CNFIntent (its functionConfig) to the CNFDeployment it targets, within that
// CNF's guardrails, and stamps the nephoran.com/last-intent-* annotations that
// the watcher reads back from Git as its cooldown state.
//
// It changes only the target CNFDeployment; rendering the objects is
// render-cnf's job, so a pipeline runs apply-intent before render-cnf. An
// intent that cannot change anything is an error and changes no file; an
// intent whose id the target already carries as its last intent is a retry
// and changes nothing either, so delivery can be retried safely.
package applyintent

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kptdev/krm-functions-sdk/go/fn"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/internal/krm"
)

// Processor applies the CNFIntent functionConfig. Now stamps the -at
// annotation when the intent has no spec.at.
type Processor struct {
	Now func() time.Time
}

var _ fn.ResourceListProcessor = Processor{}

// Process implements fn.ResourceListProcessor.
func (p Processor) Process(rl *fn.ResourceList) (bool, error) {
	fail := func(r *fn.Result) (bool, error) {
		rl.Results = append(rl.Results, r)
		return false, nil
	}
	if rl.FunctionConfig == nil || !krm.IsCNFIntent(rl.FunctionConfig) {
		return fail(fn.GeneralResult("functionConfig must be a CNFIntent ("+nephv1.APIVersion+")", fn.Error))
	}
	intent, results := krm.DecodeIntent(rl.FunctionConfig)
	if len(results) > 0 {
		rl.Results = append(rl.Results, results...)
		return false, nil
	}
	var target *fn.KubeObject
	for _, o := range rl.Items.Where(krm.IsCNFDeployment) {
		if o.GetName() == intent.Spec.Target {
			target = o
		}
	}
	if target == nil {
		return fail(krm.ObjectResult(rl.FunctionConfig, "spec.target",
			fmt.Sprintf("spec.target: no CNFDeployment named %q in the package", intent.Spec.Target), fn.Error))
	}
	// The same intent id twice is a retry, not a second change: exactly once.
	if target.GetAnnotation(nephv1.AnnotationLastIntentID) == intent.Name {
		rl.Results = append(rl.Results, krm.ObjectResult(target, "", fmt.Sprintf("intent %s was already applied at %s: nothing to do",
			intent.Name, target.GetAnnotation(nephv1.AnnotationLastIntentAt)), fn.Info))
		return true, nil
	}
	cnfs, results := krm.DecodeCNFs(fn.KubeObjects{target})
	if len(results) > 0 {
		rl.Results = append(rl.Results, results...)
		return false, nil
	}
	change, err := Plan(cnfs[0].CNFDeployment, intent)
	if err != nil {
		return fail(krm.ObjectResult(target, err.Field, err.Error(), fn.Error))
	}
	if change.Clamped != "" {
		rl.Results = append(rl.Results, krm.ObjectResult(target, "spec.replicas", change.Clamped, fn.Warning))
	}
	if err := change.applyTo(target); err != nil {
		return false, err
	}
	at := p.Now().UTC().Format(time.RFC3339)
	if t, err := time.Parse(time.RFC3339, intent.Spec.At); err == nil {
		at = t.UTC().Format(time.RFC3339) // Validate has refused any other value
	}
	// A fixed order, so new annotations are always added the same way; an
	// empty value removes what an earlier intent left.
	for _, a := range [][2]string{
		{nephv1.AnnotationLastIntentID, intent.Name},
		{nephv1.AnnotationLastIntentAction, string(intent.Spec.Action)},
		{nephv1.AnnotationLastIntentAt, at},
		{nephv1.AnnotationLastIntentReason, intent.Spec.Reason},
		{nephv1.AnnotationLastIntentSource, intent.Spec.Source},
	} {
		var err error
		if a[1] == "" {
			err = target.RemoveAnnotation(a[0])
		} else {
			err = target.SetAnnotation(a[0], a[1])
		}
		if err != nil {
			return false, err
		}
	}
	rl.Results = append(rl.Results, krm.ObjectResult(target, "", change.Summary, fn.Info))
	return true, nil
}

// Change is what an intent does to one CNFDeployment.
type Change struct {
	Replicas          *int32
	RestartGeneration *int64
	// Placement, when set, replaces sites, excludedSites and excludedNodes.
	Placement *nephv1.Placement
	// Clamped says why the replica count stopped at a bound, if it did.
	Clamped string
	// Summary is one line for a human: "replicas 2 -> 3".
	Summary string
}

// PlanError is an intent that cannot be applied; Field is the leaf path.
type PlanError struct {
	Field, Msg string
}

func (e *PlanError) Error() string { return e.Field + ": " + e.Msg }

// Plan computes the change an intent makes to a CNF, or why it makes none.
func Plan(c *nephv1.CNFDeployment, in *nephv1.CNFIntent) (Change, *PlanError) {
	s := c.Spec
	lo, hi := s.Scaling.MinReplicas, s.Scaling.MaxReplicas
	switch in.Spec.Action {
	case nephv1.ActionScaleOut, nephv1.ActionScaleIn:
		step := in.Spec.StepDelta()
		want, bound, name := s.Replicas+step, hi, "maxReplicas"
		if in.Spec.Action == nephv1.ActionScaleIn {
			want, bound, name = s.Replicas-step, lo, "minReplicas"
		}
		got := min(max(want, lo), hi)
		if got == s.Replicas {
			return Change{}, &PlanError{"spec.replicas", fmt.Sprintf("%s cannot change anything: replicas is already %d, at %s %d", in.Spec.Action, s.Replicas, name, bound)}
		}
		ch := Change{Replicas: &got, Summary: fmt.Sprintf("%s: replicas %d -> %d", in.Spec.Action, s.Replicas, got)}
		if got != want {
			ch.Clamped = fmt.Sprintf("spec.replicas: %s by %d clamped to %s %d (asked for %d)", in.Spec.Action, step, name, bound, want)
		}
		return ch, nil
	case nephv1.ActionScaleTo:
		want := *in.Spec.Replicas
		if want < lo || want > hi {
			return Change{}, &PlanError{"spec.replicas", fmt.Sprintf("scale_to %d is outside scaling [%d,%d]", want, lo, hi)}
		}
		if want == s.Replicas {
			return Change{}, &PlanError{"spec.replicas", fmt.Sprintf("scale_to cannot change anything: replicas is already %d", want)}
		}
		return Change{Replicas: &want, Summary: fmt.Sprintf("scale_to: replicas %d -> %d", s.Replicas, want)}, nil
	case nephv1.ActionMigrate:
		return planMigrate(s.Placement, in.Spec.Avoid)
	case nephv1.ActionRestart:
		g := s.RestartGeneration + 1
		return Change{RestartGeneration: &g, Summary: fmt.Sprintf("restart: restartGeneration %d -> %d", s.RestartGeneration, g)}, nil
	}
	return Change{}, &PlanError{"spec.action", fmt.Sprintf("unknown action %q", in.Spec.Action)}
}

// planMigrate moves avoided sites from sites to excludedSites and adds
// avoided nodes to excludedNodes.
func planMigrate(pl *nephv1.Placement, avoid *nephv1.Avoid) (Change, *PlanError) {
	if pl == nil {
		pl = &nephv1.Placement{}
	}
	next := &nephv1.Placement{
		Sites:         slices.Clone(pl.Sites),
		ExcludedSites: slices.Clone(pl.ExcludedSites),
		ExcludedNodes: slices.Clone(pl.ExcludedNodes),
	}
	var moved []string
	for _, site := range avoid.Sites {
		next.Sites = slices.DeleteFunc(next.Sites, func(s string) bool { return s == site })
		if !slices.Contains(next.ExcludedSites, site) {
			next.ExcludedSites = append(next.ExcludedSites, site)
			moved = append(moved, "site "+site)
		}
	}
	for _, node := range avoid.Nodes {
		if !slices.Contains(next.ExcludedNodes, node) {
			next.ExcludedNodes = append(next.ExcludedNodes, node)
			moved = append(moved, "node "+node)
		}
	}
	if len(moved) == 0 {
		return Change{}, &PlanError{"spec.placement", "migrate cannot change anything: every avoided site and node is already excluded"}
	}
	if len(pl.Sites) > 0 && len(next.Sites) == 0 {
		return Change{}, &PlanError{"spec.placement.sites", fmt.Sprintf("migrate would leave no site: %v are all avoided", pl.Sites)}
	}
	return Change{Placement: next, Summary: fmt.Sprintf("migrate: avoid %s", strings.Join(moved, ", "))}, nil
}

// applyTo writes the change into the object in place, keeping comments.
func (ch Change) applyTo(o *fn.KubeObject) error {
	if ch.Replicas != nil {
		if err := o.SetNestedInt(int(*ch.Replicas), "spec", "replicas"); err != nil {
			return err
		}
	}
	if ch.RestartGeneration != nil {
		if err := o.SetNestedInt(int(*ch.RestartGeneration), "spec", "restartGeneration"); err != nil {
			return err
		}
	}
	if pl := ch.Placement; pl != nil {
		// A fixed order, so fields that appear are always added the same way.
		for _, f := range []struct {
			name string
			vals []string
		}{{"sites", pl.Sites}, {"excludedSites", pl.ExcludedSites}, {"excludedNodes", pl.ExcludedNodes}} {
			name, vals := f.name, f.vals
			var err error
			if len(vals) == 0 {
				_, err = o.RemoveNestedField("spec", "placement", name)
			} else {
				err = o.SetNestedStringSlice(vals, "spec", "placement", name)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}
