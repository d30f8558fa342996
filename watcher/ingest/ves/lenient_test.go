package ves

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/watcher/model"
)

// lenientAcceptsDomainBlock is the one INVALID sample lenient mode accepts.
// Its only fault is in the domain block (pnfRegistrationFields.oamV4IpAddress
// "09.09.09.09aaaf" is no IPv4 address), and lenient mode validates the
// header only: refusing it would need domain-block validation, which would
// also refuse the EDGE samples lenient mode exists for (faultFieldsVersion
// "1.0", networkSliceArray are domain-block schema failures of the same
// kind). It is accepted as lenient, never as accepted, and its deviation
// names the bad field, so a consumer can still tell.
const lenientAcceptsDomainBlock = "INVALID-onap-ves7-pnfreg-bad-ipv4.json"

const keptAsSent = "; kept as sent (lenient mode does not validate the domain block)"

// wantDeviations are the deviations lenient mode records for each event of
// the samples it normalizes; samples not named here have none.
var wantDeviations = map[string][]string{
	"EDGE-oransc-smo-ves-fault-faultFieldsVersion-1.0.json": {
		"faultFields.faultFieldsVersion: value must be '4.0'" + keptAsSent,
	},
	"EDGE-oransc-smo-ves-measurement-networkSliceArray.json": {
		"measurementFields.networkSliceArray: additional properties 'networkSliceArray' not allowed" + keptAsSent,
	},
	"EDGE-oransc-smo-ves-stndDefined-epoch-as-string.json": {
		`commonEventHeader.startEpochMicrosec: string "1639983600000" has 13 digits, read as milliseconds: 1639983600000000 microseconds`,
		`commonEventHeader.lastEpochMicrosec: string "1639984500000" has 13 digits, read as milliseconds: 1639984500000000 microseconds`,
	},
	"EDGE-spec-ves721-eventBatch-sample.json": {`faultFields.faultFieldsVersion: number 4.0 read as string "4.0"`},
	"EDGE-spec-ves721-fault-sample.json":      {`faultFields.faultFieldsVersion: number 4.0 read as string "4.0"`},
	lenientAcceptsDomainBlock: {
		"pnfRegistrationFields.oamV4IpAddress: '09.09.09.09aaaf' is not valid ipv4: leading zeros" + keptAsSent,
	},
	// Strict-valid (the schema types epochs "number"), but its epochs are
	// milliseconds, which lenient mode reads as such.
	"oransc-smo-ves-measurement.json": {
		"commonEventHeader.startEpochMicrosec: number 1639983600000 has 13 digits, read as milliseconds: 1639983600000000 microseconds",
		"commonEventHeader.lastEpochMicrosec: number 1639984500000 has 13 digits, read as milliseconds: 1639984500000000 microseconds",
	},
}

// mutated returns the fault sample with f applied to its decoded event.
func mutated(t *testing.T, f func(ev, h, fields map[string]any)) []byte {
	t.Helper()
	var top map[string]any
	dec := json.NewDecoder(bytes.NewReader(readSample(t, "onap-ves7-fault-critical.json")))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&top))
	ev := top["event"].(map[string]any)
	f(ev, ev["commonEventHeader"].(map[string]any), ev["faultFields"].(map[string]any))
	b, err := json.Marshal(top)
	require.NoError(t, err)
	return b
}

