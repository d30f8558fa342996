package ric

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// The request and response shapes of the subscription manager's REST API
// (testdata/xapp_rest_api.yaml, Swagger 2.0, basePath /ric/v1). Field names
// are the API's own, capitalised as it writes them.

// SubscriptionParams is the body of POST /subscriptions.
type SubscriptionParams struct {
	// SubscriptionID is optional: the subscription manager allocates one.
	SubscriptionID           string                    `json:"SubscriptionId,omitempty"`
	ClientEndpoint           ClientEndpoint            `json:"ClientEndpoint"`
	Meid                     string                    `json:"Meid"`
	RANFunctionID            int                       `json:"RANFunctionID"`
	E2SubscriptionDirectives *E2SubscriptionDirectives `json:"E2SubscriptionDirectives,omitempty"`
	SubscriptionDetails      []SubscriptionDetail      `json:"SubscriptionDetails"`
}

// ClientEndpoint is the xApp's service address, where the subscription
// manager sends its notifications (HTTP) and the E2 indications go (RMR).
type ClientEndpoint struct {
	Host     string `json:"Host,omitempty"`
	HTTPPort int    `json:"HTTPPort,omitempty"`
	RMRPort  int    `json:"RMRPort,omitempty"`
}

// E2SubscriptionDirectives overrides the subscription manager's defaults.
type E2SubscriptionDirectives struct {
	E2TimeoutTimerValue int   `json:"E2TimeoutTimerValue,omitempty"` // 1..10 s
	E2RetryCount        *int  `json:"E2RetryCount,omitempty"`        // 0..10
	RMRRoutingNeeded    *bool `json:"RMRRoutingNeeded,omitempty"`
}

// SubscriptionDetail is one E2 subscription inside a REST subscription.
type SubscriptionDetail struct {
	XappEventInstanceID int             `json:"XappEventInstanceId"` // 0..65535
	EventTriggers       Octets          `json:"EventTriggers"`
	ActionToBeSetupList []ActionToSetup `json:"ActionToBeSetupList"`
}

// ActionType is the E2AP RIC action type, in the API's words.
type ActionType string

// The action types the API allows.
const (
	ActionInsert ActionType = "insert"
	ActionPolicy ActionType = "policy"
	ActionReport ActionType = "report"
)

// ActionToSetup is the API's ActionToBeSetup.
type ActionToSetup struct {
	ActionID         int               `json:"ActionID"` // 0..255
	ActionType       ActionType        `json:"ActionType"`
	ActionDefinition Octets            `json:"ActionDefinition,omitempty"`
	SubsequentAction *SubsequentAction `json:"SubsequentAction,omitempty"`
}

// SubsequentAction is the optional E2AP subsequent action.
type SubsequentAction struct {
	SubsequentActionType string `json:"SubsequentActionType"` // continue | wait
	TimeToWait           string `json:"TimeToWait"`           // zero, w1ms, ..., w60s
}

// SubscriptionResponse is the 201 answer to POST /subscriptions.
type SubscriptionResponse struct {
	SubscriptionID        string                 `json:"SubscriptionId"`
	SubscriptionInstances []SubscriptionInstance `json:"SubscriptionInstances"`
}

// SubscriptionInstance pairs the xApp's event instance with the E2 one; a
// non-empty ErrorCause means that E2 subscription failed.
type SubscriptionInstance struct {
	XappEventInstanceID int    `json:"XappEventInstanceId"`
	E2EventInstanceID   int    `json:"E2EventInstanceId"`
	ErrorCause          string `json:"ErrorCause,omitempty"`
	ErrorSource         string `json:"ErrorSource,omitempty"` // SUBMGR, RTMGR, DBAAS, ASN1, E2Node
	TimeoutType         string `json:"TimeoutType,omitempty"` // E2-Timeout, RTMGR-Timeout, DBAAS-Timeout
}

// SubscriptionData is one entry of GET /subscriptions. Note that the API
// gives its SubscriptionId as an integer (the E2 instance), unlike the
// string SubscriptionId of SubscriptionResponse.
type SubscriptionData struct {
	SubscriptionID        int64                  `json:"SubscriptionId"`
	Meid                  string                 `json:"Meid"`
	ClientEndpoint        []string               `json:"ClientEndpoint"`
	SubscriptionInstances []SubscriptionInstance `json:"SubscriptionInstances"`
}

// Octets is an E2SM byte string. The API types it as an array of integers
// (ActionDefinition, EventTriggerDefinition), so it marshals as [0-255,...]
// rather than encoding/json's base64.
type Octets []byte

// MarshalJSON writes the octets as a JSON array of integers.
func (o Octets) MarshalJSON() ([]byte, error) {
	if o == nil {
		return []byte("null"), nil
	}
	b := make([]byte, 0, 2+4*len(o))
	b = append(b, '[')
	for i, v := range o {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendUint(b, uint64(v), 10)
	}
	return append(b, ']'), nil
}

// UnmarshalJSON reads a JSON array of integers 0..255.
func (o *Octets) UnmarshalJSON(data []byte) error {
	var ints []int64
	if err := json.Unmarshal(data, &ints); err != nil {
		return err
	}
	if ints == nil {
		*o = nil
		return nil
	}
	out := make(Octets, len(ints))
	for i, v := range ints {
		if v < 0 || v > 255 {
			return fmt.Errorf("octet %d is %d, want 0..255", i, v)
		}
		out[i] = byte(v)
	}
	*o = out
	return nil
}

// SubscriptionClient calls the O-RAN SC subscription manager's REST API.
type SubscriptionClient struct {
	ep endpoint
}

// NewSubscriptionClient returns a client for the subscription manager at
// baseURL, which includes the API's basePath, for example
// http://service-ricplt-submgr-http.ricplt:8088/ric/v1. A nil hc means
// http.DefaultClient; give one with a timeout in production.
func NewSubscriptionClient(baseURL string, hc *http.Client) (*SubscriptionClient, error) {
	ep, err := newEndpoint(baseURL, hc)
	if err != nil {
		return nil, fmt.Errorf("subscription manager: %w", err)
	}
	return &SubscriptionClient{ep: ep}, nil
}

// Subscribe creates a subscription (POST /subscriptions, 201).
func (c *SubscriptionClient) Subscribe(ctx context.Context, p SubscriptionParams) (SubscriptionResponse, error) {
	var r SubscriptionResponse
	if err := c.ep.do(ctx, http.MethodPost, []string{"subscriptions"}, p, &r, http.StatusCreated); err != nil {
		return SubscriptionResponse{}, fmt.Errorf("subscribe %s: %w", p.Meid, err)
	}
	if r.SubscriptionID == "" {
		return SubscriptionResponse{}, fmt.Errorf("subscribe %s: %w: no SubscriptionId in the answer", p.Meid, errDecode)
	}
	return r, nil
}

// List returns every subscription the manager holds (GET /subscriptions, 200).
func (c *SubscriptionClient) List(ctx context.Context) ([]SubscriptionData, error) {
	var l []SubscriptionData
	if err := c.ep.do(ctx, http.MethodGet, []string{"subscriptions"}, nil, &l, http.StatusOK); err != nil {
		return nil, fmt.Errorf("list subscriptions: %w", err)
	}
	return l, nil
}

// Delete removes a subscription (DELETE /subscriptions/{subscriptionId}, 204).
func (c *SubscriptionClient) Delete(ctx context.Context, id string) error {
	if err := c.ep.do(ctx, http.MethodDelete, []string{"subscriptions", id}, nil, nil, http.StatusNoContent); err != nil {
		return fmt.Errorf("unsubscribe %s: %w", id, err)
	}
	return nil
}
