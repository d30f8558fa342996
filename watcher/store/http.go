package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	nephv1 "github.com/nephoran/nephoran/api/v1"
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
	return s.pageHandler("query events", func(r *http.Request) (any, error) {
		q, err := parseParams(r.URL.Query())
		if err != nil {
			return nil, err
		}
		page, err := s.Query(r.Context(), q)
		return pageJSON{Items: page.Items, NextCursor: page.NextCursor}, err
	})
}

// DecisionsPath is where the watcher mounts DecisionsHandler (GET).
const DecisionsPath = "/api/v1/decisions"

// decisionPageJSON is the response body of the decisions API.
type decisionPageJSON struct {
	Items []model.Decision `json:"items"`
	// NextCursor is empty on the last page.
	NextCursor string `json:"nextCursor"`
}

// DecisionsHandler serves GET DecisionsPath?cnf=&rule=&action=&suppressed=&since=&until=&limit=&cursor=
// with {"items":[...],"nextCursor":"..."}, items newest first as
// model.Decision JSON (at, cnf, action, rule, id, reason, suppressed for a
// suppression, detail, correlationId, approval, intent for a decision).
// action is one of the CNFIntent actions, suppressed a suppression reason
// (Stale, Duplicate, ...) or "none" for decisions only; since, until, limit
// and cursor are as QueryHandler's, bounding the decision time. A bad
// parameter is a 400 naming it; methods other than GET and HEAD are 405.
// Authentication is the caller's.
func (s *Store) DecisionsHandler() http.Handler {
	return s.pageHandler("query decisions", func(r *http.Request) (any, error) {
		q, err := parseDecisionParams(r.URL.Query())
		if err != nil {
			return nil, err
		}
		page, err := s.Decisions(r.Context(), q)
		return decisionPageJSON{Items: page.Items, NextCursor: page.NextCursor}, err
	})
}

// pageHandler answers GET and HEAD with the page query returns, a
// *paramError with a 400 naming the parameter, ErrBadCursor with a 400 on
// cursor, ErrClosed with a 503 and any other error with a 500 it logs as op.
func (s *Store) pageHandler(op string, query func(r *http.Request) (any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeJSON(w, http.StatusMethodNotAllowed, errorJSON{Error: "method " + r.Method + " not allowed"})
			return
		}
		page, err := query(r)
		var pe *paramError
		switch {
		case errors.As(err, &pe):
			writeJSON(w, http.StatusBadRequest, errorJSON{Error: pe.Error(), Parameter: pe.param})
			return
		case errors.Is(err, ErrBadCursor):
			writeJSON(w, http.StatusBadRequest, errorJSON{Error: "cursor: not a cursor this API issued", Parameter: "cursor"})
			return
		case errors.Is(err, ErrClosed):
			writeJSON(w, http.StatusServiceUnavailable, errorJSON{Error: "event store closed"})
			return
		case err != nil:
			if r.Context().Err() == nil {
				s.opts.Logger.Error(op, "err", err)
			}
			writeJSON(w, http.StatusInternalServerError, errorJSON{Error: "query failed"})
			return
		}
		writeJSON(w, http.StatusOK, page)
	})
}

func parseParams(v url.Values) (Query, error) {
	q := Query{
		Source:   v.Get("source"),
		Domain:   v.Get("domain"),
		Severity: v.Get("severity"),
	}
	var err error
	q.Since, q.Until, q.Limit, q.Cursor, err = parsePageParams(v)
	return q, err
}

func parseDecisionParams(v url.Values) (DecisionQuery, error) {
	q := DecisionQuery{
		CNF:        v.Get("cnf"),
		Rule:       v.Get("rule"),
		Action:     v.Get("action"),
		Suppressed: v.Get("suppressed"),
	}
	if q.Action != "" && !slices.Contains(nephv1.Actions, nephv1.Action(q.Action)) {
		return DecisionQuery{}, &paramError{"action", "want one of " + join(nephv1.Actions) + ", got " + strconv.Quote(q.Action)}
	}
	if q.Suppressed != "" && q.Suppressed != SuppressedNone && !slices.Contains(model.Suppressions, model.Suppression(q.Suppressed)) {
		return DecisionQuery{}, &paramError{"suppressed", "want " + SuppressedNone + " or one of " + join(model.Suppressions) + ", got " + strconv.Quote(q.Suppressed)}
	}
	var err error
	q.Since, q.Until, q.Limit, q.Cursor, err = parsePageParams(v)
	return q, err
}

// parsePageParams parses the parameters both query APIs share.
func parsePageParams(v url.Values) (since, until time.Time, limit int, cursor string, err error) {
	if since, err = parseTime(v, "since"); err != nil {
		return
	}
	if until, err = parseTime(v, "until"); err != nil {
		return
	}
	if !since.IsZero() && !until.IsZero() && until.Before(since) {
		err = &paramError{"until", "before since"}
		return
	}
	if s := v.Get("limit"); s != "" {
		n, aerr := strconv.Atoi(s)
		if aerr != nil || n < 1 || n > MaxLimit {
			err = &paramError{"limit", "want an integer from 1 to " + strconv.Itoa(MaxLimit) + ", got " + strconv.Quote(s)}
			return
		}
		limit = n
	}
	if cursor = v.Get("cursor"); cursor != "" {
		if _, cerr := parseCursor(cursor); cerr != nil {
			err = &paramError{"cursor", "not a cursor this API issued"}
			return
		}
	}
	return since, until, limit, cursor, nil
}

func join[S ~string](values []S) string {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = string(v)
	}
	return strings.Join(parts, ", ")
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
