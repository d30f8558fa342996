package model

import (
	"time"

	nephv1 "github.com/nephoran/nephoran/api/v1"
)

// Suppression is the one reason a rule that matched did not become a
// decision. When several apply, decide reports the first in this order.
type Suppression string

// The suppression reasons, in the order decide checks them.
const (
	Stale          Suppression = "Stale"
	Duplicate      Suppression = "Duplicate"
	Burst          Suppression = "Burst"
	Cleared        Suppression = "Cleared"
	Hysteresis     Suppression = "Hysteresis"
	LowerPriority  Suppression = "LowerPriority"
	ProposalOpen   Suppression = "ProposalOpen"
	Rejected       Suppression = "Rejected"
	CooldownActive Suppression = "CooldownActive"
	AtBound        Suppression = "AtBound"
)

// Suppressions lists every reason in decide's order.
var Suppressions = []Suppression{Stale, Duplicate, Burst, Cleared, Hysteresis, LowerPriority, ProposalOpen, Rejected, CooldownActive, AtBound}

// Decision is the outcome of one rule for one CNF at one moment: a decision
// to propose Intent, or (Suppressed set) a suppression with exactly one
// reason. Both are recorded; replay prints both.
type Decision struct {
	// ID is deterministic: a hash of CNF, action, rule and window (or
	// incident), so a retry or restart never makes a second proposal.
	ID string `json:"id"`
	// At is when it was decided (the simulated time in replay).
	At     time.Time     `json:"at"`
	CNF    string        `json:"cnf"`
	Action nephv1.Action `json:"action"`
	Rule   string        `json:"rule"`
	// Reason is the rendered intentTemplate.
	Reason string `json:"reason"`
	// Suppressed is empty for a decision.
	Suppressed Suppression `json:"suppressed,omitempty"`
	// Detail says more about a suppression (which rule won, when the
	// cooldown ends, the bound reached).
	Detail string `json:"detail,omitempty"`
	// CorrelationID ties the decision to its window or incident.
	CorrelationID string `json:"correlationId,omitempty"`
	// Approval is the firing rule's.
	Approval nephv1.Approval `json:"approval,omitempty"`
	// Intent is the full CNFIntent of a decision (nil for a suppression).
	Intent *nephv1.CNFIntent `json:"intent,omitempty"`
}
