package ric

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

// The fake RIC services: real HTTP servers on 127.0.0.1 that check every
// request against the API descriptions in testdata/ with kin-openapi and
// refuse an invalid one with 400, as the generated go-swagger servers of
// the real services do. They keep state, and can be told to fail the next
// requests with a status or by dropping the connection.

// loadSwagger2 reads a Swagger 2.0 file and converts it to OpenAPI 3.
func loadSwagger2(t testing.TB, path string) *openapi3.T {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	js, err := yaml.YAMLToJSON(data)
	require.NoError(t, err)
	var doc2 openapi2.T
	require.NoError(t, json.Unmarshal(js, &doc2))
	doc3, err := openapi2conv.ToV3(&doc2)
	require.NoError(t, err)
	return doc3
}

// loadOpenAPI3 reads an OpenAPI 3 file.
func loadOpenAPI3(t testing.TB, path string) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromFile(path)
	require.NoError(t, err)
	return doc
}

// validator routes and validates requests (and the fake's own responses)
// against one API description.
type validator struct {
	t      testing.TB
	router routers.Router
}

// newValidator serves doc at base: the description's own servers entry
// names a placeholder host (hostname, {apiRoot}), so it is replaced by the
// test server's URL with the same base path.
func newValidator(t testing.TB, doc *openapi3.T, base string) *validator {
	t.Helper()
	require.NoError(t, doc.Validate(context.Background()))
	doc.Servers = openapi3.Servers{{URL: base}}
	r, err := gorillamux.NewRouter(doc)
	require.NoError(t, err)
	return &validator{t: t, router: r}
}

// check validates r; on failure it writes the refusal and returns nil.
func (v *validator) check(w http.ResponseWriter, r *http.Request) *openapi3filter.RequestValidationInput {
	route, params, err := v.router.FindRoute(r)
	switch {
	case errors.Is(err, routers.ErrMethodNotAllowed):
		http.Error(w, err.Error(), http.StatusMethodNotAllowed)
		return nil
	case err != nil:
		http.Error(w, err.Error(), http.StatusNotFound)
		return nil
	}
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route}
	if err := openapi3filter.ValidateRequest(r.Context(), in); err != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]any{"code": 400, "message": err.Error()})
		return nil
	}
	return in
}

// respond validates the fake's own answer against the description, so the
// fake cannot drift from the real service, and writes it.
func (v *validator) respond(w http.ResponseWriter, in *openapi3filter.RequestValidationInput, status int, body any) {
	var data []byte
	if body != nil {
		var err error
		data, err = json.Marshal(body)
		if err != nil {
			v.t.Errorf("fake: encode response: %v", err)
		}
	}
	h := http.Header{}
	if body != nil {
		h.Set("Content-Type", "application/json")
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: status, Header: h,
		Body: io.NopCloser(bytes.NewReader(data)),
	}
	if err := openapi3filter.ValidateResponse(in.Request.Context(), out); err != nil {
		v.t.Errorf("fake: response %d does not match the API description: %v", status, err)
	}
	for k, vs := range h {
		w.Header()[k] = vs
	}
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// faults makes the next requests fail.
type faults struct {
	mu     sync.Mutex
	n      int
	status int // 0: drop the connection
}

// take reports whether this request is to fail, and how.
func (f *faults) take() (fail bool, status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == 0 {
		return false, 0
	}
	f.n--
	return true, f.status
}

func (f *faults) set(n, status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n, f.status = n, status
}

// inject fails the request when faults say so and reports whether it did.
func (f *faults) inject(w http.ResponseWriter, body any) bool {
	fail, status := f.take()
	if !fail {
		return false
	}
	if status == 0 {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return true
			}
		}
		status = http.StatusServiceUnavailable // cannot drop: fail loudly instead
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
	return true
}

