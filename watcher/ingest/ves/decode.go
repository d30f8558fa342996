package ves

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds how deeply objects and arrays may nest in a request. VES
// events nest a handful of levels (stndDefined data a few more); the bound
// keeps hostile bodies from recursing without limit.
const maxDepth = 128

// document is a request body decoded once: the generic value the schema
// validates, and the bytes of each event object exactly as received.
type document struct {
	// value is the whole body as encoding/json's generic types (map[string]any,
	// []any, string, json.Number, bool, nil): what the schema library takes.
	value any
	// hasEvent and hasEventList say which top-level members were present.
	hasEvent, hasEventList bool
	// events are the event elements in order: the value of "event", or each
	// element of "eventList" (whichever the body carried).
	events []rawEvent
}

// rawEvent is one element that should be an event object.
type rawEvent struct {
	// pointer is its JSON pointer in the body: /event or /eventList/<i>.
	pointer string
	// raw is its bytes as received (a sub-slice of the body).
	raw []byte
	// value is its generic value (normally a map[string]any).
	value any
}

// errSyntax is a body that is not exactly one well-formed JSON value, or
// one this listener will not read (duplicate members, deep nesting).
type errSyntax struct{ detail string }

func (e *errSyntax) Error() string { return e.detail }

// decode parses body (RFC 8259) in one pass. It yields what encoding/json
// with UseNumber would, and besides: records where each event starts and
// ends, so the store gets the producer's bytes and not a re-encoding;
// refuses duplicate member names, which the schema and a later reader could
// resolve differently; bounds nesting. Its work is linear in len(body).
func decode(body []byte) (*document, error) {
	if !utf8.Valid(body) {
		return nil, &errSyntax{"body is not valid UTF-8"}
	}
	p := &parser{data: body}
	doc := &document{}
	p.skipSpace()
	if p.pos == len(p.data) {
		return nil, &errSyntax{"body is empty"}
	}
	var err error
	if p.data[p.pos] == '{' {
		doc.value, err = p.object(1, doc)
	} else {
		doc.value, err = p.value(1)
	}
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos != len(p.data) {
		return nil, &errSyntax{fmt.Sprintf("data after the top-level value at byte %d", p.pos)}
	}
	return doc, nil
}

// parser is a recursive-descent JSON reader over the whole body.
type parser struct {
	data []byte
	pos  int
	path []string // member names and indices down to the current value
	buf  []byte   // scratch for strings with escapes
}

func (p *parser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) errorf(format string, args ...any) error {
	return &errSyntax{fmt.Sprintf(format, args...)}
}

// unexpected reports the byte at pos (or the end) where want was expected.
func (p *parser) unexpected(want string) error {
	if p.pos >= len(p.data) {
		return p.errorf("unexpected end of body at byte %d, expected %s", p.pos, want)
	}
	r, _ := utf8.DecodeRune(p.data[p.pos:])
	return p.errorf("invalid character %q at byte %d, expected %s", r, p.pos, want)
}

// value reads the value at pos (after white space).
func (p *parser) value(depth int) (any, error) {
	p.skipSpace()
	if p.pos >= len(p.data) {
		return nil, p.unexpected("a value")
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object(depth, nil)
	case c == '[':
		return p.array(depth)
	case c == '"':
		return p.str()
	case c == '-' || ('0' <= c && c <= '9'):
		return p.number()
	case c == 't':
		return true, p.literal("true")
	case c == 'f':
		return false, p.literal("false")
	case c == 'n':
		return nil, p.literal("null")
	}
	return nil, p.unexpected("a value")
}

func (p *parser) literal(word string) error {
	if !bytes.HasPrefix(p.data[p.pos:], []byte(word)) {
		return p.unexpected(word)
	}
	p.pos += len(word)
	return nil
}

// object reads an object; with doc set (the top level) it also captures
// "event" and the elements of "eventList".
func (p *parser) object(depth int, doc *document) (map[string]any, error) {
	if depth > maxDepth {
		return nil, p.errorf("nesting deeper than %d levels at %s", maxDepth, pointerOf(p.path))
	}
	p.pos++ // '{'
	obj := map[string]any{}
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return obj, nil
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return nil, p.unexpected("a member name")
		}
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		if _, dup := obj[key]; dup {
			return nil, p.errorf("duplicate member %s", pointerOf(append(p.path, key)))
		}
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return nil, p.unexpected("':'")
		}
		p.pos++
		p.path = append(p.path, key)
		var v any
		switch {
		case doc != nil && key == "event":
			doc.hasEvent = true
			var ev rawEvent
			if ev, err = p.captured("/event", depth+1); err == nil {
				doc.events = append(doc.events, ev)
				v = ev.value
			}
		case doc != nil && key == "eventList":
			doc.hasEventList = true
			v, err = p.eventList(depth+1, doc)
		default:
			v, err = p.value(depth + 1)
		}
		if err != nil {
			return nil, err
		}
		p.path = p.path[:len(p.path)-1]
		obj[key] = v
		p.skipSpace()
		if p.pos < len(p.data) {
			switch p.data[p.pos] {
			case ',':
				p.pos++
				continue
			case '}':
				p.pos++
				return obj, nil
			}
		}
		return nil, p.unexpected("',' or '}'")
	}
}

