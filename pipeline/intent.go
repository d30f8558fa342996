package pipeline

import (
	"fmt"
	"time"

	"github.com/kptdev/krm-functions-sdk/go/fn"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	applyintent "github.com/nephoran/nephoran/functions/apply-intent"
	"github.com/nephoran/nephoran/internal/krm"
)

// IntentOutcome is what ApplyIntent did to a package.
type IntentOutcome struct {
	// Applied is apply-intent's step. When it failed, the intent was
	// refused (at a bound, outside the guardrails, no such target) and
	// its results say why; nothing ran after it.
	Applied Step
	// Rendered are the Kptfile pipeline's steps, run after apply-intent.
	Rendered []Step
	// Changed says apply-intent changed the target CNFDeployment. It is
	// false when the package already carries this intent (a retry: the
	// target's last-intent-id is the intent's name).
	Changed bool
}

// Steps returns every step in the order it ran.
func (o IntentOutcome) Steps() []Step {
	if o.Applied.Function == "" {
		return o.Rendered
	}
	return append([]Step{o.Applied}, o.Rendered...)
}

// ApplyIntent applies one CNFIntent to the package in dir, as `nephoran
// intent` does: apply-intent with the intent as its functionConfig (now
// stamps it when it has no spec.at), then the package's Kptfile pipeline;
// the package is written back only when every function succeeded. An error
// wrapping ErrFailed means a function failed: Applied.Failed says whether
// apply-intent refused the intent or the pipeline failed after it.
func ApplyIntent(dir string, intent *nephv1.CNFIntent, now time.Time) (IntentOutcome, error) {
	var out IntentOutcome
	pkg, err := Load(dir)
	if err != nil {
		return out, err
	}
	in := *intent // TypeMeta is set on a copy: the caller's intent is left alone
	in.APIVersion, in.Kind = nephv1.APIVersion, nephv1.KindCNFIntent
	config, err := fn.NewFromTypedObject(in)
	if err != nil {
		return out, fmt.Errorf("encode intent %s: %w", in.Name, err)
	}
	before := targetYAML(pkg.Items, in.Spec.Target)
	proc := applyintent.Processor{Now: func() time.Time { return now }}
	out.Applied, err = pkg.Run(Image("apply-intent"), proc, config, true)
	if err != nil {
		return out, err
	}
	out.Changed = targetYAML(pkg.Items, in.Spec.Target) != before
	out.Rendered, err = pkg.Render()
	if err != nil {
		return out, err
	}
	return out, pkg.Write()
}

// targetYAML is the CNFDeployment named target as YAML ("" when absent).
func targetYAML(items fn.KubeObjects, target string) string {
	for _, o := range items.Where(krm.IsCNFDeployment) {
		if o.GetName() == target {
			return o.String()
		}
	}
	return ""
}
