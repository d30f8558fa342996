// Package tracegen writes replay traces (JSON Lines, one signal per line, as
// `nephoran replay` reads them): the two small scenario traces committed under
// testdata/traces/ and the large synthetic KPM traces the replay benchmark
// streams without ever writing them to disk. Everything it writes is a
// deterministic function of its arguments.
package tracegen

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"time"
)

// Epoch is the start of every generated trace.
var Epoch = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)

// KPM describes a synthetic KPM trace: Cells cells of one E2 node each, one
// report per cell every Step, whose PRB utilization PRB returns for the
// offset from Epoch (0..1).
type KPM struct {
	Nodes, CellsPerNode int
	Step                time.Duration
	Duration            time.Duration
	PRB                 func(node int, offset time.Duration) float64
	// Batch puts every cell of one node and step in one line (a JSON array,
	// as the ingest API takes it) instead of one line per report.
	Batch bool
}

// Write writes the trace to w.
func (k KPM) Write(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	buf := make([]byte, 0, 64<<10)
	step := k.Step.Milliseconds()
	for off := time.Duration(0); off < k.Duration; off += k.Step {
		start := Epoch.Add(off)
		at := start.Add(k.Step).Format(time.RFC3339Nano)
		collect := start.Format(time.RFC3339Nano)
		for n := range k.Nodes {
			prb := k.PRB(n, off)
			if k.Batch {
				buf = append(buf[:0], `{"at":"`...)
				buf = append(buf, at...)
				buf = append(buf, `","kpm":[`...)
			}
			for c := range k.CellsPerNode {
				if !k.Batch {
					buf = append(buf[:0], `{"at":"`...)
					buf = append(buf, at...)
					buf = append(buf, `","kpm":`...)
				} else if c > 0 {
					buf = append(buf, ',')
				}
				buf = appendReport(buf, n, c, collect, step, prb)
				if !k.Batch {
					buf = append(buf, "}\n"...)
					if _, err := bw.Write(buf); err != nil {
						return err
					}
				}
			}
			if k.Batch {
				buf = append(buf, "]}\n"...)
				if _, err := bw.Write(buf); err != nil {
					return err
				}
			}
		}
	}
	return bw.Flush()
}

// NodeID and CellID name the generated node and cell ids.
func NodeID(n int) string    { return fmt.Sprintf("gnb-%03d", n+1) }
func CellID(n, c int) string { return fmt.Sprintf("%s-cell-%02d", NodeID(n), c+1) }

func appendReport(buf []byte, n, c int, collect string, stepMs int64, prb float64) []byte {
	const avail = 273 // PRBs of a 100 MHz carrier at 30 kHz
	used := float64(int(prb*avail + 0.5))
	buf = append(buf, `{"nodeId":"`...)
	buf = append(buf, NodeID(n)...)
	buf = append(buf, `","cellId":"`...)
	buf = append(buf, CellID(n, c)...)
	buf = append(buf, `","collectStartTime":"`...)
	buf = append(buf, collect...)
	buf = append(buf, `","granularityPeriodMs":`...)
	buf = strconv.AppendInt(buf, stepMs, 10)
	buf = append(buf, `,"measurements":[{"name":"RRU.PrbUsedDl","value":`...)
	buf = strconv.AppendFloat(buf, used, 'f', -1, 64)
	buf = append(buf, `},{"name":"RRU.PrbAvailDl","value":`...)
	buf = strconv.AppendInt(buf, avail, 10)
	buf = append(buf, `},{"name":"RRC.ConnMean","value":`...)
	buf = strconv.AppendInt(buf, int64(40+c*3), 10)
	buf = append(buf, `},{"name":"DRB.RlcSduDelayDl","value":`...)
	buf = strconv.AppendInt(buf, int64(50+prb*100), 10)
	buf = append(buf, `}]}`...)
	return buf
}