// TestLenientNormalizations: each normalization on its own, what it records,
// and what lenient mode still refuses.
func TestLenientNormalizations(t *testing.T) {
	const sampleEpoch = 1413378172000000 // both epochs of the fault sample
	cases := []struct {
		name       string
		mutate     func(ev, h, fields map[string]any)
		start      int64 // model.Event.StartEpochMicrosec; 0 is sampleEpoch
		domain     string
		deviations []string
		// refused: the field the SVC0002 names
		refused string
	}{
		{name: "a strict-valid event untouched stays accepted", mutate: func(ev, h, f map[string]any) {}},
		{name: "string epoch is read as integer microseconds",
			mutate:     func(ev, h, f map[string]any) { h["startEpochMicrosec"] = "1585800000000001" },
			start:      1585800000000001,
			deviations: []string{`commonEventHeader.startEpochMicrosec: string "1585800000000001" read as integer microseconds`}},
		{name: "13-digit epoch is milliseconds",
			mutate:     func(ev, h, f map[string]any) { h["startEpochMicrosec"] = json.Number("1731000000123") },
			start:      1731000000123000,
			deviations: []string{"commonEventHeader.startEpochMicrosec: number 1731000000123 has 13 digits, read as milliseconds: 1731000000123000 microseconds"}},
		{name: "13-digit epoch in a string is milliseconds too",
			mutate:     func(ev, h, f map[string]any) { h["startEpochMicrosec"] = "1731000000123" },
			start:      1731000000123000,
			deviations: []string{`commonEventHeader.startEpochMicrosec: string "1731000000123" has 13 digits, read as milliseconds: 1731000000123000 microseconds`}},
		{name: "fractional epoch is truncated to integer microseconds",
			mutate:     func(ev, h, f map[string]any) { h["startEpochMicrosec"] = json.Number("1.5858e15") },
			start:      1585800000000000,
			deviations: []string{"commonEventHeader.startEpochMicrosec: number 1.5858e15 read as integer microseconds 1585800000000000"}},
		{name: "numeric header version is read as its string",
			mutate:     func(ev, h, f map[string]any) { h["version"] = json.Number("4.0") },
			deviations: []string{`commonEventHeader.version: number 4.0 read as string "4.0"`}},
		{name: "numeric listener version is read as its string",
			mutate:     func(ev, h, f map[string]any) { h["vesEventListenerVersion"] = json.Number("7.2") },
			deviations: []string{`commonEventHeader.vesEventListenerVersion: number 7.2 read as string "7.2"`}},
		{name: "numeric faultFieldsVersion is read as its string",
			mutate:     func(ev, h, f map[string]any) { f["faultFieldsVersion"] = json.Number("4.0") },
			deviations: []string{`faultFields.faultFieldsVersion: number 4.0 read as string "4.0"`}},
		{name: "missing vesEventListenerVersion is 7.2.1",
			mutate:     func(ev, h, f map[string]any) { delete(h, "vesEventListenerVersion") },
			deviations: []string{`commonEventHeader.vesEventListenerVersion: missing, read as "7.2.1"`}},
		{name: "VES 5 domain measurementsForVfScaling is allowed, its block unvalidated",
			mutate: func(ev, h, f map[string]any) {
				h["domain"] = "measurementsForVfScaling"
				delete(ev, "faultFields")
				ev["measurementsForVfScalingFields"] = map[string]any{"measurementsForVfScalingVersion": json.Number("2.1"), "cpuUsageArray": "not even an array"}
			},
			domain: "measurementsForVfScaling",
			deviations: []string{
				`commonEventHeader.domain: VES 5 domain "measurementsForVfScaling" allowed, header checked as domain "measurement"`,
				`measurementsForVfScalingFields.measurementsForVfScalingVersion: number 2.1 read as string "2.1"`,
				"measurementsForVfScalingFields: VES 5 domain block kept as sent, not validated",
			}},
		{name: "a domain block the schema refuses is kept, never refused",
			mutate:     func(ev, h, f map[string]any) { f["alarmCondition"] = json.Number("7") },
			deviations: []string{"faultFields.alarmCondition: got number, want string" + keptAsSent}},
		{name: "every normalization at once, in header order",
			mutate: func(ev, h, f map[string]any) {
				h["startEpochMicrosec"] = "1731000000000"
				h["lastEpochMicrosec"] = json.Number("1731000000001")
				h["version"] = json.Number("4.1")
				delete(h, "vesEventListenerVersion")
				f["faultFieldsVersion"] = json.Number("4.0")
			},
			start: 1731000000000000,
			deviations: []string{
				`commonEventHeader.startEpochMicrosec: string "1731000000000" has 13 digits, read as milliseconds: 1731000000000000 microseconds`,
				"commonEventHeader.lastEpochMicrosec: number 1731000000001 has 13 digits, read as milliseconds: 1731000000001000 microseconds",
				`commonEventHeader.version: number 4.1 read as string "4.1"`,
				`commonEventHeader.vesEventListenerVersion: missing, read as "7.2.1"`,
				`faultFields.faultFieldsVersion: number 4.0 read as string "4.0"`,
			}},
		{name: "an epoch string that is no number is still refused",
			mutate:  func(ev, h, f map[string]any) { h["startEpochMicrosec"] = "yesterday" },
			refused: "/event/commonEventHeader/startEpochMicrosec"},
		{name: "a missing required header field is still refused",
			mutate:  func(ev, h, f map[string]any) { delete(h, "sourceName") },
			refused: "/event/commonEventHeader/sourceName"},
		{name: "an unknown domain is still refused",
			mutate:  func(ev, h, f map[string]any) { h["domain"] = "measurementsForVfScalin" },
			refused: "/event/commonEventHeader/domain"},
		{name: "a listener version that is not 7.x is still refused",
			mutate:  func(ev, h, f map[string]any) { h["vesEventListenerVersion"] = "5.4.1" },
			refused: "/event/commonEventHeader/vesEventListenerVersion"},
		{name: "an unknown header member is still refused",
			mutate:  func(ev, h, f map[string]any) { h["sourceNam"] = "x" },
			refused: "/event/commonEventHeader/sourceNam"},
		{name: "a header that is not an object is refused",
			mutate:  func(ev, h, f map[string]any) { ev["commonEventHeader"] = json.Number("1") },
			refused: "/event/commonEventHeader"},
		{name: "an event without a header is refused",
			mutate:  func(ev, h, f map[string]any) { delete(ev, "commonEventHeader") },
			refused: "/event/commonEventHeader"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := mutated(t, tc.mutate)
			sink := &memSink{}
			l, _ := newTestListener(t, sink, func(o *Options) { o.Lenient = true })
			rec := post(l, PathEvent, body)
			if tc.refused != "" {
				exc := requireError(t, rec, http.StatusBadRequest, serviceException, SVC0002)
				require.Contains(t, exc.Variables, tc.refused)
				require.Empty(t, sink.events())
				return
			}
			requireAccepted(t, rec)
			got := sink.events()
			require.Len(t, got, 1)
			ev := got[0]
			require.Equal(t, tc.deviations, ev.Deviations)
			want := model.Lenient
			if len(tc.deviations) == 0 {
				want = model.Accepted
			}
			require.Equal(t, want, ev.Result)
			start := tc.start
			if start == 0 {
				start = sampleEpoch
			}
			require.Equal(t, start, ev.StartEpochMicrosec)
			domain := tc.domain
			if domain == "" {
				domain = "fault"
			}
			require.Equal(t, domain, ev.Domain, "the domain is stored as sent")
			require.Equal(t, []byte(sampleEvents(t, body)[0]), []byte(ev.Raw), "Raw is the event as received, not normalized")
		})
	}
}

