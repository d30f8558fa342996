package validatecnf

import (
	"errors"
	"fmt"

	"github.com/kptdev/krm-functions-sdk/go/fn"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/internal/krm"
	"github.com/nephoran/nephoran/watcher/rules"
)

// isRule says whether o is an AutomationRule or an FCAPSRule.
func isRule(o *fn.KubeObject) bool {
	return o.GetAPIVersion() == nephv1.APIVersion && (o.GetKind() == nephv1.KindAutomationRule || o.GetKind() == nephv1.KindFCAPSRule)
}

// validateRule checks one rule as the watcher loads it: strict decoding and
// validation, CEL compiled to a bool within the cost limit, templates
// parsed, and the string-compared-with-a-number warning. The positions the
// rules package reports are those of the object alone, not of its file, so
// a result names the field and keeps the expression column in its message.
func validateRule(o *fn.KubeObject) fn.Results {
	path := o.PathAnnotation()
	if path == "" {
		path = o.GetKind() + "/" + o.GetName()
	}
	warnings, err := rules.Check(path, []byte(o.String()))
	var results fn.Results
	for _, w := range warnings {
		results = append(results, krm.ObjectResult(o, w.Field, message(w), fn.Warning))
	}
	var problems rules.ProblemList
	if errors.As(err, &problems) {
		for _, p := range problems {
			results = append(results, krm.ObjectResult(o, p.Field, message(p), fn.Error))
		}
	} else if err != nil {
		results = append(results, krm.ObjectResult(o, "", err.Error(), fn.Error))
	}
	return results
}

func message(p rules.Problem) string {
	if p.Field == "" {
		return p.Message
	}
	return fmt.Sprintf("%s: %s", p.Field, p.Message)
}
