package model

import (
	"time"

	nephv1 "github.com/nephoran/nephoran/api/v1"
)

// Proposal is one delivered decision.
type Proposal struct {
	// ID is the decision id.
	ID     string
	CNF    string
	Action nephv1.Action
	// Ref names the proposal where its backend keeps it: a branch
	// (proposed/<package path>/<id>) or a PackageRevision name.
	Ref string
	// Commit is the proposal's commit (git backend).
	Commit string
	// Merged says the proposal was approved (auto) and is on the
	// deployment branch.
	Merged bool
	// Existed says Propose found it already delivered.
	Existed bool
	// Review is where a person reviews it, when not the branch itself (a
	// pull request's page).
	Review string
	// Note says what the delivery left for a person: the forge refused to
	// merge an auto proposal, which stays open (stored with the delivery).
	Note string
	// Rejection, when not empty, says the proposal is not up for review:
	// a Porch Draft (not proposed yet, or sent back by `porchctl rpkg
	// reject`), a pull request closed without merging; how, and by whom
	// when the backend says. The watcher records a delivered proposal in
	// that state as rejected.
	Rejection string
	// At is when it was proposed.
	At time.Time
}

// ProposalState is where a queued proposal is in its delivery.
type ProposalState string

// The states of a queued proposal. Pending moves to Delivered when the
// Proposer returned the proposal (new or existing), to NoChange when it
// answered propose.ErrNoChange, to Refused when it answered
// propose.ErrRefused; Delivered moves to Rejected when a reviewer
// turns it down.
const (
	ProposalPending   ProposalState = "pending"
	ProposalDelivered ProposalState = "delivered"
	ProposalNoChange  ProposalState = "nochange"
	// ProposalRejected is a delivered proposal a reviewer turned down.
	ProposalRejected ProposalState = "rejected"
	// ProposalRefused is a pending proposal the backend refused
	// (propose.ErrRefused): recorded with the reason, not retried.
	ProposalRefused ProposalState = "refused"
)

// Approval is a proposal a person approved after it was delivered (a
// merged pull request): the cooldown of its CNF and action counts from At
// when that is later than the decision.
type Approval struct {
	// ID is the approved decision's id.
	ID string
	// At is when it was approved (merged); By who approved, when known.
	At time.Time
	By string
}

// Rejection is a delivered proposal a reviewer turned down: no new
// proposal of the same action for the CNF within the rule's cooldown from
// At.
type Rejection struct {
	// ID is the rejected decision's id.
	ID     string
	CNF    string
	Action nephv1.Action
	// At is when the rejection was seen.
	At time.Time
	// Detail says how (and by whom, when the backend says).
	Detail string
}

// QueuedProposal is one decision in the proposal queue.
type QueuedProposal struct {
	// Decision is the decision as recorded (At to the microsecond, in UTC);
	// its ID is the proposal's id.
	Decision Decision
	State    ProposalState
	// Attempts is the number of failed deliveries (MarkFailed).
	Attempts int
	// NextAttempt is when a pending proposal is due.
	NextAttempt time.Time
	// Ref, Commit and Merged are the delivered proposal's (MarkDelivered,
	// MarkMerged).
	Ref, Commit string
	Merged      bool
	// LastError is the last failure of a pending proposal, or the reason
	// of a NoChange one.
	LastError string
	// CreatedAt is when it was queued, UpdatedAt when it last changed.
	CreatedAt, UpdatedAt time.Time
}
