package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/watcher"
	"github.com/nephoran/nephoran/watcher/ingest/kpm"
	"github.com/nephoran/nephoran/watcher/model"
	"github.com/nephoran/nephoran/watcher/store"
)

var traceT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func traceEvent(id, source string, at time.Time) model.Event {
	raw := fmt.Sprintf(`{"commonEventHeader":{"domain":"fault","eventId":%q,"eventName":"Fault_gNB_LinkDown","sourceName":%q,`+
		`"reportingEntityName":"ves-agent","priority":"High","sequence":0,"startEpochMicrosec":%d,"lastEpochMicrosec":%d,`+
		`"version":"4.1","vesEventListenerVersion":"7.2.1"},"faultFields":{"faultFieldsVersion":"4.0","alarmCondition":"linkDown",`+
		`"eventSeverity":"MAJOR","eventSourceType":"gNB","specificProblem":"F1 link down","vfStatus":"Active"}}`,
		id, source, at.UnixMicro(), at.UnixMicro())
	return model.Event{
		ReceivedAt: at, Domain: "fault", EventID: id, EventName: "Fault_gNB_LinkDown", SourceName: source,
		Severity: "MAJOR", Result: model.Accepted, Raw: []byte(raw),
	}
}

func traceReport(node, cell string, at time.Time) model.KPMReport {
	return model.KPMReport{
		NodeID: node, CellID: cell, CollectStart: at.Add(-time.Second), GranularityPeriod: time.Second,
		Measurements: []model.Measurement{{Name: "RRU.PrbUsedDl", Value: 92}, {Name: "RRU.PrbAvailDl", Value: 8}},
		ReceivedAt:   at,
	}
}

// traceStore creates a store in a temp dir with, one second apart from
// traceT0: VES e0 (du-1), KPM gnb-1/c1, VES e1 (du-2), KPM gnb-2/c1,
// VES e2 (du-1), KPM gnb-1/c2; and reopens it, as a running watcher holds
// it, until the test ends.
func traceStore(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	s, err := store.Open(ctx, dir, store.Options{})
	require.NoError(t, err)
	at := func(sec int) time.Time { return traceT0.Add(time.Duration(sec) * time.Second) }
	require.NoError(t, s.Append(ctx, []model.Event{traceEvent("e0", "du-1", at(0)), traceEvent("e1", "du-2", at(2)), traceEvent("e2", "du-1", at(4))}))
	s.RecordKPM([]model.KPMReport{traceReport("gnb-1", "c1", at(1)), traceReport("gnb-2", "c1", at(3)), traceReport("gnb-1", "c2", at(5))})
	require.NoError(t, s.Close()) // writes the buffered reports

	watcher, err := store.Open(ctx, dir, store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, watcher.Close()) })
	require.NoError(t, watcher.Append(ctx, []model.Event{traceEvent("late", "du-1", at(3600))}))
	return dir
}