// fcapsExamples reads the plan's five VES examples, by name.
func fcapsExamples(t testing.TB) map[string][]byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "fcaps", "fcaps.ves.examples.json"))
	require.NoError(t, err)
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b, &m))
	out := map[string][]byte{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// TestFcapsExamples: the plan's examples are VES 5-era events: strict mode
// refuses each, lenient mode accepts each as lenient, with millisecond
// epochs read as such and the domain as sent.
func TestFcapsExamples(t *testing.T) {
	examples := fcapsExamples(t)
	require.Len(t, examples, 5)
	msEpochs := func(start, last string) []string {
		return []string{
			"commonEventHeader.startEpochMicrosec: number " + start + " has 13 digits, read as milliseconds: " + start + "000 microseconds",
			"commonEventHeader.lastEpochMicrosec: number " + last + " has 13 digits, read as milliseconds: " + last + "000 microseconds",
			`commonEventHeader.vesEventListenerVersion: missing, read as "7.2.1"`,
		}
	}
	vfScaling := []string{
		`commonEventHeader.domain: VES 5 domain "measurementsForVfScaling" allowed, header checked as domain "measurement"`,
		"measurementsForVfScalingFields: VES 5 domain block kept as sent, not validated",
	}
	cases := []struct {
		example     string
		strictField string // what strict mode names
		domain      string
		severity    string
		start       int64
		deviations  []string
	}{
		{example: "fault_example", strictField: "/event/commonEventHeader/vesEventListenerVersion", domain: "fault", severity: "CRITICAL",
			start: 1731000000000000, deviations: msEpochs("1731000000000", "1731000000000")},
		{example: "measurement_example", strictField: "/event/commonEventHeader/domain", domain: "measurementsForVfScaling",
			start: 1731000300000000, deviations: append(msEpochs("1731000300000", "1731000360000"), vfScaling...)},
		{example: "heartbeat_example", strictField: "/event/commonEventHeader/vesEventListenerVersion", domain: "heartbeat",
			start: 1731000600000000, deviations: msEpochs("1731000600000", "1731000600000")},
		{example: "high_load_example", strictField: "/event/commonEventHeader/domain", domain: "measurementsForVfScaling",
			start: 1731000900000000, deviations: append(msEpochs("1731000900000", "1731000960000"), vfScaling...)},
		{example: "threshold_crossing_example", strictField: "/event/commonEventHeader/vesEventListenerVersion", domain: "thresholdCrossingAlert", severity: "MAJOR",
			start: 1731001200000000, deviations: append(msEpochs("1731001200000", "1731001200000"),
				"thresholdCrossingAlertFields.additionalParameters: missing properties 'additionalParameters', 'alertAction', 'collectionTimestamp', 'eventStartTimestamp'"+keptAsSent)},
	}
	for _, tc := range cases {
		body, ok := examples[tc.example]
		require.True(t, ok, tc.example)
		t.Run("strict refuses "+tc.example, func(t *testing.T) {
			sink := &memSink{}
			l, _ := newTestListener(t, sink)
			exc := requireError(t, post(l, PathEvent, body), http.StatusBadRequest, serviceException, SVC0002)
			require.Contains(t, exc.Variables, tc.strictField)
			require.Empty(t, sink.events())
		})
		t.Run("lenient accepts "+tc.example, func(t *testing.T) {
			sink := &memSink{}
			l, _ := newTestListener(t, sink, func(o *Options) { o.Lenient = true })
			requireAccepted(t, post(l, PathEvent, body))
			got := sink.events()
			require.Len(t, got, 1)
			ev := got[0]
			require.Equal(t, model.Lenient, ev.Result)
			require.Equal(t, tc.domain, ev.Domain)
			require.Equal(t, tc.severity, ev.Severity, "the domain block is read best-effort")
			require.Equal(t, tc.start, ev.StartEpochMicrosec)
			require.Equal(t, tc.deviations, ev.Deviations)
			require.Equal(t, []byte(sampleEvents(t, body)[0]), []byte(ev.Raw))
			require.Equal(t, 1.0, testutil.ToFloat64(l.metrics.events.WithLabelValues(tc.domain, string(model.Lenient))))
		})
	}
}

// TestLenientBatch: results are per event, and the batch rules still hold.
func TestLenientBatch(t *testing.T) {
	events := sampleEvents(t, readSample(t, "onap-ves7-batch-fault.json"))
	numericVersion := bytes.Replace(events[1], []byte(`"faultFieldsVersion": "4.0"`), []byte(`"faultFieldsVersion": 4.0`), 1)
	require.NotEqual(t, events[1], numericVersion, "the sample spells faultFieldsVersion as expected")
	batch := func(evs ...[]byte) []byte {
		return []byte(`{"eventList":[` + string(bytes.Join(evs, []byte(","))) + `]}`)
	}
	heartbeat := sampleEvents(t, readSample(t, "spec-ves721-heartbeat-sample.json"))[0]

	sink := &memSink{}
	l, _ := newTestListener(t, sink, func(o *Options) { o.Lenient = true })
	requireAccepted(t, post(l, PathBatch, batch(events[0], numericVersion)))
	got := sink.events()
	require.Len(t, got, 2)
	require.Equal(t, model.Accepted, got[0].Result, "the untouched event stays accepted")
	require.Empty(t, got[0].Deviations)
	require.Equal(t, model.Lenient, got[1].Result)
	require.Equal(t, []string{`faultFields.faultFieldsVersion: number 4.0 read as string "4.0"`}, got[1].Deviations)
	require.Equal(t, 1.0, testutil.ToFloat64(l.metrics.events.WithLabelValues("fault", "accepted")))
	require.Equal(t, 1.0, testutil.ToFloat64(l.metrics.events.WithLabelValues("fault", "lenient")))

	cases := []struct {
		name  string
		body  []byte
		id    string
		field string
	}{
		{name: "mixed domains are SVC0001 in lenient mode too", body: batch(numericVersion, heartbeat),
			id: SVC0001, field: "/eventList/1/commonEventHeader/domain"},
		{name: "eventList that is not an array", body: []byte(`{"eventList":{"a":1}}`),
			id: SVC0002, field: "/eventList"},
		{name: "an event that is not an object names its index", body: batch(events[0], []byte(`7`)),
			id: SVC0002, field: "/eventList/1"},
		{name: "a bad header in the second event names it", body: batch(events[0], bytes.Replace(events[1], []byte(`"sourceName"`), []byte(`"sourceNameX"`), 1)),
			id: SVC0002, field: "/eventList/1/commonEventHeader/sourceName"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sink := &memSink{}
			l, _ := newTestListener(t, sink, func(o *Options) { o.Lenient = true })
			exc := requireError(t, post(l, PathBatch, tc.body), http.StatusBadRequest, serviceException, tc.id)
			require.Contains(t, exc.Variables, tc.field)
			require.Empty(t, sink.events())
		})
	}
}

