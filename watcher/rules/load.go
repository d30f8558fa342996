package rules

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/util/validation/field"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/watcher/model"
)

// DefaultCooldown is a rule's cooldown when it names none.
const DefaultCooldown = 5 * time.Minute

// Options tune a load.
type Options struct {
	// CostLimit caps one evaluation of a condition, and the worst-case
	// estimate a condition may have to be loaded; 0 means DefaultCostLimit.
	CostLimit uint64
	// Observe, when set, is called by every Condition after each evaluation
	// with the rule's name, how long it took and its error (the watcher
	// feeds planner_rule_evaluation_duration_seconds from it). It is not
	// called for an FCAPSRule without a condition, which evaluates nothing,
	// nor by Clear. It must be safe for concurrent use.
	Observe func(rule string, took time.Duration, err error)
	// Warn, when set, receives each warning of a load, also of one that fails.
	Warn func(Problem)
}

func (o Options) costLimit() uint64 {
	if o.CostLimit == 0 {
		return DefaultCostLimit
	}
	return o.CostLimit
}

// Load reads every *.yaml and *.yml file under dir (recursively, skipping
// dot-directories and dot-files, following symlinked files as a ConfigMap
// mount has them), or dir itself when it is a file. In each file, every
// YAML document is:
//   - an AutomationRule or FCAPSRule (apiVersion nephoran.com/...): strictly
//     decoded and validated (api/v1), its CEL compiled and its templates
//     parsed;
//   - a plain rule list (no kind, a top-level rules: key, the plan's
//     fcaps-rules.yaml): each entry becomes an FCAPSRule named by its name;
//   - anything else: ignored (so rules may sit beside other manifests; a
//     Role's rules: has a kind and is not a rule list).
//
// A missing dir is an empty rule set. Any error refuses the whole load: the
// error is a ProblemList naming file, field and (when known) line:col of
// every problem; names must be unique per kind across all files. The rules
// come in file order, then document order.
func Load(dir string, opts Options) ([]model.Rule, error) {
	files, err := readRuleFiles(dir)
	if err != nil {
		return nil, err
	}
	return finish(dir, files, opts)
}

// finish loads read files and splits errors from warnings.
func finish(dir string, files []ruleFile, opts Options) ([]model.Rule, error) {
	rules, problems := loadFiles(files, opts)
	var errs ProblemList
	var warnings []Problem
	for _, p := range problems {
		if p.Warning {
			warnings = append(warnings, p)
		} else {
			errs = append(errs, p)
		}
	}
	if opts.Warn != nil { // also when the load fails: all a reader needs to fix
		for _, w := range warnings {
			opts.Warn(w)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("load rules from %s: %w", dir, errs)
	}
	if rules == nil {
		rules = []model.Rule{}
	}
	return rules, nil
}

// ruleFile is one file's path (for messages) and content.
type ruleFile struct {
	path string
	data []byte
}

func isRuleFile(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return (ext == ".yaml" || ext == ".yml") && !strings.HasPrefix(name, ".")
}

// readRuleFiles reads the rule files under dir, in lexical order. A file
// that disappears while it is read (a ConfigMap swap) is skipped: the next
// poll sees the new set.
func readRuleFiles(dir string) ([]ruleFile, error) {
	info, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read rules from %s: %w", dir, err)
	}
	if !info.IsDir() {
		data, err := os.ReadFile(dir)
		if err != nil {
			return nil, fmt.Errorf("read rules from %s: %w", dir, err)
		}
		return []ruleFile{{path: dir, data: data}}, nil
	}
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, fmt.Errorf("read rules from %s: %w", dir, err)
	}
	var files []ruleFile
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			if p != root && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !isRuleFile(d.Name()) {
			return nil
		}
		if st, err := os.Stat(p); err != nil || st.IsDir() {
			return nil // a dangling symlink, or one to a directory
		}
		data, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		files = append(files, ruleFile{path: filepath.Join(dir, rel), data: data})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read rules from %s: %w", dir, err)
	}
	return files, nil
}