// summarize checks each trace line is one signal as ingest takes it and
// returns "ves <eventId>" or "kpm <node>/<cell>" for each.
func summarize(t *testing.T, trace string) []string {
	t.Helper()
	var out []string
	var prev time.Time
	sc := bufio.NewScanner(strings.NewReader(trace))
	for sc.Scan() {
		var l struct {
			At  time.Time       `json:"at"`
			VES json.RawMessage `json:"ves"`
			KPM json.RawMessage `json:"kpm"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l), sc.Text())
		require.False(t, l.At.Before(prev), "in time order")
		prev = l.At
		switch {
		case l.VES != nil:
			var body struct {
				Event struct {
					Header struct {
						EventID string `json:"eventId"`
					} `json:"commonEventHeader"`
				} `json:"event"`
			}
			require.NoError(t, json.Unmarshal(l.VES, &body))
			out = append(out, "ves "+body.Event.Header.EventID)
		case l.KPM != nil:
			reports, err := kpm.DecodeReports(l.KPM, l.At)
			require.NoError(t, err, "the KPM ingest API takes it")
			require.Equal(t, []model.KPMReport{traceReport(reports[0].NodeID, reports[0].CellID, l.At)}, reports)
			out = append(out, "kpm "+reports[0].NodeID+"/"+reports[0].CellID)
		default:
			t.Fatalf("neither ves nor kpm: %s", sc.Text())
		}
	}
	require.NoError(t, sc.Err())
	return out
}

func TestTraceExport(t *testing.T) {
	dir := traceStore(t)
	since, until := "2026-03-01T12:00:00Z", "2026-03-01T14:00:00+01:00" // 13:00Z, before the late event
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"everything in the range, in received order", nil,
			[]string{"ves e0", "kpm gnb-1/c1", "ves e1", "kpm gnb-2/c1", "ves e2", "kpm gnb-1/c2"}},
		{"one CNF: its VES source and its E2 node", []string{"--source", "du-1", "--node", "gnb-1"},
			[]string{"ves e0", "kpm gnb-1/c1", "ves e2", "kpm gnb-1/c2"}},
		{"--source alone keeps every KPM report", []string{"--source", "du-2"},
			[]string{"kpm gnb-1/c1", "ves e1", "kpm gnb-2/c1", "kpm gnb-1/c2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"trace", "export", "--data", dir, "--since", since, "--until", until}, tc.args...)
			out, errOut, err := run(t, args...)
			require.NoError(t, err, errOut)
			require.Equal(t, tc.want, summarize(t, out))
			require.Equal(t, fmt.Sprintf("%d lines\n", len(tc.want)), errOut)
		})
	}

	t.Run("--since and --until bound the received time", func(t *testing.T) {
		out, _, err := run(t, "trace", "export", "--data", dir, "--since", "2026-03-01T12:00:01Z", "--until", "2026-03-01T12:00:04Z")
		require.NoError(t, err)
		require.Equal(t, []string{"kpm gnb-1/c1", "ves e1", "kpm gnb-2/c1"}, summarize(t, out))
	})

	t.Run("--output writes a file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "trace.jsonl")
		require.NoError(t, os.WriteFile(path, []byte("old\n"), 0o644))
		out, errOut, err := run(t, "trace", "export", "--data", dir, "--since", since, "--until", until, "--output", path, "--node", "gnb-2")
		require.NoError(t, err, errOut)
		require.Empty(t, out)
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		require.Equal(t, []string{"ves e0", "ves e1", "kpm gnb-2/c1", "ves e2"}, summarize(t, string(b)))
		entries, err := os.ReadDir(filepath.Dir(path))
		require.NoError(t, err)
		require.Len(t, entries, 1, "no temporary file left")
	})
}

func TestTraceExportRefuses(t *testing.T) {
	dir := traceStore(t)
	missing := filepath.Join(t.TempDir(), "nope")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"--since is required", []string{"--data", dir, "--until", "2026-03-01T13:00:00Z"}, `"since" not set`},
		{"--data is required", []string{"--since", "2026-03-01T12:00:00Z", "--until", "2026-03-01T13:00:00Z"}, `"data" not set`},
		{"--since not RFC 3339", []string{"--data", dir, "--since", "yesterday", "--until", "2026-03-01T13:00:00Z"}, "--since: want an RFC 3339 time"},
		{"--until without a zone", []string{"--data", dir, "--since", "2026-03-01T12:00:00Z", "--until", "2026-03-01T13:00:00"}, "--until: want an RFC 3339 time"},
		{"--until not after --since", []string{"--data", dir, "--since", "2026-03-01T12:00:00Z", "--until", "2026-03-01T12:00:00Z"}, "is not after --since"},
		{"no store in --data", []string{"--data", missing, "--since", "2026-03-01T12:00:00Z", "--until", "2026-03-01T13:00:00Z"}, "no event store"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, err := run(t, append([]string{"trace", "export"}, tc.args...)...)
			require.ErrorContains(t, err, tc.want, errOut)
			require.Empty(t, out)
		})
	}
	require.NoDirExists(t, missing, "a mistyped --data creates nothing")
}

func TestWriteFileAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "trace.jsonl")
	require.NoError(t, os.WriteFile(path, []byte("old\n"), 0o644))

	_, err := writeFileAtomically(path, func(w io.Writer) (int, error) {
		_, _ = io.WriteString(w, "half a line")
		return 0, errors.New("export failed")
	})
	require.ErrorContains(t, err, "export failed")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "old\n", string(b), "a failed export leaves the file alone")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "and no temporary file")

	n, err := writeFileAtomically(path, func(w io.Writer) (int, error) {
		_, err := io.WriteString(w, "new\n")
		return 1, err
	})
	require.NoError(t, err)
	require.Equal(t, 1, n)
	b, err = os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "new\n", string(b))
}

// TestTraceExportReplays feeds an exported trace to the replay: every line
// is taken, none refused.
func TestTraceExportReplays(t *testing.T) {
	dir := traceStore(t)
	out, errOut, err := run(t, "trace", "export", "--data", dir, "--since", "2026-03-01T12:00:00Z", "--until", "2026-03-01T13:00:00Z")
	require.NoError(t, err, errOut)
	sum, err := watcher.Replay(context.Background(), watcher.ReplayOptions{Rules: filepath.Join(t.TempDir(), "no-rules")},
		strings.NewReader(out), func(model.Decision) error { return nil })
	require.NoError(t, err)
	require.Equal(t, 6, sum.Lines)
	require.Equal(t, 3, sum.Events)
	require.Equal(t, 3, sum.KPMReports)
	require.Zero(t, sum.Refused)
	require.Equal(t, traceT0, sum.From)
	require.Equal(t, traceT0.Add(5*time.Second), sum.To)
}
