package review

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/nephoran/nephoran/watcher/model"
)

// The evidence keys decide writes (see the decide package's Outputs):
// {"window", "metrics"} for a metric rule, {"eventIds", "count"} for an
// event rule. Any other key is shown as it is.
const (
	evidenceWindow   = "window"
	evidenceMetrics  = "metrics"
	evidenceEventIDs = "eventIds"
	evidenceCount    = "count"
	// evidenceSeverity is the incident's VES severity, shown with its
	// events when the evidence has it (decide does not write it yet).
	evidenceSeverity = "severity"
)

// window is the "window" evidence of a metric decision.
type window struct {
	Node  string `json:"node"`
	Start string `json:"start"`
	End   string `json:"end"`
}

// evidenceWindowOf decodes the window evidence, ok false when it is absent
// or not the expected shape.
func evidenceWindowOf(ev map[string][]byte) (window, bool) {
	var w window
	raw, ok := ev[evidenceWindow]
	if !ok || json.Unmarshal(raw, &w) != nil || w.Node == "" {
		return window{}, false
	}
	return w, true
}

// writeEvidence writes the evidence: the metric window as a table of its
// values (marking the metrics the condition names), the VES incident as a
// table of its event ids, and any other key (or a known key of an
// unexpected shape) in a key/value table.
func writeEvidence(b *strings.Builder, ev map[string][]byte, condition string) {
	if len(ev) == 0 {
		b.WriteString("No evidence was recorded with the decision.\n")
		return
	}
	done := map[string]bool{}
	wrote := false
	section := func() {
		if wrote {
			b.WriteString("\n")
		}
		wrote = true
	}

	var metrics map[string]float64
	if raw, ok := ev[evidenceMetrics]; ok && json.Unmarshal(raw, &metrics) == nil {
		section()
		if w, ok := evidenceWindowOf(ev); ok {
			fmt.Fprintf(b, "KPM window of E2 node %s, from %s to %s:\n\n", code(w.Node), code(w.Start), code(w.End))
			done[evidenceWindow] = true
		} else {
			b.WriteString("KPM window values:\n\n")
		}
		done[evidenceMetrics] = true
		names := make([]string, 0, len(metrics))
		for k := range metrics {
			names = append(names, k)
		}
		// The metrics the condition names first, then the rest, each by name.
		sort.Slice(names, func(i, j int) bool {
			ni, nj := namedIn(condition, names[i]), namedIn(condition, names[j])
			if ni != nj {
				return ni
			}
			return names[i] < names[j]
		})
		rows := make([][]string, 0, min(len(names), maxTableRows))
		for _, n := range names[:min(len(names), maxTableRows)] {
			mark := ""
			if namedIn(condition, n) {
				mark = "yes"
			}
			rows = append(rows, []string{code(n), code(strconv.FormatFloat(metrics[n], 'g', -1, 64)), mark})
		}
		tableAligned(b, []string{"Metric", "Value", "In the condition"}, []string{"--", "--:", ":-:"}, rows)
		if len(names) > maxTableRows {
			fmt.Fprintf(b, "\n%d more metrics are in the decision's evidence.\n", len(names)-maxTableRows)
		}
	}

	var ids []string
	if raw, ok := ev[evidenceEventIDs]; ok && json.Unmarshal(raw, &ids) == nil {
		section()
		done[evidenceEventIDs] = true
		var count float64
		if raw, ok := ev[evidenceCount]; ok && json.Unmarshal(raw, &count) == nil {
			done[evidenceCount] = true
			fmt.Fprintf(b, "VES incident of %s events", strconv.FormatFloat(count, 'g', -1, 64))
		} else {
			b.WriteString("VES events")
		}
		var severity string
		if raw, ok := ev[evidenceSeverity]; ok && json.Unmarshal(raw, &severity) == nil && severity != "" {
			done[evidenceSeverity] = true
			fmt.Fprintf(b, ", severity %s", code(severity))
		}
		if done[evidenceCount] && int(count) > len(ids) {
			fmt.Fprintf(b, " (the first %d ids)", len(ids))
		}
		b.WriteString(":\n\n")
		rows := make([][]string, 0, min(len(ids), maxTableRows))
		for i, id := range ids[:min(len(ids), maxTableRows)] {
			rows = append(rows, []string{strconv.Itoa(i + 1), code(id)})
		}
		tableAligned(b, []string{"#", "VES event id"}, []string{"--:", "--"}, rows)
	}

	var other []string
	for k := range ev {
		if !done[k] {
			other = append(other, k)
		}
	}
	if len(other) == 0 {
		return
	}
	sort.Strings(other)
	section()
	if len(done) > 0 {
		b.WriteString("More evidence:\n\n")
	}
	rows := make([][]string, 0, min(len(other), maxTableRows))
	for _, k := range other[:min(len(other), maxTableRows)] {
		rows = append(rows, []string{code(k), code(model.EvidenceText(ev[k]))})
	}
	table(b, []string{"Key", "Value"}, "--", rows)
	if len(other) > maxTableRows {
		fmt.Fprintf(b, "\n%d more keys are in the decision's evidence.\n", len(other)-maxTableRows)
	}
}

// namedIn says whether a CEL condition names metric: as a quoted map key
// (metrics['kpm.prb_utilization']) or a field (metrics.RRU_PrbTotDl).
func namedIn(condition, metric string) bool {
	if condition == "" || metric == "" {
		return false
	}
	for _, q := range []string{`'`, `"`} {
		if strings.Contains(condition, q+metric+q) {
			return true
		}
	}
	rest := condition
	for {
		i := strings.Index(rest, "."+metric)
		if i < 0 {
			return false
		}
		end := i + 1 + len(metric)
		if end == len(rest) || !identByte(rest[end]) {
			return true
		}
		rest = rest[end:]
	}
}

func identByte(c byte) bool {
	return c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
