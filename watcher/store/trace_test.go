package store

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/watcher/ingest/kpm"
	"github.com/nephoran/nephoran/watcher/model"
)

// traceLine is one line of a trace, as replay reads it.
type traceLine struct {
	At  time.Time       `json:"at"`
	VES json.RawMessage `json:"ves"`
	KPM json.RawMessage `json:"kpm"`
}

// exportLines runs ExportTrace and parses its lines.
func exportLines(t testing.TB, s *Store, f TraceFilter) []traceLine {
	t.Helper()
	var out bytes.Buffer
	n, err := s.ExportTrace(context.Background(), &out, f)
	require.NoError(t, err)
	var lines []traceLine
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l traceLine
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l), sc.Text())
		require.True(t, (l.VES == nil) != (l.KPM == nil), "exactly one of ves and kpm: %s", sc.Text())
		lines = append(lines, l)
	}
	require.NoError(t, sc.Err())
	require.Equal(t, len(lines), n)
	return lines
}

// traceSummary is ExportTrace's output as "ves <at> <eventId>" and
// "kpm <at> <nodeId>/<cellId>" lines.
func traceSummary(t testing.TB, s *Store, f TraceFilter) []string {
	t.Helper()
	var out []string
	for _, l := range exportLines(t, s, f) {
		at := l.At.Format(time.RFC3339Nano)
		if l.VES != nil {
			var body struct {
				Event struct {
					CommonEventHeader struct {
						EventID string `json:"eventId"`
					} `json:"commonEventHeader"`
				} `json:"event"`
			}
			require.NoError(t, json.Unmarshal(l.VES, &body))
			out = append(out, "ves "+at+" "+body.Event.CommonEventHeader.EventID)
			continue
		}
		var r struct{ NodeID, CellID string }
		require.NoError(t, json.Unmarshal(l.KPM, &r))
		out = append(out, "kpm "+at+" "+r.NodeID+"/"+r.CellID)
	}
	return out
}

