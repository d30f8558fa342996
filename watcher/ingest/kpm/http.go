package kpm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// The endpoints Register serves.
const (
	// ReportsPath takes pushed reports (POST).
	ReportsPath = "/api/v1/kpm/reports"
	// ReadoutPath answers a node's current window (GET).
	ReadoutPath = "/api/v1/metrics/e2/kpm/{nodeId}"
)

// Register adds the push endpoint and the readout to mux. Both answer
// errors as JSON {"error":{"field":..,"message":..}}.
func (in *Ingester) Register(mux *http.ServeMux) {
	mux.Handle(ReportsPath, in.timed("reports", in.handleReports))
	mux.Handle(ReadoutPath, in.timed("readout", in.handleReadout))
}

// statusWriter remembers the status code for the duration histogram.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (in *Ingester) timed(handler string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now() // a duration: the wall clock, not the injected one
		sw := &statusWriter{ResponseWriter: w}
		h(sw, r)
		if sw.code == 0 {
			sw.code = http.StatusOK
		}
		in.m.observe(handler, sw.code, time.Since(start))
	})
}

// handleReports is POST /api/v1/kpm/reports: 202 with no body when every
// report decodes, 400 naming the field otherwise (nothing of the body is
// kept), 413 over MaxBodyBytes, 405 for other methods.
func (in *Ingester) handleReports(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, &FieldError{Message: "method " + r.Method + " not allowed: use POST"})
		return
	}
	body, err := readBody(w, r, in.maxBody)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			in.m.rejected(1)
			writeError(w, http.StatusRequestEntityTooLarge, &FieldError{Message: fmt.Sprintf("body larger than %d bytes", in.maxBody)})
			return
		}
		writeError(w, http.StatusBadRequest, &FieldError{Message: "reading the body: " + err.Error()})
		return
	}
	reports, err := DecodeReports(body, in.now())
	if err != nil {
		in.m.rejected(countReports(body))
		in.log.Debug("KPM report body refused", "remote", r.RemoteAddr, "err", err)
		var fe *FieldError
		if !errors.As(err, &fe) {
			fe = &FieldError{Message: err.Error()}
		}
		writeError(w, http.StatusBadRequest, fe)
		return
	}
	in.Ingest(reports)
	w.WriteHeader(http.StatusAccepted)
}

// readBody reads at most limit bytes of the body; beyond, the error is an
// *http.MaxBytesError.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	rd := http.MaxBytesReader(w, r.Body, limit)
	var buf bytes.Buffer
	if n := r.ContentLength; n > 0 && n <= limit {
		buf.Grow(int(n) + 1) // +1: ReadFrom needs room to see EOF without growing
	}
	_, err := buf.ReadFrom(rd)
	return buf.Bytes(), err
}

// countReports estimates how many reports a refused body held, for
// e2_kpm_reports_total{result="rejected"}: the elements of a well-formed
// top-level array, else 1.
func countReports(body []byte) int {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') || !json.Valid(body) {
		return 1
	}
	n := 0
	for ; dec.More(); n++ {
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			break
		}
	}
	return max(n, 1)
}

// readout is the JSON answer of GET /api/v1/metrics/e2/kpm/{nodeId}.
type readout struct {
	NodeID string `json:"nodeId"`
	// Timestamp is when the readout was made.
	Timestamp time.Time          `json:"timestamp"`
	Window    readoutWindow      `json:"window"`
	Metrics   map[string]float64 `json:"metrics"`
	// Cells holds each cell's derived metrics by cell id.
	Cells      map[string]map[string]float64 `json:"cells"`
	LastUpdate time.Time                     `json:"lastUpdate"`
	Stale      bool                          `json:"stale"`
}

type readoutWindow struct {
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Closed bool      `json:"closed"`
}

// handleReadout is GET /api/v1/metrics/e2/kpm/{nodeId}: the node's current
// window (Snapshot) as JSON; 404 for an unknown node.
func (in *Ingester) handleReadout(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, &FieldError{Message: "method " + r.Method + " not allowed: use GET"})
		return
	}
	nodeID := r.PathValue("nodeId")
	now := in.now()
	nw, ok := in.nodeView(nodeID, now, pickCurrent, false)
	if !ok {
		writeError(w, http.StatusNotFound, &FieldError{Field: "nodeId", Message: fmt.Sprintf("no KPM data for node %q", nodeID)})
		return
	}
	out := readout{
		NodeID:     nw.NodeID,
		Timestamp:  now.UTC(),
		Window:     readoutWindow{Start: nw.Start, End: nw.End, Closed: nw.Closed},
		Metrics:    nw.Metrics,
		Cells:      make(map[string]map[string]float64, len(nw.Cells)),
		LastUpdate: nw.LastUpdate,
		Stale:      nw.Stale,
	}
	for id, c := range nw.Cells {
		out.Cells[id] = c.Metrics
	}
	writeJSON(w, http.StatusOK, out)
}

func writeError(w http.ResponseWriter, code int, fe *FieldError) {
	writeJSON(w, code, map[string]*FieldError{"error": fe})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	body, err := json.Marshal(v)
	if err != nil { // only plain maps, strings, numbers and times: cannot happen
		http.Error(w, `{"error":{"message":"encoding the answer"}}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)+1))
	w.WriteHeader(code)
	_, _ = w.Write(append(body, '\n'))
}