// loadFiles builds the rules of every file and returns every problem
// (errors and warnings); the rules are only meaningful without errors.
func loadFiles(files []ruleFile, opts Options) ([]model.Rule, []Problem) {
	var rules []model.Rule
	var problems []Problem
	type first struct {
		file      string
		line, col int
	}
	seen := map[model.RuleKind]map[string]first{model.MetricRule: {}, model.EventRule: {}}
	for _, f := range files {
		b := &builder{file: f.path, src: f.data, opts: opts}
		for _, l := range b.loadFile() {
			if prev, dup := seen[l.rule.Kind][l.rule.Name]; dup {
				where := prev.file
				if prev.line > 0 {
					where += fmt.Sprintf(":%d:%d", prev.line, prev.col)
				}
				p := l.name.problem(0, fmt.Sprintf("duplicate %s name %q (first at %s): rule names must be unique", l.rule.Kind, l.rule.Name, where), false)
				b.problems = append(b.problems, p)
				continue
			}
			line, col := l.name.at(0)
			seen[l.rule.Kind][l.rule.Name] = first{f.path, line, col}
			rules = append(rules, l.rule)
		}
		problems = append(problems, b.problems...)
	}
	return rules, problems
}

// builder loads one file.
type builder struct {
	file     string
	src      []byte
	opts     Options
	doc      *yaml.Node // the document being loaded
	problems []Problem
}

// loaded is one built rule and where its name is.
type loaded struct {
	rule model.Rule
	name scalar
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

func (b *builder) loadFile() []loaded {
	var out []loaded
	dec := yaml.NewDecoder(bytes.NewReader(b.src))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line := 0
			if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
				line, _ = strconv.Atoi(m[1])
			}
			b.problems = append(b.problems, Problem{File: b.file, Line: line, Message: fmt.Sprintf("not valid YAML: %v", err)})
			break
		}
		b.doc = &doc
		out = append(out, b.loadDocument()...)
	}
	return out
}

// loadDocument loads the rules of one YAML document, if it holds any.
func (b *builder) loadDocument() []loaded {
	top := b.doc
	if top.Kind == yaml.DocumentNode && len(top.Content) == 1 {
		top = top.Content[0]
	}
	if top.Kind != yaml.MappingNode {
		return nil
	}
	apiVersion, kind, hasKind, hasRules := "", "", false, false
	for i := 0; i+1 < len(top.Content); i += 2 {
		switch k, v := top.Content[i].Value, top.Content[i+1]; k {
		case "apiVersion":
			apiVersion = v.Value
		case "kind":
			kind, hasKind = v.Value, true
		case "rules":
			hasRules = true
		}
	}
	ours := strings.HasPrefix(apiVersion, nephv1.Group+"/")
	switch {
	case ours && kind == nephv1.KindAutomationRule:
		r, errs := nephv1.NodeToAutomationRule(b.doc)
		if len(errs) == 0 {
			errs = r.Validate()
		}
		if b.fieldErrors(errs) {
			return nil
		}
		if l, ok := b.metricRule(r); ok {
			return []loaded{l}
		}
	case ours && kind == nephv1.KindFCAPSRule:
		r, errs := nephv1.NodeToFCAPSRule(b.doc)
		if len(errs) == 0 {
			errs = r.Validate()
		}
		if b.fieldErrors(errs) {
			return nil
		}
		if l, ok := b.eventRule(r.Name, b.scalar("metadata.name", r.Name), field.NewPath("spec"), &r.Spec); ok {
			return []loaded{l}
		}
	case !hasKind && hasRules:
		list, errs := nephv1.NodeToFCAPSRuleList(b.doc)
		if b.fieldErrors(errs) {
			return nil
		}
		var out []loaded
		for i := range list.Rules {
			e := &list.Rules[i]
			p := field.NewPath("rules").Index(i)
			if b.fieldErrors(e.Validate(p)) {
				continue
			}
			if l, ok := b.eventRule(e.Name, b.scalar(p.Child("name").String(), e.Name), p, &e.FCAPSRuleSpec); ok {
				out = append(out, l)
			}
		}
		return out
	}
	return nil
}

