package rules

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"k8s.io/client-go/util/jsonpath"

	"github.com/nephoran/nephoran/watcher/model"
)

// Default avoid templates of an FCAPSRule: the site and node a fault names
// in its alarmAdditionalInformation.
var (
	DefaultAvoidSites = []string{"{.Event.faultFields.alarmAdditionalInformation.site}"}
	DefaultAvoidNodes = []string{"{.Event.faultFields.alarmAdditionalInformation.node}"}
)

// viewFields are the names a template may start with: model.TemplateView's
// fields (kubectl JSONPath reads a struct by its Go field names).
var viewFields = func() []string {
	t := reflect.TypeFor[model.TemplateView]()
	names := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		names = append(names, t.Field(i).Name)
	}
	return names
}()

// template is an intentTemplate or avoid template: kubectl JSONPath syntax
// ({.SourceName}, {.Event.faultFields.alarmCondition}) over a
// model.TemplateView. It is parsed at load to refuse a bad one; rendering
// parses it again, because a jsonpath.JSONPath is neither safe for
// concurrent use nor reusable after a {range}.
type template struct {
	name, text string
}

// parseTemplate checks a template: it must parse, and every field path must
// start with a TemplateView field.
func parseTemplate(s scalar) (*template, []Problem) {
	p, err := jsonpath.Parse(s.field, s.value)
	if err != nil {
		return nil, []Problem{s.problem(0, fmt.Sprintf("template: %v (kubectl JSONPath syntax, for example \"Migrate {.SourceName}\")", err), false)}
	}
	var problems []Problem
	ranges := 0 // inside {range}, paths are relative to the item
	for _, n := range p.Root.Nodes {
		list, ok := n.(*jsonpath.ListNode)
		if !ok || len(list.Nodes) == 0 {
			continue
		}
		head := list.Nodes
		if id, ok := head[0].(*jsonpath.IdentifierNode); ok {
			switch id.Name {
			case "range": // {range .Event.x}: the range itself reads the view
				if ranges > 0 {
					head = nil
				} else {
					head = head[1:]
				}
				ranges++
			case "end":
				ranges--
				head = nil
			}
		} else if ranges > 0 {
			head = nil
		}
		if len(head) == 0 {
			continue
		}
		f, ok := head[0].(*jsonpath.FieldNode)
		if !ok || f.Value == "" || slices.Contains(viewFields, f.Value) {
			continue
		}
		off := 0
		if i := strings.Index(s.value, "."+f.Value); i >= 0 {
			off = len([]rune(s.value[:i+1]))
		}
		problems = append(problems, s.problem(off, fmt.Sprintf("template: unknown field %q; a template reads %s",
			f.Value, strings.Join(braced(viewFields), ", ")), false))
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return &template{name: s.field, text: s.value}, nil
}

func braced(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "{." + n + "}"
	}
	return out
}

// render executes the template over a view; a missing key renders empty.
func (t *template) render(v *model.TemplateView) (string, error) {
	j := jsonpath.New(t.name).AllowMissingKeys(true)
	if err := j.Parse(t.text); err != nil {
		return "", fmt.Errorf("parse template %s: %w", t.name, err)
	}
	var b strings.Builder
	if err := j.Execute(&b, v); err != nil {
		return "", fmt.Errorf("render template %s: %w", t.name, err)
	}
	return b.String(), nil
}

// fillView completes the view's derived fields that the caller left empty:
// Value (from Metrics and the first metric the condition names, formatted
// as strconv 'g' does), AlertValue and SourceName (from Event), and Rule.
func fillView(v *model.TemplateView, rule, metric string) {
	if v.Rule == "" {
		v.Rule = rule
	}
	if v.Value == "" && metric != "" {
		if x, ok := v.Metrics[metric]; ok {
			v.Value = strconv.FormatFloat(x, 'g', 4, 64) // 4 significant digits: 0.9194, 412.5, 1.235e+04
		}
	}
	if v.AlertValue == "" {
		if tca, ok := v.Event["thresholdCrossingAlertFields"].(map[string]any); ok {
			switch a := tca["alertValue"].(type) {
			case string:
				v.AlertValue = a
			case float64:
				v.AlertValue = strconv.FormatFloat(a, 'g', -1, 64)
			}
		}
	}
	if v.SourceName == "" {
		if h, ok := v.Event["commonEventHeader"].(map[string]any); ok {
			v.SourceName, _ = h["sourceName"].(string)
		}
	}
}

// reasonFunc is model.Rule.Reason. Without an intentTemplate the reason
// names the rule and what it read.
func reasonFunc(rule string, kind model.RuleKind, t *template, metric, domain string) func(*model.TemplateView) (string, error) {
	return func(v *model.TemplateView) (string, error) {
		if v == nil {
			v = &model.TemplateView{}
		}
		fillView(v, rule, metric)
		if t != nil {
			return t.render(v)
		}
		switch {
		case kind == model.EventRule:
			return fmt.Sprintf("rule %s: %s event from %s", rule, domain, v.SourceName), nil
		case metric != "":
			return fmt.Sprintf("rule %s: %s = %s", rule, metric, v.Value), nil
		}
		return fmt.Sprintf("rule %s fired", rule), nil
	}
}

// avoidFunc is model.Rule.Avoid: every template rendered, empty values
// (a key the event lacks) and repeats dropped.
func avoidFunc(rule, metric string, nodes, sites []*template) func(*model.TemplateView) ([]string, []string, error) {
	return func(v *model.TemplateView) ([]string, []string, error) {
		if v == nil {
			v = &model.TemplateView{}
		}
		fillView(v, rule, metric)
		n, err := renderAll(nodes, v)
		if err != nil {
			return nil, nil, err
		}
		s, err := renderAll(sites, v)
		if err != nil {
			return nil, nil, err
		}
		return n, s, nil
	}
}

func renderAll(ts []*template, v *model.TemplateView) ([]string, error) {
	var out []string
	for _, t := range ts {
		s, err := t.render(v)
		if err != nil {
			return nil, err
		}
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}
