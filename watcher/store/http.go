package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/nephoran/nephoran/watcher/model"
)

// QueryPath is where the watcher mounts QueryHandler, for GET only: POST on
// the same path is ingest's HMAC webhook.
const QueryPath = "/api/v1/fcaps/events"

// pageJSON is the response body of the query API.
type pageJSON struct {
	Items []model.Event `json:"items"`
	// NextCursor is empty on the last page.
	NextCursor string `json:"nextCursor"`
}

// errorJSON is the body of a 4xx/5xx answer; Parameter names the query
// parameter at fault, if any.
type errorJSON struct {
	Error     string `json:"error"`
	Parameter string `json:"parameter,omitempty"`
}

// paramError is a bad query parameter.
type paramError struct {
	param, msg string
}

func (e *paramError) Error() string { return e.param + ": " + e.msg }

// QueryHandler serves GET QueryPath?source=&domain=&severity=&since=&until=&limit=&cursor=
// with {"items":[...],"nextCursor":"..."}, items newest first as model.Event
// JSON (the event as received under "event"). since and until are RFC 3339
// times bounding the received time (since inclusive, until exclusive), limit
// an integer from 1 to 1000 (default 100), cursor a previous nextCursor.
// A bad parameter is a 400 naming it; methods other than GET and HEAD are 405.
// Authentication is the caller's: the watcher wraps this handler in the
// same auth as ingest.
func (s *Store) QueryHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeJSON(w, http.StatusMethodNotAllowed, errorJSON{Error: "method " + r.Method + " not allowed"})
			return
		}
		q, err := parseParams(r.URL.Query())
		if err != nil {
			var pe *paramError
			errors.As(err, &pe)
			writeJSON(w, http.StatusBadRequest, errorJSON{Error: pe.Error(), Parameter: pe.param})
			return
		}
		page, err := s.Query(r.Context(), q)
		switch {
		case errors.Is(err, ErrBadCursor):
			writeJSON(w, http.StatusBadRequest, errorJSON{Error: "cursor: not a cursor this API issued", Parameter: "cursor"})
			return
		case errors.Is(err, ErrClosed):
			writeJSON(w, http.StatusServiceUnavailable, errorJSON{Error: "event store closed"})
			return
		case err != nil:
			if r.Context().Err() == nil {
				s.opts.Logger.Error("query events", "err", err)
			}
			writeJSON(w, http.StatusInternalServerError, errorJSON{Error: "query failed"})
			return
		}
		writeJSON(w, http.StatusOK, pageJSON{Items: page.Items, NextCursor: page.NextCursor})
	})
}

func parseParams(v url.Values) (Query, error) {
	q := Query{
		Source:   v.Get("source"),
		Domain:   v.Get("domain"),
		Severity: v.Get("severity"),
		Cursor:   v.Get("cursor"),
	}
	var err error
	if q.Since, err = parseTime(v, "since"); err != nil {
		return Query{}, err
	}
	if q.Until, err = parseTime(v, "until"); err != nil {
		return Query{}, err
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && q.Until.Before(q.Since) {
		return Query{}, &paramError{"until", "before since"}
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxLimit {
			return Query{}, &paramError{"limit", "want an integer from 1 to " + strconv.Itoa(MaxLimit) + ", got " + strconv.Quote(s)}
		}
		q.Limit = n
	}
	if q.Cursor != "" {
		if _, err := parseCursor(q.Cursor); err != nil {
			return Query{}, &paramError{"cursor", "not a cursor this API issued"}
		}
	}
	return q, nil
}

func parseTime(v url.Values, name string) (time.Time, error) {
	s := v.Get(name)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, &paramError{name, "want an RFC 3339 time, got " + strconv.Quote(s)}
	}
	return t, nil
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(body); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error":"encode response"}` + "\n")
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