// TestKPMReportJSON: MarshalJSON writes the KPM ingest API's form, and
// kpm.DecodeReports reads it back as the same report.
func TestKPMReportJSON(t *testing.T) {
	base := model.KPMReport{
		NodeID:            "gnb-001",
		CellID:            "cell-1",
		CollectStart:      time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		GranularityPeriod: time.Second,
		Measurements:      []model.Measurement{{Name: "RRU.PrbUsedDl", Value: 42}, {Name: "RRC.ConnMean", Value: 0.5}},
	}
	with := func(f func(r *model.KPMReport)) model.KPMReport {
		r := base
		r.Measurements = append([]model.Measurement(nil), base.Measurements...)
		f(&r)
		return r
	}
	tests := []struct {
		name string
		r    model.KPMReport
		want string
		// back is the report DecodeReports returns when it is not r.
		back *model.KPMReport
	}{
		{
			name: "the API's example",
			r:    base,
			want: `{"nodeId":"gnb-001","cellId":"cell-1","collectStartTime":"2025-01-01T00:00:00Z","granularityPeriodMs":1000,` +
				`"measurements":[{"name":"RRU.PrbUsedDl","value":42},{"name":"RRC.ConnMean","value":0.5}]}`,
		},
		{
			name: "nanoseconds, in UTC",
			r: with(func(r *model.KPMReport) {
				r.CollectStart = time.Date(2025, 1, 1, 1, 0, 0, 123456789, time.FixedZone("CET", 3600))
			}),
			want: `{"nodeId":"gnb-001","cellId":"cell-1","collectStartTime":"2025-01-01T00:00:00.123456789Z","granularityPeriodMs":1000,` +
				`"measurements":[{"name":"RRU.PrbUsedDl","value":42},{"name":"RRC.ConnMean","value":0.5}]}`,
		},
		{
			name: "ids that need escaping",
			r: with(func(r *model.KPMReport) {
				r.NodeID, r.CellID = `gnb "north"\1`, "cellule-é"
			}),
			want: `{"nodeId":"gnb \"north\"\\1","cellId":"cellule-é","collectStartTime":"2025-01-01T00:00:00Z","granularityPeriodMs":1000,` +
				`"measurements":[{"name":"RRU.PrbUsedDl","value":42},{"name":"RRC.ConnMean","value":0.5}]}`,
		},
		{
			name: "no granularity is left out",
			r:    with(func(r *model.KPMReport) { r.GranularityPeriod = 0 }),
			want: `{"nodeId":"gnb-001","cellId":"cell-1","collectStartTime":"2025-01-01T00:00:00Z",` +
				`"measurements":[{"name":"RRU.PrbUsedDl","value":42},{"name":"RRC.ConnMean","value":0.5}]}`,
		},
		{
			name: "granularity rounds to the millisecond",
			r:    with(func(r *model.KPMReport) { r.GranularityPeriod = 1500 * time.Microsecond }),
			want: `{"nodeId":"gnb-001","cellId":"cell-1","collectStartTime":"2025-01-01T00:00:00Z","granularityPeriodMs":2,` +
				`"measurements":[{"name":"RRU.PrbUsedDl","value":42},{"name":"RRC.ConnMean","value":0.5}]}`,
			back: func() *model.KPMReport {
				r := with(func(r *model.KPMReport) { r.GranularityPeriod = 2 * time.Millisecond })
				return &r
			}(),
		},
		{
			name: "no measurements is an empty array",
			r:    with(func(r *model.KPMReport) { r.Measurements = nil }),
			want: `{"nodeId":"gnb-001","cellId":"cell-1","collectStartTime":"2025-01-01T00:00:00Z","granularityPeriodMs":1000,"measurements":[]}`,
			back: func() *model.KPMReport {
				r := with(func(r *model.KPMReport) { r.Measurements = []model.Measurement{} })
				return &r
			}(),
		},
		{
			name: "values as encoding/json writes them",
			r: with(func(r *model.KPMReport) {
				r.Measurements = []model.Measurement{{Name: "a", Value: 1e-7}, {Name: "b", Value: 1e21}, {Name: "c", Value: 123456.789}, {Name: "d", Value: 0}}
			}),
			want: `{"nodeId":"gnb-001","cellId":"cell-1","collectStartTime":"2025-01-01T00:00:00Z","granularityPeriodMs":1000,` +
				`"measurements":[{"name":"a","value":1e-7},{"name":"b","value":1e+21},{"name":"c","value":123456.789},{"name":"d","value":0}]}`,
		},
		{
			name: "a value that is not finite is no value",
			r: with(func(r *model.KPMReport) {
				r.Measurements = []model.Measurement{{Name: "a", Value: math.NaN()}, {Name: "b", Value: 3}, {Name: "c", Value: math.Inf(1)}}
			}),
			want: `{"nodeId":"gnb-001","cellId":"cell-1","collectStartTime":"2025-01-01T00:00:00Z","granularityPeriodMs":1000,` +
				`"measurements":[{"name":"a","value":null},{"name":"b","value":3},{"name":"c","value":null}]}`,
			back: func() *model.KPMReport {
				r := with(func(r *model.KPMReport) { r.Measurements = []model.Measurement{{Name: "b", Value: 3}} })
				return &r
			}(),
		},
	}
	received := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(tc.r)
			require.NoError(t, err)
			require.Equal(t, tc.want, string(b))

			got, err := kpm.DecodeReports(b, received)
			require.NoError(t, err)
			want := tc.r
			if tc.back != nil {
				want = *tc.back
			}
			want.CollectStart = want.CollectStart.UTC()
			want.ReceivedAt = received
			require.Equal(t, []model.KPMReport{want}, got)

			// A pointer marshals the same, and a push body of several too.
			b2, err := json.Marshal([]*model.KPMReport{&tc.r, &tc.r})
			require.NoError(t, err)
			require.Equal(t, "["+tc.want+","+tc.want+"]", string(b2))
			got, err = kpm.DecodeReports(b2, received)
			require.NoError(t, err)
			require.Len(t, got, 2)
		})
	}

	_, err := json.Marshal(with(func(r *model.KPMReport) { r.CollectStart = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }))
	require.Error(t, err, "a year RFC 3339 cannot write")
}

