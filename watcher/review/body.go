package review

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/watcher/model"
)

// Change is what the caller knows about a proposal beyond its decision:
// the package it changes, the CNF before and after, the firing rule's
// condition, and where the commands that reproduce it run.
type Change struct {
	// Package is the package path (slash-separated, relative to the
	// repository root; "" is the root).
	Package string
	// Branch is the proposal branch; Base the deployment branch.
	Branch, Base string
	// ReplicasBefore and ReplicasAfter are the CNF's replicas at the
	// deployment branch's head and on the proposal branch (the row is left
	// out when both are zero).
	ReplicasBefore, ReplicasAfter int32
	// PlacementBefore and PlacementAfter describe the placement (the
	// nodes and sites it avoids) before and after; the row is left out
	// when both are empty.
	PlacementBefore, PlacementAfter string
	// Condition is the firing rule's CEL condition as written (a
	// decision does not carry it).
	Condition string
	// DataDir is the watcher's data directory and RulesDir its rule
	// directory, for the commands that reproduce the decision (default
	// ./data and ./rules, the defaults of nephoran watch).
	DataDir, RulesDir string
	// Lookback is how much of the trace before the decision's window or
	// incident the reproduce commands export, so hysteresis and
	// cooldowns replay as they happened (default DefaultLookback).
	Lookback time.Duration
}

// DefaultLookback is Change.Lookback's default.
const DefaultLookback = time.Hour

// Limits that keep a body well below the forges' limits (GitHub refuses a
// body over 65536 characters).
const (
	maxReasonRunes = 4000
	maxTableRows   = 50
	maxCellRunes   = 200
)

// Body is the pull request's description in Markdown, for a reviewer to
// decide from: the marker line (Marker), the change (CNF, action,
// replicas or placement before and after), the rule and its condition,
// the evidence (the window's metric values or the VES event ids, and any
// other evidence key as it is), the correlation id, and the commands that
// reproduce the decision (nephoran trace export, nephoran replay). Text
// from the decision (the reason, evidence values) is only ever put in code
// spans and code blocks, so an event's content cannot add links or HTML.
func Body(d model.Decision, c Change) string {
	var b strings.Builder
	b.WriteString(Marker(d.ID))
	b.WriteString("\n\n")
	fmt.Fprintf(&b, "## %s\n\n", headline(d, c))

	if reason := strings.TrimSpace(d.Reason); reason != "" {
		b.WriteString(codeBlock("text", truncate(reason, maxReasonRunes)))
		b.WriteString("\n")
	}

	var intent *nephv1.CNFIntent
	if d.Intent != nil {
		intent = d.Intent
	}
	rows := [][2]string{
		{"CNF", code(d.CNF) + " (package " + code(orRoot(c.Package)) + ")"},
		{"Action", code(string(d.Action)) + actionDetail(intent)},
	}
	if c.ReplicasBefore != 0 || c.ReplicasAfter != 0 {
		rows = append(rows, [2]string{"Replicas", fromTo(strconv.Itoa(int(c.ReplicasBefore)), strconv.Itoa(int(c.ReplicasAfter)))})
	}
	if c.PlacementBefore != "" || c.PlacementAfter != "" {
		rows = append(rows, [2]string{"Placement", fromTo(orNone(c.PlacementBefore), orNone(c.PlacementAfter))})
	}
	rows = append(rows,
		[2]string{"Rule", code(d.Rule)},
		[2]string{"Condition", codeOrEmpty(c.Condition)},
		[2]string{"Approval", approval(d.Approval)},
		[2]string{"Decided at", decidedAt(d)},
		[2]string{"Decision", code(d.ID)},
	)
	if intent != nil && intent.Name != "" {
		rows = append(rows, [2]string{"Intent", code(intent.Name)})
	}
	rows = append(rows, [2]string{"Correlation", codeOrEmpty(d.CorrelationID)})
	if c.Branch != "" {
		branch := code(c.Branch)
		if c.Base != "" {
			branch += " into " + code(c.Base)
		}
		rows = append(rows, [2]string{"Branch", branch})
	}
	table(&b, []string{"", ""}, "--", rowsOf(rows))

	b.WriteString("\n### Evidence\n\n")
	var ev map[string][]byte
	if intent != nil {
		ev = make(map[string][]byte, len(intent.Spec.Evidence))
		for k, v := range intent.Spec.Evidence {
			ev[k] = v
		}
	}
	writeEvidence(&b, ev, c.Condition)

	b.WriteString("\n### Reproduce\n\n")
	writeReproduce(&b, d, c, ev)

	b.WriteString("\n---\n\n")
	if d.Approval == nephv1.ApprovalAuto {
		b.WriteString("The rule approves automatically: the watcher merges this pull request itself unless the forge refuses. Close it to reject the proposal.\n")
	} else {
		b.WriteString("Merge to approve the proposal; close without merging to reject it (the watcher then holds back this action for this CNF for the rule's cooldown).\n")
	}
	return b.String()
}

