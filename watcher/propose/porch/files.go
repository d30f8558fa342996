package porch

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/kptdev/krm-functions-sdk/go/fn"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/pipeline"
	"github.com/nephoran/nephoran/watcher/propose"
)

// errRender says the package's pipeline failed after the intent applied:
// the backend refuses such a proposal (it is not retried).
var errRender = fmt.Errorf("render failed: %w", propose.ErrRefused)

// applyIntent applies intent to a package's files in a temporary
// directory and returns every file afterwards, and whether any changed.
// A refused intent (at a bound, outside the guardrails, no such target) or
// one already applied is propose.ErrNoChange; a failing pipeline wraps
// errRender.
func applyIntent(files map[string]string, intent *nephv1.CNFIntent, now time.Time) (map[string]string, bool, error) {
	dir, err := os.MkdirTemp("", "nephoran-porch-")
	if err != nil {
		return nil, false, err
	}
	defer os.RemoveAll(dir)
	if err := pipeline.WriteTree(dir, files); err != nil {
		return nil, false, fmt.Errorf("resources: %w", err)
	}
	res, err := pipeline.ApplyIntent(dir, intent, now)
	switch {
	case err != nil && res.Applied.Failed:
		return nil, false, fmt.Errorf("%s: %w", why(res.Applied), propose.ErrNoChange)
	case errors.Is(err, pipeline.ErrFailed):
		var msgs []string
		for _, s := range res.Rendered {
			if s.Failed {
				msgs = append(msgs, s.Function+": "+why(s))
			}
		}
		return nil, false, fmt.Errorf("%s: %w", strings.Join(msgs, "; "), errRender)
	case err != nil:
		return nil, false, err
	case !res.Changed:
		return nil, false, fmt.Errorf("%s: %w", why(res.Applied), propose.ErrNoChange)
	}
	out, err := pipeline.ReadTree(dir)
	if err != nil {
		return nil, false, err
	}
	return out, !maps.Equal(out, files), nil
}

// why is what a step's results say, errors first ("no results" when none).
func why(s pipeline.Step) string {
	var errs, all []string
	for _, r := range s.Results {
		all = append(all, r.Message)
		if r.Severity == fn.Error {
			errs = append(errs, r.Message)
		}
	}
	switch {
	case len(errs) > 0:
		return strings.Join(errs, "; ")
	case len(all) > 0:
		return strings.Join(all, "; ")
	}
	return "no results"
}

// decodeCNFs strictly decodes every CNFDeployment in a package's YAML
// files. A document that says it is a CNFDeployment and does not decode is
// an error naming the file: a partial inventory would hide a CNF.
func decodeCNFs(files map[string]string) ([]*nephv1.CNFDeployment, error) {
	names := make([]string, 0, len(files))
	for name := range files {
		if strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var cnfs []*nephv1.CNFDeployment
	var problems []string
	for _, name := range names {
		found, bad, err := nephv1.CNFDeploymentsIn([]byte(files[name]))
		cnfs = append(cnfs, found...)
		for _, p := range bad {
			problems = append(problems, name+": "+p)
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", name, err))
		}
	}
	if len(problems) > 0 {
		return cnfs, errors.New(strings.Join(problems, "; "))
	}
	return cnfs, nil
}
