package review

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/watcher/model"
)

// TitleMax is the longest title, ellipsis included: the proposal commit's
// summary line is as long, so the two read the same.
const TitleMax = 72

// Labels of a proposal's pull request.
const (
	// LabelPrefix starts every label the watcher sets.
	LabelPrefix = "nephoran/"
	// LabelAuto marks the pull request of a rule with approval: auto.
	LabelAuto = LabelPrefix + "auto"
)

// Title is the pull request's title: the first line of the decision's
// reason (the rule's rendered intentTemplate), control characters
// dropped, shortened to TitleMax runes with an ellipsis; "<action> <cnf>"
// when the reason is empty.
func Title(d model.Decision) string {
	first, _, _ := strings.Cut(strings.TrimSpace(d.Reason), "\n")
	t := oneLine(first)
	if t == "" {
		t = oneLine(fmt.Sprintf("%s %s", d.Action, d.CNF))
	}
	return truncate(t, TitleMax)
}

// Labels are the pull request's labels: nephoran/<action> (for example
// nephoran/scale_out), and LabelAuto when the rule approves automatically.
func Labels(d model.Decision) []string {
	labels := []string{LabelPrefix + oneLine(string(d.Action))}
	if d.Approval == nephv1.ApprovalAuto {
		labels = append(labels, LabelAuto)
	}
	return labels
}

// markerRE finds the marker line of a body.
var markerRE = regexp.MustCompile(`(?m)^<!-- nephoran:decision ([0-9A-Za-z._-]+) -->\s*$`)

// Marker is the hidden line a pull request's body starts with, naming its
// decision: <!-- nephoran:decision <id> -->.
func Marker(decisionID string) string {
	return "<!-- nephoran:decision " + decisionID + " -->"
}

// MarkedDecision returns the decision id of the first marker line in a
// pull request's body, "" when there is none.
func MarkedDecision(body string) string {
	m := markerRE.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

// oneLine folds s onto one line and drops control characters.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// truncate shortens s to n runes, the last one an ellipsis.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimRight(string(r[:n-1]), " ") + "…"
}
