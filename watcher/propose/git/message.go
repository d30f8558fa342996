package git

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/nephoran/nephoran/watcher/model"
)

// The trailers of a proposal commit. Git reads them as trailers (the last
// paragraph, `git interpret-trailers --parse`), and State reads them back.
const (
	TrailerIntentID      = "Nephoran-Intent-Id"
	TrailerDecisionID    = "Nephoran-Decision-Id"
	TrailerCNF           = "Nephoran-CNF"
	TrailerAction        = "Nephoran-Action"
	TrailerRule          = "Nephoran-Rule"
	TrailerCorrelationID = "Nephoran-Correlation-Id"
	TrailerMergedFrom    = "Nephoran-Merged-From"
)

// summaryMax is the longest summary line, ellipsis included.
const summaryMax = 72

// kptAnnotation is the structured line Porch's git cache writes into the
// commits it makes: "kpt:" and this JSON, with Porch's field names.
type kptAnnotation struct {
	PackagePath   string   `json:"package,omitempty"`
	WorkspaceName string   `json:"workspaceName,omitempty"`
	Revision      string   `json:"revision,omitempty"`
	Task          *kptTask `json:"task,omitempty"`
}

type kptTask struct {
	Type string       `json:"type"`
	Edit *kptEditTask `json:"edit,omitempty"`
}

type kptEditTask struct {
	SourceRef *kptRef `json:"sourceRef,omitempty"`
}

type kptRef struct {
	Name string `json:"name"`
}

// message is the commit message of a decision's proposal: a summary (the
// rendered reason), the evidence, the trailers, and the kpt annotation.
// mergedFrom, when set, marks the commit that lands the proposal branch of
// that name on the deployment branch.
func (p *Proposer) message(d model.Decision, pkg, mergedFrom string) string {
	var b strings.Builder
	reason := strings.TrimSpace(d.Reason)
	summary, _, _ := strings.Cut(reason, "\n")
	summary = strings.TrimSpace(summary)
	if summary == "" {
		summary = fmt.Sprintf("%s %s", d.Action, d.CNF)
	}
	full := summary
	if utf8.RuneCountInString(summary) > summaryMax {
		r := []rune(summary)
		summary = strings.TrimRight(string(r[:summaryMax-1]), " ") + "…"
	}
	b.WriteString(summary)
	b.WriteString("\n\n")
	if reason != "" && (summary != full || strings.Contains(reason, "\n")) {
		b.WriteString(reason)
		b.WriteString("\n\n")
	}

	rows := [][2]string{
		{"Rule", d.Rule},
		{"Action", string(d.Action)},
		{"CNF", d.CNF + " (package " + orRoot(pkg) + ")"},
		{"Correlation", d.CorrelationID},
		{"Approval", string(d.Approval)},
	}
	if d.Intent != nil && d.Intent.Spec.At != "" {
		rows = append(rows, [2]string{"Decided at", d.Intent.Spec.At})
	}
	for _, r := range rows {
		if r[1] != "" {
			fmt.Fprintf(&b, "%-12s %s\n", r[0]+":", r[1])
		}
	}
	if d.Intent != nil && len(d.Intent.Spec.Evidence) > 0 {
		b.WriteString("Evidence:\n")
		keys := make([]string, 0, len(d.Intent.Spec.Evidence))
		for k := range d.Intent.Spec.Evidence {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "  %s: %s\n", k, model.EvidenceText(d.Intent.Spec.Evidence[k]))
		}
	}
	b.WriteString("\n")

	intentID := ""
	if d.Intent != nil {
		intentID = d.Intent.Name
	}
	for _, t := range [][2]string{
		{TrailerIntentID, intentID},
		{TrailerDecisionID, d.ID},
		{TrailerCNF, d.CNF},
		{TrailerAction, string(d.Action)},
		{TrailerRule, d.Rule},
		{TrailerCorrelationID, d.CorrelationID},
		{TrailerMergedFrom, mergedFrom},
	} {
		if v := oneLine(t[1]); v != "" {
			fmt.Fprintf(&b, "%s: %s\n", t[0], v)
		}
	}
	// Last, in the trailer paragraph: git still parses the trailers, and
	// Porch finds the line anywhere in the message.
	a := kptAnnotation{PackagePath: pkg, WorkspaceName: d.ID, Task: &kptTask{Type: "edit"}}
	if p.remote.name != "" {
		a.Task.Edit = &kptEditTask{SourceRef: &kptRef{Name: porchName(p.remote.name, pkg, p.opts.Branch)}}
	}
	js, _ := json.Marshal(a) // plain strings: always marshals
	b.WriteString("kpt:")
	b.Write(js)
	b.WriteString("\n")
	return b.String()
}

// porchName is Porch's object name of a package revision:
// <repository>.<package path dotted>.<workspace>.
func porchName(repo, pkg, ws string) string {
	return repo + "." + strings.ReplaceAll(pkg, "/", ".") + "." + ws
}

// oneLine folds a value onto one line, as a trailer needs.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// trailers returns the Nephoran-* trailers of a commit message (the last
// value of each key).
func trailers(msg string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(msg, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ": ")
		if ok && strings.HasPrefix(k, "Nephoran-") && !strings.ContainsAny(k, " \t") {
			out[k] = strings.TrimSpace(v)
		}
	}
	return out
}
