package ves

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Message ids of the VES Event Listener 7.2.1 spec ("Service Exceptions" and
// "Policy Exceptions"), as the ONAP collector answers them (its ApiException).
const (
	// SVC0001 is a general service error; the collector uses it for batches
	// whose events differ in domain or stndDefinedNamespace.
	SVC0001 = "SVC0001"
	// SVC0002 is a bad parameter: the body is not JSON, not the expected
	// envelope, or does not conform to the schema.
	SVC0002 = "SVC0002"
	// SVC2000 is "The following service error occurred: %1. Error code is
	// %2"; the collector answers it when it cannot hand events on.
	SVC2000 = "SVC2000"
	// SVC2006 is a missing or empty mandatory input (stndDefinedNamespace).
	SVC2006 = "SVC2006"
	// POL2000 is an unauthorized user.
	POL2000 = "POL2000"
	// POL9003 is a message over the size limit.
	POL9003 = "POL9003"
)

// exceptionKind is the member of requestError that carries the exception.
type exceptionKind string

const (
	serviceException exceptionKind = "serviceException"
	policyException  exceptionKind = "policyException"
)

// apiError is one refusal as the spec shapes it:
// {"requestError":{"serviceException":{"messageId":..,"text":..,"variables":[..]}}}.
// Text carries %1, %2... placeholders that Variables fill, as in the spec.
type apiError struct {
	status    int
	kind      exceptionKind
	MessageID string   `json:"messageId"`
	Text      string   `json:"text"`
	Variables []string `json:"variables,omitempty"`
}

// Error renders the text with its variables substituted, for logs and tests.
func (e *apiError) Error() string {
	s := e.Text
	for i := len(e.Variables); i >= 1; i-- { // %10 before %1
		s = strings.ReplaceAll(s, "%"+strconv.Itoa(i), e.Variables[i-1])
	}
	return e.MessageID + " " + s
}

// write answers the error. The caller has already set the version headers.
func (e *apiError) write(w http.ResponseWriter) {
	body, err := json.Marshal(map[string]map[exceptionKind]*apiError{
		"requestError": {e.kind: e},
	})
	if err != nil { // a struct of strings always marshals
		body = []byte(`{"requestError":{"serviceException":{"messageId":"SVC0001","text":"General service error"}}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(e.status)
	_, _ = w.Write(body)
}

func svc(status int, id, text string, vars ...string) *apiError {
	for i, v := range vars {
		vars[i] = clip(v)
	}
	return &apiError{status: status, kind: serviceException, MessageID: id, Text: text, Variables: vars}
}

// maxVariableBytes bounds each variable: they can quote what the producer
// sent (a Content-Type, a list of unexpected members), and an error body
// must stay small whatever the request was.
const maxVariableBytes = 256

// clip cuts s to maxVariableBytes at a rune boundary, marking the cut.
func clip(s string) string {
	if len(s) <= maxVariableBytes {
		return s
	}
	cut := maxVariableBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// errInvalidJSON: the body is not a single well-formed JSON value (collector:
// INVALID_JSON_INPUT "Incorrect JSON payload").
func errInvalidJSON(detail string) *apiError {
	return svc(http.StatusBadRequest, SVC0002, "Incorrect JSON payload: %1", detail)
}

// errEnvelope: well-formed JSON, but not the envelope the endpoint takes
// (collector: VesEvent.hasType fails -> INVALID_JSON_INPUT).
func errEnvelope(pointer, reason string) *apiError {
	return svc(http.StatusBadRequest, SVC0002, "Incorrect JSON payload: %1 %2", pointer, reason)
}

// errSchema: the body does not conform to CommonEventFormat_30.2.1_ONAP.json
// (collector: SCHEMA_VALIDATION_FAILED); %1 is the JSON pointer of the
// failing field, %2 what is wrong with it.
func errSchema(pointer, reason string) *apiError {
	return svc(http.StatusBadRequest, SVC0002, "Bad Parameter (JSON does not conform to schema): %1 %2", pointer, reason)
}

// errContentType: the request is not application/json (collector:
// INVALID_CONTENT_TYPE's text; its Spring mapping consumes=application/json
// answers 415, which is the status used here).
func errContentType(got string) *apiError {
	if got == "" {
		got = "(none)"
	}
	return svc(http.StatusUnsupportedMediaType, SVC0002, "Bad Parameter (Incorrect request Content-Type): %1", got)
}

// errNamespaceMissing and errNamespaceEmpty: a stndDefined event without a
// usable commonEventHeader.stndDefinedNamespace (collector:
// MISSING_NAMESPACE_PARAMETER, EMPTY_NAMESPACE_PARAMETER).
func errNamespaceMissing(pointer string) *apiError {
	return svc(http.StatusBadRequest, SVC2006, "Mandatory input %1 %2 is missing from request", "attribute", pointer)
}

func errNamespaceEmpty(pointer string) *apiError {
	return svc(http.StatusBadRequest, SVC2006, "Mandatory input %1 %2 is empty in request", "attribute", pointer)
}

// errBatchDomains and errBatchNamespaces: a batch must share one domain, and
// a stndDefined batch one namespace (collector:
// DIFFERENT_DOMAIN_FIELDS_IN_BATCH_EVENT,
// DIFFERENT_STND_DEFINED_NAMESPACE_WHEN_DOMAIN_STND_DEFINED); %1 is the
// first event that differs from the first one.
func errBatchDomains(pointer string) *apiError {
	return svc(http.StatusBadRequest, SVC0001, "Different value of domain fields in Batch Event: %1", pointer)
}

func errBatchNamespaces(pointer string) *apiError {
	return svc(http.StatusBadRequest, SVC0001, "Value of stndDefinedNamespace fields have to be same when domain is stndDefined: %1", pointer)
}

// errUnavailable: the Sink did not make the events durable (collector:
// SERVICE_UNAVAILABLE, what it answers when it cannot hand events on).
func errUnavailable() *apiError {
	return svc(http.StatusServiceUnavailable, SVC2000, "The following service error occurred: %1. Error code is %2", "Service Unavailable", "503")
}

// errMethod: anything but POST on a listener path.
func errMethod(method, path string) *apiError {
	return svc(http.StatusMethodNotAllowed, SVC0001, "Method %1 is not allowed on %2; use POST", method, path)
}

// errTooLarge: the body is over Options.MaxBodyBytes.
func errTooLarge() *apiError {
	return &apiError{
		status: http.StatusBadRequest, kind: policyException,
		MessageID: POL9003, Text: "Message content size exceeds the allowable limit",
	}
}

// errUnauthorized: the Authenticator refused the request (collector:
// UNAUTHORIZED_USER).
func errUnauthorized() *apiError {
	return &apiError{
		status: http.StatusUnauthorized, kind: policyException,
		MessageID: POL2000, Text: "Unauthorized user",
	}
}

// DenyAuth answers a request that failed authentication the way the VES
// endpoints do (401 POL2000), for other endpoints behind the same
// authentication, such as the event query API.
func DenyAuth(w http.ResponseWriter, _ *http.Request) {
	setVersionHeaders(w.Header())
	errUnauthorized().write(w)
}