// headline is the body's heading: the action, the CNF and the change.
func headline(d model.Decision, c Change) string {
	h := code(string(d.Action)) + " " + code(d.CNF)
	switch {
	case c.ReplicasBefore != c.ReplicasAfter:
		h += fmt.Sprintf(": %d → %d replicas", c.ReplicasBefore, c.ReplicasAfter)
	case c.PlacementBefore != c.PlacementAfter:
		h += ": placement changes"
	}
	return h
}

// actionDetail says the intent's parameters: the step, the count, what a
// migrate avoids.
func actionDetail(in *nephv1.CNFIntent) string {
	if in == nil {
		return ""
	}
	s := &in.Spec
	switch s.Action {
	case nephv1.ActionScaleOut, nephv1.ActionScaleIn:
		return fmt.Sprintf(" by %d", s.StepDelta())
	case nephv1.ActionScaleTo:
		if s.Replicas != nil {
			return fmt.Sprintf(" to %d", *s.Replicas)
		}
	case nephv1.ActionMigrate:
		if s.Avoid != nil {
			var parts []string
			if len(s.Avoid.Nodes) > 0 {
				parts = append(parts, "nodes "+codeList(s.Avoid.Nodes))
			}
			if len(s.Avoid.Sites) > 0 {
				parts = append(parts, "sites "+codeList(s.Avoid.Sites))
			}
			if len(parts) > 0 {
				return " away from " + strings.Join(parts, " and ")
			}
		}
	}
	return ""
}

func approval(a nephv1.Approval) string {
	switch a {
	case nephv1.ApprovalAuto:
		return "auto (the watcher merges)"
	case "", nephv1.ApprovalManual:
		return "manual (a reviewer merges)"
	}
	return code(string(a))
}

// decidedAt is the intent's at stamp, or the decision's time.
func decidedAt(d model.Decision) string {
	if d.Intent != nil && d.Intent.Spec.At != "" {
		return code(d.Intent.Spec.At)
	}
	if !d.At.IsZero() {
		return code(d.At.UTC().Format(time.RFC3339))
	}
	return "—"
}

func fromTo(before, after string) string {
	if before == after {
		return code(before) + " (unchanged)"
	}
	return code(before) + " → " + code(after)
}

func orRoot(pkg string) string {
	if pkg == "" {
		return "."
	}
	return pkg
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func codeOrEmpty(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return code(s)
}

func codeList(items []string) string {
	parts := make([]string, len(items))
	for i, s := range items {
		parts[i] = code(s)
	}
	return strings.Join(parts, ", ")
}

// rowsOf turns label/value pairs into table rows, the label in bold.
func rowsOf(pairs [][2]string) [][]string {
	rows := make([][]string, len(pairs))
	for i, p := range pairs {
		rows[i] = []string{"**" + p[0] + "**", p[1]}
	}
	return rows
}

// table writes a Markdown table. align is the delimiter cell of every
// column ("--", "--:", ":-:"). Cells are written as they are: the caller
// built them with code(), and a | in them is escaped (GitHub and Gitea read
// \| as | inside code spans of a table too).
func table(b *strings.Builder, header []string, align string, rows [][]string) {
	aligns := make([]string, len(header))
	for i := range aligns {
		aligns[i] = align
	}
	tableAligned(b, header, aligns, rows)
}

func tableAligned(b *strings.Builder, header, aligns []string, rows [][]string) {
	writeRow := func(cells []string) {
		b.WriteString("|")
		for _, c := range cells {
			b.WriteString(" ")
			b.WriteString(strings.ReplaceAll(c, "|", `\|`))
			b.WriteString(" |")
		}
		b.WriteString("\n")
	}
	writeRow(header)
	writeRow(aligns)
	for _, r := range rows {
		writeRow(r)
	}
}

// code is s as an inline code span on one line, shortened to maxCellRunes:
// its fence is one backtick longer than the longest run of backticks in s.
func code(s string) string {
	s = truncate(oneLine(s), maxCellRunes)
	if s == "" {
		return "` `"
	}
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// codeBlock is s as a fenced code block.
func codeBlock(info, s string) string {
	fence := strings.Repeat("`", max(3, longestRun(s, '`')+1))
	return fence + info + "\n" + s + "\n" + fence + "\n"
}

func longestRun(s string, c byte) int {
	longest, n := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			n++
			longest = max(longest, n)
		} else {
			n = 0
		}
	}
	return longest
}