// traceFixture stores events and reports with ties in received time:
//
//	t0       VES e1 (du-1), KPM gnb-1/c1, KPM gnb-2/c1
//	t0+1s    KPM gnb-1/c2, VES e2 (du-2)   (the VES event is stored later, written first)
//	t0+2s    VES e3 (du-1), VES e4 (du-1)
//	t0+3s    KPM gnb-1/c3
func traceFixture(t *testing.T) *Store {
	t.Helper()
	ctx := context.Background()
	s := openTest(t, t.TempDir(), Options{})
	s.RecordKPM([]model.KPMReport{testReport("gnb-1", "c1", t0), testReport("gnb-2", "c1", t0), testReport("gnb-1", "c2", t0.Add(time.Second))})
	s.RecordKPM([]model.KPMReport{testReport("gnb-1", "c3", t0.Add(3*time.Second))})
	require.NoError(t, s.Append(ctx, []model.Event{testEvent("e1", "du-1", "fault", "MAJOR", t0)}))
	require.NoError(t, s.Append(ctx, []model.Event{testEvent("e2", "du-2", "fault", "MAJOR", t0.Add(time.Second))}))
	require.NoError(t, s.Append(ctx, []model.Event{
		testEvent("e3", "du-1", "fault", "MAJOR", t0.Add(2*time.Second)),
		testEvent("e4", "du-1", "fault", "MINOR", t0.Add(2*time.Second)),
	}))
	require.Eventually(t, func() bool { return s.Stats().KPMReports == 4 }, 10*time.Second, time.Millisecond)
	return s
}

func TestExportTrace(t *testing.T) {
	s := traceFixture(t)
	at := func(sec int) string { return t0.Add(time.Duration(sec) * time.Second).Format(time.RFC3339Nano) }
	tests := []struct {
		name string
		f    TraceFilter
		want []string
	}{
		{"everything, VES first on a tie, then stored order", TraceFilter{}, []string{
			"ves " + at(0) + " e1", "kpm " + at(0) + " gnb-1/c1", "kpm " + at(0) + " gnb-2/c1",
			"ves " + at(1) + " e2", "kpm " + at(1) + " gnb-1/c2",
			"ves " + at(2) + " e3", "ves " + at(2) + " e4",
			"kpm " + at(3) + " gnb-1/c3",
		}},
		{"source narrows the VES events, not the KPM reports", TraceFilter{Source: "du-1"}, []string{
			"ves " + at(0) + " e1", "kpm " + at(0) + " gnb-1/c1", "kpm " + at(0) + " gnb-2/c1",
			"kpm " + at(1) + " gnb-1/c2",
			"ves " + at(2) + " e3", "ves " + at(2) + " e4",
			"kpm " + at(3) + " gnb-1/c3",
		}},
		{"node narrows the KPM reports, not the VES events", TraceFilter{Node: "gnb-2"}, []string{
			"ves " + at(0) + " e1", "kpm " + at(0) + " gnb-2/c1",
			"ves " + at(1) + " e2",
			"ves " + at(2) + " e3", "ves " + at(2) + " e4",
		}},
		{"one CNF: its source and its node", TraceFilter{Source: "du-2", Node: "gnb-1"}, []string{
			"kpm " + at(0) + " gnb-1/c1",
			"ves " + at(1) + " e2", "kpm " + at(1) + " gnb-1/c2",
			"kpm " + at(3) + " gnb-1/c3",
		}},
		{"since inclusive, until exclusive", TraceFilter{Since: t0.Add(time.Second), Until: t0.Add(3 * time.Second)}, []string{
			"ves " + at(1) + " e2", "kpm " + at(1) + " gnb-1/c2",
			"ves " + at(2) + " e3", "ves " + at(2) + " e4",
		}},
		{"nothing", TraceFilter{Source: "nope", Node: "nope"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, traceSummary(t, s, tc.f))
		})
	}

	t.Run("lines are what ingest takes", func(t *testing.T) {
		events := all(t, s, Query{})
		byID := map[string]model.Event{}
		for _, e := range events {
			byID[e.EventID] = e
		}
		for _, l := range exportLines(t, s, TraceFilter{}) {
			if l.VES != nil {
				var body struct {
					Event json.RawMessage `json:"event"`
				}
				require.NoError(t, json.Unmarshal(l.VES, &body))
				var e struct {
					H struct {
						EventID string `json:"eventId"`
					} `json:"commonEventHeader"`
				}
				require.NoError(t, json.Unmarshal(body.Event, &e))
				require.JSONEq(t, string(byID[e.H.EventID].Raw), string(body.Event), "the event as received")
				require.Equal(t, byID[e.H.EventID].ReceivedAt, l.At)
				continue
			}
			reports, err := kpm.DecodeReports(l.KPM, l.At)
			require.NoError(t, err)
			require.Len(t, reports, 1)
			require.Equal(t, testReport(reports[0].NodeID, reports[0].CellID, l.At), reports[0], "recorded and exported unchanged")
		}
	})
}