// TestLenientMetrics: lenient events are counted result="lenient", a VES 5
// domain under its own (bounded) name, and strict mode still calls it
// invalid.
func TestLenientMetrics(t *testing.T) {
	examples := fcapsExamples(t)
	l, reg := newTestListener(t, &memSink{}, func(o *Options) { o.Lenient = true })
	for _, name := range []string{"fault_example", "measurement_example", "high_load_example"} {
		requireAccepted(t, post(l, PathEvent, examples[name]))
	}
	requireAccepted(t, post(l, PathEvent, readSample(t, "onap-ves7-fault-critical.json")))
	requireError(t, post(l, PathEvent, readSample(t, "INVALID-oransc-smo-ves-bad-domain.json")), http.StatusBadRequest, serviceException, SVC0002)
	want := `
# HELP ves_events_total VES events received, by commonEventHeader.domain ("invalid" when not a VES 7.2.1 domain) and result (accepted, stndDefined_unvalidated, lenient, rejected).
# TYPE ves_events_total counter
ves_events_total{domain="fault",result="accepted"} 1
ves_events_total{domain="fault",result="lenient"} 1
ves_events_total{domain="invalid",result="rejected"} 1
ves_events_total{domain="measurementsForVfScaling",result="lenient"} 2
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(want), "ves_events_total"))

	strict, reg := newTestListener(t, &memSink{})
	requireError(t, post(strict, PathEvent, examples["measurement_example"]), http.StatusBadRequest, serviceException, SVC0002)
	want = `
# HELP ves_events_total VES events received, by commonEventHeader.domain ("invalid" when not a VES 7.2.1 domain) and result (accepted, stndDefined_unvalidated, lenient, rejected).
# TYPE ves_events_total counter
ves_events_total{domain="invalid",result="rejected"} 1
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(want), "ves_events_total"))
}

