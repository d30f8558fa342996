package rules

import (
	"fmt"
	"strings"
)

// Problem is one finding about a rule file: an error, which refuses the
// rule, or a warning, which does not (a rule that loads but probably does
// not do what its author meant).
type Problem struct {
	// File is the rule file as the loader named it (dir joined with the
	// path under it).
	File string
	// Line and Col are 1-based and count characters; inside a condition or
	// template they point at the offending part of the expression (see
	// scalar.at for how exact that is). 0 when unknown.
	Line, Col int
	// Field is the field's path in the document: spec.condition,
	// rules[0].intentTemplate, metadata.name; empty for the whole file.
	Field string
	// Message says what is wrong and what to write instead.
	Message string
	// Warning is set for warnings.
	Warning bool
}

// String formats the problem as file:line:col: field: message, the form
// editors and CI logs link to.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
		if p.Col > 0 {
			fmt.Fprintf(&b, ":%d", p.Col)
		}
	}
	b.WriteString(": ")
	if p.Warning {
		b.WriteString("warning: ")
	}
	if p.Field != "" {
		b.WriteString(p.Field + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// ProblemList is the error of a load that was refused: every error found
// in every file, in file order. Use errors.As to read it.
type ProblemList []Problem

// Error lists the problems one a line.
func (l ProblemList) Error() string {
	if len(l) == 1 {
		return l[0].String()
	}
	lines := make([]string, 0, len(l)+1)
	lines = append(lines, fmt.Sprintf("%d problems:", len(l)))
	for _, p := range l {
		lines = append(lines, "  "+p.String())
	}
	return strings.Join(lines, "\n")
}

// problem makes a Problem at a code point offset of the scalar's value.
func (s scalar) problem(off int, msg string, warning bool) Problem {
	line, col := s.at(off)
	return Problem{File: s.file, Line: line, Col: col, Field: s.field, Message: msg, Warning: warning}
}

// Check checks one rule file as Load would, for `nephoran validate`: every
// AutomationRule, FCAPSRule and rule list in it decodes strictly and
// validates, its CEL compiles to a bool within DefaultCostLimit, its
// templates parse, and its names are unique. It returns the warnings, and
// a ProblemList when there are errors. A file without rules is fine.
func Check(file string, data []byte) (warnings []Problem, err error) {
	var errs ProblemList
	_, problems := loadFiles([]ruleFile{{path: file, data: data}}, Options{})
	for _, p := range problems {
		if p.Warning {
			warnings = append(warnings, p)
		} else {
			errs = append(errs, p)
		}
	}
	if len(errs) > 0 {
		return warnings, errs
	}
	return warnings, nil
}