func TestExportTraceStreamsChunks(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir(), Options{})
	const each = 2*traceChunk + 17
	events := make([]model.Event, 0, each)
	reports := make([]model.KPMReport, 0, each)
	for i := range each {
		// Two of each kind per millisecond: ties within and across kinds.
		at := t0.Add(time.Duration(i/2) * time.Millisecond)
		events = append(events, testEvent(fmt.Sprintf("e%d", i), "du-1", "fault", "MAJOR", at))
		reports = append(reports, testReport("gnb-1", fmt.Sprintf("c%d", i), at))
	}
	require.NoError(t, s.Append(ctx, events))
	s.RecordKPM(reports)
	require.Eventually(t, func() bool { return s.Stats().KPMReports == each }, 10*time.Second, time.Millisecond)

	lines := traceSummary(t, s, TraceFilter{Source: "du-1", Node: "gnb-1"})
	require.Len(t, lines, 2*each)
	for i := range each / 2 {
		at := t0.Add(time.Duration(i) * time.Millisecond).Format(time.RFC3339Nano)
		require.Equal(t, []string{
			fmt.Sprintf("ves %s e%d", at, 2*i), fmt.Sprintf("ves %s e%d", at, 2*i+1),
			fmt.Sprintf("kpm %s gnb-1/c%d", at, 2*i), fmt.Sprintf("kpm %s gnb-1/c%d", at, 2*i+1),
		}, lines[4*i:4*i+4])
	}
}

func TestExportTraceCompactsTheEvent(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{})
	e := testEvent("pretty", "du-1", "fault", "MAJOR", t0)
	var pretty bytes.Buffer
	require.NoError(t, json.Indent(&pretty, e.Raw, "", "  "))
	e.Raw = pretty.Bytes()
	require.NoError(t, s.Append(context.Background(), []model.Event{e}))

	var out bytes.Buffer
	n, err := s.ExportTrace(context.Background(), &out, TraceFilter{})
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, 1, strings.Count(out.String(), "\n"), "one line")
	require.True(t, strings.HasPrefix(out.String(), `{"at":"2026-03-01T12:00:00Z","ves":{"event":{"commonEventHeader":{"domain":"fault",`), out.String())
}

type failingWriter struct{ after int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.after -= len(p); w.after < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestExportTraceErrors(t *testing.T) {
	s := traceFixture(t)
	_, err := s.ExportTrace(context.Background(), &failingWriter{}, TraceFilter{})
	require.ErrorContains(t, err, "disk full")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = s.ExportTrace(ctx, &bytes.Buffer{}, TraceFilter{})
	require.ErrorIs(t, err, context.Canceled)

	require.NoError(t, s.Close())
	_, err = s.ExportTrace(context.Background(), &bytes.Buffer{}, TraceFilter{})
	require.ErrorIs(t, err, ErrClosed)
}

// TestExportTracePlan: each chunk query walks an index in received-time
// order, never sorts.
func TestExportTracePlan(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{})
	tests := []struct {
		name  string
		kind  traceKind
		f     TraceFilter
		index string
	}{
		{"VES by source", traceVES, TraceFilter{Source: "du-1", Since: t0, Until: t0.Add(time.Hour)}, "events_source_received"},
		{"VES", traceVES, TraceFilter{Since: t0, Until: t0.Add(time.Hour)}, "events_received"},
		{"KPM by node", traceKPM, TraceFilter{Node: "gnb-1", Since: t0, Until: t0.Add(time.Hour)}, "kpm_reports_node_received"},
		{"KPM", traceKPM, TraceFilter{Since: t0, Until: t0.Add(time.Hour)}, "kpm_reports_received"},
	}
	for _, tc := range tests {
		for _, started := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s, started %v", tc.name, started), func(t *testing.T) {
				c := &traceCursor{s: s, kind: tc.kind, filter: tc.f, started: started, pos: cursor{receivedAt: t0.UnixMicro(), id: 5}}
				query, args := c.query()
				plan := explain(t, s, query, args)
				require.Contains(t, plan, tc.index)
				require.NotContains(t, plan, "TEMP B-TREE", "the query sorts")
			})
		}
	}
}
