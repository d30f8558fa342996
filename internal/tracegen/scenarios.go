package tracegen

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// PRBRamp writes the PRB ramp scenario of testdata/traces/prb-ramp.jsonl:
// one E2 node (gnb-001) with two cells reporting every 10 s for 30 minutes;
// PRB utilization 0.50, then 0.92 from minute 5 (one scale-out; the
// high load ends before its cooldown would let a second one through), 0.45
// from minute 9 (between the thresholds: the scale-out's clear condition),
// 0.20 from minute 14 (one scale-in) and 0.50 again from minute 20.
func PRBRamp(w io.Writer) error {
	return KPM{
		Nodes: 1, CellsPerNode: 2, Step: 10 * time.Second, Duration: 30 * time.Minute,
		PRB: func(_ int, off time.Duration) float64 {
			switch {
			case off < 5*time.Minute:
				return 0.50
			case off < 9*time.Minute:
				return 0.92
			case off < 14*time.Minute:
				return 0.45
			case off < 20*time.Minute:
				return 0.20
			}
			return 0.50
		},
	}.Write(w)
}

// LinkDownStorm writes the fault scenario of testdata/traces/link-down-storm.jsonl:
// a DU (sourceName odu-edge-1) raises LINK_DOWN on its F1 interface, the
// producer retransmits it, repeats it, bursts it nine times in half a
// minute, clears it, and raises it again after the cooldown.
func LinkDownStorm(w io.Writer) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	seq, raised := 0, Epoch
	emit := func(off time.Duration, id string, severity string, again bool) error {
		at := Epoch.Add(off)
		if !again { // a retransmission repeats the event as it was
			seq, raised = seq+1, at
		}
		return enc.Encode(map[string]any{
			"at":  at.Format(time.RFC3339Nano),
			"ves": map[string]any{"event": faultEvent(id, seq, raised, severity)},
		})
	}
	steps := []faultStep{
		{0, "ld-0001", "CRITICAL", false},                // the alarm: a migrate decision
		{5 * time.Second, "ld-0001", "CRITICAL", true},   // retransmitted: Duplicate
		{20 * time.Second, "ld-0002", "CRITICAL", false}, // repeated: same incident, Duplicate
		{40 * time.Second, "ld-0003", "CRITICAL", false}, // repeated: Duplicate
	}
	for i := range 9 { // nine within 30 s: beyond five a minute they are a Burst
		steps = append(steps, faultStep{time.Minute + time.Duration(i)*3*time.Second, fmt.Sprintf("ld-%04d", 10+i), "CRITICAL", false})
	}
	steps = append(steps,
		faultStep{3 * time.Minute, "ld-0100", "NORMAL", false},   // the CLEAR closes the incident
		faultStep{7 * time.Minute, "ld-0200", "CRITICAL", false}, // a new incident after the cooldown
	)
	for _, s := range steps {
		if err := emit(s.off, s.id, s.severity, s.again); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// faultStep is one line of the fault scenario.
type faultStep struct {
	off      time.Duration
	id       string
	severity string
	again    bool // a retransmission: same eventId and sequence
}

func faultEvent(id string, seq int, at time.Time, severity string) map[string]any {
	us := at.UnixMicro()
	return map[string]any{
		"commonEventHeader": map[string]any{
			"domain":                  "fault",
			"eventId":                 id,
			"eventName":               "Fault_O-DU_LINK_DOWN",
			"sequence":                seq,
			"priority":                "High",
			"reportingEntityName":     "odu-edge-1",
			"sourceName":              "odu-edge-1",
			"startEpochMicrosec":      us,
			"lastEpochMicrosec":       us,
			"version":                 "4.1",
			"vesEventListenerVersion": "7.2.1",
		},
		"faultFields": map[string]any{
			"faultFieldsVersion": "4.0",
			"alarmCondition":     "LINK_DOWN",
			"alarmInterfaceA":    "f1-c",
			"eventSourceType":    "O-DU",
			"specificProblem":    "F1-C link down towards the CU-CP",
			"eventSeverity":      severity,
			"vfStatus":           "Active",
			"alarmAdditionalInformation": map[string]any{
				"site": "edge-1",
				"node": "worker-3",
			},
		},
	}
}