// startOn starts h on addr (127.0.0.1:0 for a fresh port).
func startOn(t testing.TB, addr string, h http.Handler) *httptest.Server {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(h)
	_ = srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// fakeSubmgr is the subscription manager's REST API.
type fakeSubmgr struct {
	*httptest.Server
	URL string // base URL with /ric/v1
	v   *validator
	faults

	mu       sync.Mutex
	subs     map[string]SubscriptionParams
	order    []string
	nextID   int
	e2ID     map[string]int
	requests []string // "METHOD path status" of every request
	refuse   string   // ErrorCause put in every SubscriptionInstance
}

func newFakeSubmgr(t testing.TB) *fakeSubmgr { return newFakeSubmgrOn(t, "127.0.0.1:0") }

func newFakeSubmgrOn(t testing.TB, addr string) *fakeSubmgr {
	f := &fakeSubmgr{subs: map[string]SubscriptionParams{}, e2ID: map[string]int{}}
	f.Server = startOn(t, addr, f)
	f.URL = f.Server.URL + "/ric/v1"
	f.v = newValidator(t, loadSwagger2(t, "testdata/xapp_rest_api.yaml"), f.URL)
	return f
}

func (f *fakeSubmgr) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		f.mu.Lock()
		f.requests = append(f.requests, fmt.Sprintf("%s %s %d", r.Method, r.URL.Path, rec.status))
		f.mu.Unlock()
	}()
	if f.inject(rec, nil) {
		rec.status = -1
		return
	}
	in := f.v.check(rec, r)
	if in == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch in.Route.Operation.OperationID {
	case "Subscribe":
		var p SubscriptionParams
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
			http.Error(rec, err.Error(), http.StatusBadRequest)
			return
		}
		f.nextID++
		id := fmt.Sprintf("fake-sub-%d", f.nextID)
		f.subs[id] = p
		f.order = append(f.order, id)
		f.e2ID[id] = f.nextID
		resp := SubscriptionResponse{SubscriptionID: id, SubscriptionInstances: []SubscriptionInstance{}}
		for _, d := range p.SubscriptionDetails {
			in := SubscriptionInstance{XappEventInstanceID: d.XappEventInstanceID, E2EventInstanceID: f.nextID}
			if f.refuse != "" {
				in.ErrorCause, in.ErrorSource = f.refuse, "E2Node"
			}
			resp.SubscriptionInstances = append(resp.SubscriptionInstances, in)
		}
		f.v.respond(rec, in, http.StatusCreated, resp)
	case "getAllSubscriptions":
		list := []SubscriptionData{}
		for _, id := range f.order {
			p := f.subs[id]
			list = append(list, SubscriptionData{
				SubscriptionID: int64(f.e2ID[id]), Meid: p.Meid,
				ClientEndpoint:        []string{fmt.Sprintf("%s:%d", p.ClientEndpoint.Host, p.ClientEndpoint.HTTPPort)},
				SubscriptionInstances: []SubscriptionInstance{},
			})
		}
		f.v.respond(rec, in, http.StatusOK, list)
	case "Unsubscribe":
		id := in.PathParams["subscriptionId"]
		if _, ok := f.subs[id]; ok {
			delete(f.subs, id)
			for i, o := range f.order {
				if o == id {
					f.order = append(f.order[:i], f.order[i+1:]...)
					break
				}
			}
		}
		f.v.respond(rec, in, http.StatusNoContent, nil)
	default:
		http.Error(rec, "not implemented by the fake", http.StatusNotImplemented)
	}
}

// held returns the subscriptions by Meid, sorted.
func (f *fakeSubmgr) held() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, id := range f.order {
		out = append(out, f.subs[id].Meid)
	}
	sort.Strings(out)
	return out
}

func (f *fakeSubmgr) params(meid string) (SubscriptionParams, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range f.order {
		if f.subs[id].Meid == meid {
			return f.subs[id], true
		}
	}
	return SubscriptionParams{}, false
}

func (f *fakeSubmgr) log() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...)
}

// fakeE2Mgr is e2mgr's REST API; the test sets the node states.
type fakeE2Mgr struct {
	*httptest.Server
	URL string // base URL with /v1
	v   *validator
	faults

	mu     sync.Mutex
	states []NodebState
	polls  int
}

func newFakeE2Mgr(t testing.TB) *fakeE2Mgr {
	f := &fakeE2Mgr{states: []NodebState{}}
	f.Server = startOn(t, "127.0.0.1:0", f)
	f.URL = f.Server.URL + "/v1"
	f.v = newValidator(t, loadOpenAPI3(t, "testdata/E2Manager_API.yaml"), f.URL)
	return f
}

func (f *fakeE2Mgr) set(states ...NodebState) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.states = append([]NodebState{}, states...)
}

func (f *fakeE2Mgr) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.inject(w, map[string]string{"errorCode": "500", "errorMessage": "RNIB error"}) {
		return
	}
	in := f.v.check(w, r)
	if in == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if in.Route.Operation.OperationID != "getNodebIdList" {
		http.Error(w, "not implemented by the fake", http.StatusNotImplemented)
		return
	}
	f.polls++
	f.v.respond(w, in, http.StatusOK, f.states)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return s.ResponseWriter.(http.Hijacker).Hijack()
}