// FuzzLenient drives lenient validation without HTTP, seeded from every
// sample and the plan's examples. It must not panic; whatever strict mode
// accepts lenient mode accepts too, with the same events; an event lenient
// mode calls accepted passes the strict schema as sent, and a lenient one
// says why.
func FuzzLenient(f *testing.F) {
	entries, err := os.ReadDir(samplesDir)
	require.NoError(f, err)
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(samplesDir, e.Name()))
		require.NoError(f, err)
		f.Add(b, false)
		f.Add(b, true)
	}
	for _, b := range fcapsExamples(f) {
		f.Add(b, false)
	}
	f.Add([]byte(`{"event":{"commonEventHeader":{"startEpochMicrosec":"1e400","lastEpochMicrosec":-1731000000000}}}`), false)
	v := testValidator(f)
	f.Fuzz(func(t *testing.T, body []byte, batch bool) {
		if len(body) > DefaultMaxBodyBytes {
			t.Skip("the listener never reads more than the limit")
		}
		ep := endpointEvent
		if batch {
			ep = endpointBatch
		}
		lenient := v.validateLenient(ep, body)
		strict := v.validate(ep, body)
		if strict.err == nil {
			require.Nil(t, lenient.err, "lenient mode refused what strict mode accepts: %v", lenient.err)
			require.Len(t, lenient.events, len(strict.events))
		}
		if lenient.err != nil {
			require.Equal(t, http.StatusBadRequest, lenient.err.status)
			require.Contains(t, []string{SVC0001, SVC0002, SVC2006}, lenient.err.MessageID)
			_, err := json.Marshal(lenient.err)
			require.NoError(t, err)
			return
		}
		require.NotEmpty(t, lenient.events)
		doc, err := decode(body)
		require.NoError(t, err)
		for i, ev := range lenient.events {
			require.True(t, bytes.Contains(body, ev.Raw), "Raw is a piece of the body")
			switch ev.Result {
			case model.Lenient:
				require.NotEmpty(t, ev.Deviations, "a lenient event says why")
			case model.Accepted, model.StndDefinedUnvalidated:
				require.Empty(t, ev.Deviations)
				require.NoError(t, v.event.Validate(doc.events[i].value), "accepted means strict-valid as sent")
			default:
				t.Fatalf("result %q", ev.Result)
			}
			require.True(t, v.domains[ev.Domain] || slices.Contains([]string{"measurementsForVfScaling"}, ev.Domain))
		}
	})
}
