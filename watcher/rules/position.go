package rules

import (
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

// scalar is a string of a rule file (a condition, a template) and where it
// is, so that a position inside its value can be named as file:line:col.
type scalar struct {
	file  string
	field string     // spec.condition, rules[0].intentTemplate
	value string     // the decoded string
	node  *yaml.Node // the scalar node; nil when unknown
	src   []byte     // the whole file
}

// at returns the 1-based line and column (in characters) in the file of the
// character at rune offset off of the scalar's value; 0, 0 when the node is
// unknown.
//
// The YAML parser gives the scalar's own position; the offset is mapped
// onto the source by walking the raw text and the value side by side:
//   - plain scalars and single- or double-quoted scalars on one line are
//     exact, including a doubled quote in a single-quoted
//     scalar and backslash escapes in a double-quoted one;
//   - multi-line scalars (plain or quoted, whose line breaks fold into
//     spaces) and block scalars (| and >, which start on the line after the
//     indicator and drop the indentation) are matched by skipping the
//     source's whitespace wherever the value has none, so a position is
//     exact on any non-blank character and, after folded whitespace, points
//     at the next non-blank character of the source.
func (s scalar) at(off int) (line, col int) {
	n := s.node
	if n == nil || n.Line < 1 {
		return 0, 0
	}
	c := cursor{src: s.src, line: n.Line, col: 1}
	if !c.seekLine(n.Line) {
		return n.Line, n.Column
	}
	for c.col < n.Column && c.more() && c.peek() != '\n' {
		c.next()
	}
	switch {
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		// The header (| or >, indicators, comment) ends its line.
		for c.more() && c.peek() != '\n' {
			c.next()
		}
		c.next()
	case n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0:
		c.next()
	}
	double := n.Style&yaml.DoubleQuotedStyle != 0
	single := n.Style&yaml.SingleQuotedStyle != 0
	k := 0
	for _, r := range n.Value {
		if k == off {
			break
		}
		// Skip source whitespace the value does not have at this point
		// (indentation, folded line breaks).
		for c.more() && c.peek() != r && isSpace(c.peek()) {
			c.next()
		}
		if !c.more() {
			break
		}
		switch {
		case double && c.peek() == '\\':
			c.next()
			switch c.peek() {
			case 'x':
				c.skip(3)
			case 'u':
				c.skip(5)
			case 'U':
				c.skip(9)
			default:
				c.next()
			}
		case single && c.peek() == '\'':
			c.skip(2)
		default:
			c.next()
		}
		k++
	}
	if runes := []rune(n.Value); k == off && off < len(runes) && !isSpace(runes[off]) {
		// Land on the character itself, not on indentation before it. (At
		// the end of the value, stay right after its last character.)
		for c.more() && isSpace(c.peek()) {
			c.next()
		}
	}
	return c.line, c.col
}

func isSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }

// cursor walks a source by characters, tracking line and column.
type cursor struct {
	src       []byte
	i         int
	line, col int
}

func (c *cursor) more() bool { return c.i < len(c.src) }

func (c *cursor) peek() rune {
	r, _ := utf8.DecodeRune(c.src[c.i:])
	return r
}

func (c *cursor) next() {
	if !c.more() {
		return
	}
	r, w := utf8.DecodeRune(c.src[c.i:])
	c.i += w
	if r == '\n' {
		c.line++
		c.col = 1
	} else {
		c.col++
	}
}

func (c *cursor) skip(n int) {
	for ; n > 0; n-- {
		c.next()
	}
}

// seekLine moves to the start of a 1-based line.
func (c *cursor) seekLine(line int) bool {
	c.i, c.line, c.col = 0, 1, 1
	for c.line < line {
		if !c.more() {
			return false
		}
		c.next()
	}
	return true
}