// eventList reads the value of the top-level "eventList"; when it is an
// array each element is captured as an event.
func (p *parser) eventList(depth int, doc *document) (any, error) {
	p.skipSpace()
	if p.pos >= len(p.data) || p.data[p.pos] != '[' {
		return p.value(depth)
	}
	return p.elements(depth, func(i int) (any, error) {
		ev, err := p.captured("/eventList/"+strconv.Itoa(i), depth+1)
		if err != nil {
			return nil, err
		}
		doc.events = append(doc.events, ev)
		return ev.value, nil
	})
}

// captured reads one value and returns it with its bytes as received.
func (p *parser) captured(pointer string, depth int) (rawEvent, error) {
	p.skipSpace()
	start := p.pos
	v, err := p.value(depth)
	if err != nil {
		return rawEvent{}, err
	}
	return rawEvent{pointer: pointer, raw: p.data[start:p.pos:p.pos], value: v}, nil
}

func (p *parser) array(depth int) ([]any, error) {
	return p.elements(depth, func(int) (any, error) { return p.value(depth + 1) })
}

// elements reads an array at pos, each element with elem.
func (p *parser) elements(depth int, elem func(i int) (any, error)) ([]any, error) {
	if depth > maxDepth {
		return nil, p.errorf("nesting deeper than %d levels at %s", maxDepth, pointerOf(p.path))
	}
	p.pos++ // '['
	arr := []any{}
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		return arr, nil
	}
	for i := 0; ; i++ {
		p.path = append(p.path, strconv.Itoa(i))
		v, err := elem(i)
		if err != nil {
			return nil, err
		}
		p.path = p.path[:len(p.path)-1]
		arr = append(arr, v)
		p.skipSpace()
		if p.pos < len(p.data) {
			switch p.data[p.pos] {
			case ',':
				p.pos++
				continue
			case ']':
				p.pos++
				return arr, nil
			}
		}
		return nil, p.unexpected("',' or ']'")
	}
}

// str reads a string at pos (on its opening quote), unescaping as
// encoding/json does (a lone or broken surrogate becomes U+FFFD).
func (p *parser) str() (string, error) {
	p.pos++ // '"'
	start := p.pos
	for p.pos < len(p.data) {
		switch c := p.data[p.pos]; {
		case c == '"':
			s := string(p.data[start:p.pos])
			p.pos++
			return s, nil
		case c == '\\':
			return p.escaped(start)
		case c < 0x20:
			return "", p.unexpected("a string character (control characters must be escaped)")
		}
		p.pos++
	}
	return "", p.unexpected("'\"'")
}

// escaped finishes a string that has escapes; start is after its quote.
func (p *parser) escaped(start int) (string, error) {
	b := append(p.buf[:0], p.data[start:p.pos]...)
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			p.buf = b
			return string(b), nil
		case c < 0x20:
			return "", p.unexpected("a string character (control characters must be escaped)")
		case c != '\\':
			b = append(b, c)
			p.pos++
			continue
		}
		p.pos++ // '\\'
		if p.pos >= len(p.data) {
			return "", p.unexpected("an escape")
		}
		switch e := p.data[p.pos]; e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := p.hex4(p.pos + 1)
			if !ok {
				return "", p.unexpected("four hex digits after \\u")
			}
			p.pos += 4
			if utf16.IsSurrogate(r) {
				// A pair is \uD8xx\uDCxx; anything else is U+FFFD.
				if p.pos+2 < len(p.data) && p.data[p.pos+1] == '\\' && p.data[p.pos+2] == 'u' {
					if r2, ok := p.hex4(p.pos + 3); ok {
						if dec := utf16.DecodeRune(r, r2); dec != unicode.ReplacementChar {
							p.pos += 6
							b = utf8.AppendRune(b, dec)
							break
						}
					}
				}
				r = unicode.ReplacementChar
			}
			b = utf8.AppendRune(b, r)
		default:
			return "", p.unexpected("an escape")
		}
		p.pos++
	}
	return "", p.unexpected("'\"'")
}

// hex4 reads four hex digits at i.
func (p *parser) hex4(i int) (rune, bool) {
	if i+4 > len(p.data) {
		return 0, false
	}
	var r rune
	for _, c := range p.data[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// number reads -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? as a json.Number.
func (p *parser) number() (json.Number, error) {
	start := p.pos
	digits := func() int {
		n := 0
		for p.pos < len(p.data) && '0' <= p.data[p.pos] && p.data[p.pos] <= '9' {
			p.pos++
			n++
		}
		return n
	}
	if p.data[p.pos] == '-' {
		p.pos++
	}
	switch {
	case p.pos < len(p.data) && p.data[p.pos] == '0':
		p.pos++
	case digits() == 0:
		return "", p.unexpected("a digit")
	}
	if p.pos < len(p.data) && p.data[p.pos] == '.' {
		p.pos++
		if digits() == 0 {
			return "", p.unexpected("a digit")
		}
	}
	if p.pos < len(p.data) && (p.data[p.pos] == 'e' || p.data[p.pos] == 'E') {
		p.pos++
		if p.pos < len(p.data) && (p.data[p.pos] == '+' || p.data[p.pos] == '-') {
			p.pos++
		}
		if digits() == 0 {
			return "", p.unexpected("a digit")
		}
	}
	return json.Number(p.data[start:p.pos]), nil
}

// pointerOf renders reference tokens as an RFC 6901 JSON pointer.
func pointerOf(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		t = strings.ReplaceAll(t, "~", "~0")
		b.WriteString(strings.ReplaceAll(t, "/", "~1"))
	}
	return b.String()
}
