package review

import (
	"fmt"
	"strings"
	"time"

	"github.com/nephoran/nephoran/watcher/model"
)

// writeReproduce writes the commands that reproduce the decision: check
// out the deployment repository as it was when the decision was made (the
// proposal commit's parent), export the trace around the decision from
// the watcher's store, and replay it through the rules.
func writeReproduce(b *strings.Builder, d model.Decision, c Change, ev map[string][]byte) {
	lookback := c.Lookback
	if lookback <= 0 {
		lookback = DefaultLookback
	}
	data, rules := c.DataDir, c.RulesDir
	if data == "" {
		data = "./data"
	}
	if rules == "" {
		rules = "./rules"
	}

	at := d.At
	if d.Intent != nil && d.Intent.Spec.At != "" {
		if t, err := time.Parse(time.RFC3339Nano, d.Intent.Spec.At); err == nil {
			at = t
		}
	}
	// The trace starts Lookback before the window or the incident and ends
	// just after the decision.
	start, filter := at, []string(nil)
	if w, ok := evidenceWindowOf(ev); ok {
		if t, err := time.Parse(time.RFC3339Nano, w.Start); err == nil {
			start = t
			if at.IsZero() {
				at, _ = time.Parse(time.RFC3339Nano, w.End)
			}
		}
		filter = []string{"--node", w.Node}
	} else if src, t, ok := incident(d.CorrelationID); ok {
		start = t
		if at.IsZero() {
			at = t
		}
		if src != "" {
			filter = []string{"--source", src}
		}
	}
	if at.IsZero() {
		b.WriteString("The decision carries no time: export the trace around it with `nephoran trace export` and run it through `nephoran replay`.\n")
		return
	}
	since := start.Add(-lookback).UTC().Truncate(time.Second)
	until := at.UTC().Truncate(time.Second).Add(time.Second)
	trace := "trace-" + d.ID + ".jsonl"

	b.WriteString("The export runs where the watcher's data directory is; the checkout and the replay anywhere.\n\n")
	var cmds []string
	if c.Branch != "" {
		cmds = append(cmds, shellJoin("git", "fetch", "origin", c.Branch)+" && "+shellJoin("git", "checkout", "--detach", "FETCH_HEAD~1"))
	}
	export := []string{"nephoran", "trace", "export", "--data", data,
		"--since", since.Format(time.RFC3339), "--until", until.Format(time.RFC3339)}
	export = append(export, filter...)
	export = append(export, "--output", trace)
	cmds = append(cmds,
		shellJoin(export...),
		shellJoin("nephoran", "replay", "--packages", orRoot(c.Package), "--rules", rules, "--trace", trace)+" | "+shellJoin("grep", d.ID),
	)
	b.WriteString(codeBlock("sh", strings.Join(cmds, "\n")))
	fmt.Fprintf(b, "\nThe replay prints this decision as a `DECIDE` line with id %s", code(d.ID))
	if c.Branch != "" {
		b.WriteString(", from the packages as they were when it was made")
	}
	b.WriteString(".\n")
}

// incident splits an event decision's correlation id,
// "<sourceName>/<eventId>/<RFC 3339 time>": the source ("" when the id
// does not say it unambiguously) and the incident's first event time.
func incident(correlationID string) (source string, first time.Time, ok bool) {
	i := strings.LastIndexByte(correlationID, '/')
	if i < 0 {
		return "", time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, correlationID[i+1:])
	if err != nil {
		return "", time.Time{}, false
	}
	rest := correlationID[:i]
	if strings.Count(rest, "/") == 1 {
		source, _, _ = strings.Cut(rest, "/")
	}
	return source, t, true
}

// shellJoin quotes each word for a POSIX shell when it needs it.
func shellJoin(words ...string) string {
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = shellQuote(w)
	}
	return strings.Join(quoted, " ")
}

func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	for i, r := range s {
		safe := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			strings.ContainsRune("_-./:@%+=,", r) || r == '~' && i > 0
		if !safe {
			return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
		}
	}
	return s
}