// fieldErrors records decode and validation errors, each at its field's
// line:col when the document has the field; it reports whether there were any.
func (b *builder) fieldErrors(errs field.ErrorList) bool {
	for _, e := range errs {
		line, col := 0, 0
		key, value, closest := nodeAt(b.doc, e.Field)
		n := value
		if e.Type == field.ErrorTypeForbidden || e.Type == field.ErrorTypeDuplicate {
			n = key // the key is what is wrong
		}
		if n == nil {
			n = closest // a required field: where it belongs
		}
		if n != nil && n.Kind != yaml.DocumentNode {
			line, col = n.Line, n.Column
		}
		b.problems = append(b.problems, Problem{File: b.file, Line: line, Col: col, Field: e.Field, Message: e.ErrorBody()})
	}
	return len(errs) > 0
}

// scalar is the string at a field path of the current document.
func (b *builder) scalar(path, value string) scalar {
	_, n, _ := nodeAt(b.doc, path)
	return scalar{file: b.file, field: path, node: n, src: b.src, value: value}
}

// compile compiles one condition; nil when there were errors.
func (b *builder) compile(kind model.RuleKind, s scalar) *program {
	p, problems := compile(kind, s, b.opts.costLimit())
	b.problems = append(b.problems, problems...)
	return p
}

// template parses one template; nil when it is empty or bad.
func (b *builder) template(s scalar) (*template, bool) {
	if s.value == "" {
		return nil, true
	}
	t, problems := parseTemplate(s)
	b.problems = append(b.problems, problems...)
	return t, len(problems) == 0
}

func cooldown(s string) time.Duration {
	if s == "" {
		return DefaultCooldown
	}
	d, _ := time.ParseDuration(s) // validated
	return d
}

func approval(a nephv1.Approval) nephv1.Approval {
	if a == "" {
		return nephv1.ApprovalManual
	}
	return a
}

// metricRule builds an AutomationRule's model.Rule.
func (b *builder) metricRule(r *nephv1.AutomationRule) (loaded, bool) {
	s := &r.Spec
	spec := field.NewPath("spec")
	before := len(b.problems)
	cond := b.compile(model.MetricRule, b.scalar(spec.Child("condition").String(), s.Condition))
	var clear *program
	if s.ClearCondition != "" {
		clear = b.compile(model.MetricRule, b.scalar(spec.Child("clearCondition").String(), s.ClearCondition))
	}
	tmpl, _ := b.template(b.scalar(spec.Child("intentTemplate").String(), s.IntentTemplate))
	if hasErrors(b.problems[before:]) || cond == nil {
		return loaded{}, false
	}
	forN := int(s.For)
	if forN < 1 {
		forN = 1
	}
	rule := model.Rule{
		Name:        r.Name,
		Kind:        model.MetricRule,
		File:        b.file,
		Action:      s.Action,
		Replicas:    s.Replicas,
		Priority:    s.Priority,
		Cooldown:    cooldown(s.Cooldown),
		For:         forN,
		MinReplicas: s.MinReplicas,
		MaxReplicas: s.MaxReplicas,
		Approval:    approval(s.Approval),
		Target:      s.Target,
		Condition:   cond.condition(r.Name, b.opts.Observe),
		Reason:      reasonFunc(r.Name, model.MetricRule, tmpl, cond.metric, ""),
		Avoid:       avoidFunc(r.Name, cond.metric, nil, nil),
	}
	if clear != nil {
		rule.Clear = clear.condition(r.Name, nil)
	}
	return loaded{rule: rule, name: b.scalar("metadata.name", r.Name)}, true
}

// eventRule builds the model.Rule of an FCAPSRule or a rule list entry;
// spec is the path of its spec fields (spec, or rules[0]).
func (b *builder) eventRule(name string, nameAt scalar, spec *field.Path, s *nephv1.FCAPSRuleSpec) (loaded, bool) {
	before := len(b.problems)
	var cond *program
	if s.Condition != "" {
		cond = b.compile(model.EventRule, b.scalar(spec.Child("condition").String(), s.Condition))
	}
	tmpl, _ := b.template(b.scalar(spec.Child("intentTemplate").String(), s.IntentTemplate))
	nodeTexts, siteTexts := DefaultAvoidNodes, DefaultAvoidSites
	if s.Avoid != nil && s.Avoid.Nodes != nil {
		nodeTexts = s.Avoid.Nodes
	}
	if s.Avoid != nil && s.Avoid.Sites != nil {
		siteTexts = s.Avoid.Sites
	}
	avoidTemplates := func(part string, texts []string) []*template {
		var out []*template
		for i, text := range texts {
			sc := b.scalar(spec.Child("avoid", part).Index(i).String(), text)
			if s.Avoid == nil || (part == "nodes" && s.Avoid.Nodes == nil) || (part == "sites" && s.Avoid.Sites == nil) {
				sc = scalar{file: b.file, field: sc.field + " (default)", value: text}
			}
			if t, ok := b.template(sc); ok && t != nil {
				out = append(out, t)
			}
		}
		return out
	}
	nodes, sites := avoidTemplates("nodes", nodeTexts), avoidTemplates("sites", siteTexts)
	if hasErrors(b.problems[before:]) || (s.Condition != "" && cond == nil) {
		return loaded{}, false
	}
	rule := model.Rule{
		Name:        name,
		Kind:        model.EventRule,
		File:        b.file,
		Action:      s.Action,
		Replicas:    s.Replicas,
		Priority:    s.Priority,
		Cooldown:    cooldown(s.Cooldown),
		For:         1,
		Approval:    approval(s.Approval),
		Target:      s.Target,
		EventDomain: s.EventDomain,
		MinSeverity: s.Severity,
		Reason:      reasonFunc(name, model.EventRule, tmpl, "", s.EventDomain),
		Avoid:       avoidFunc(name, "", nodes, sites),
	}
	if cond != nil {
		rule.Condition = cond.condition(name, b.opts.Observe)
	} else {
		rule.Condition = func(context.Context, *model.Input) (bool, error) { return true, nil }
	}
	return loaded{rule: rule, name: nameAt}, true
}

func hasErrors(ps []Problem) bool {
	for _, p := range ps {
		if !p.Warning {
			return true
		}
	}
	return false
}

// nodeAt finds the node at a field path (spec.condition, rules[0].name,
// spec.target.names[1]) in a document: the value, and for a mapping entry
// its key (the last one, should the key repeat); nil when it is not there.
// closest is the deepest node on the path that is there.
func nodeAt(doc *yaml.Node, path string) (key, value, closest *yaml.Node) {
	if doc == nil {
		return nil, nil, nil
	}
	n := doc
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	for _, seg := range splitPath(path) {
		key = nil
		switch n.Kind {
		case yaml.MappingNode:
			var next *yaml.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == seg {
					key, next = n.Content[i], n.Content[i+1]
				}
			}
			if next == nil {
				return nil, nil, n
			}
			n = next
		case yaml.SequenceNode:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(n.Content) {
				return nil, nil, n
			}
			n = n.Content[i]
		default:
			return nil, nil, n
		}
	}
	return key, n, n
}

// splitPath splits a field.Path string into names and indexes:
// rules[0].avoid.nodes[1] -> rules 0 avoid nodes 1.
func splitPath(p string) []string {
	var segs []string
	for p != "" {
		switch p[0] {
		case '.':
			p = p[1:]
		case '[':
			end := strings.IndexByte(p, ']')
			if end < 0 {
				return append(segs, p[1:])
			}
			segs = append(segs, p[1:end])
			p = p[end+1:]
		default:
			end := strings.IndexAny(p, ".[")
			if end < 0 {
				return append(segs, p)
			}
			segs = append(segs, p[:end])
			p = p[end:]
		}
	}
	return segs
}
