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
	// At is when it was proposed.
	At time.Time
}

// ProposalState is where a queued proposal is in its delivery.
type ProposalState string

// The states of a queued proposal. Pending is the only one that moves:
// to Delivered when the Proposer returned the proposal (new or existing), to
// NoChange when it answered propose.ErrNoChange.
const (
	ProposalPending   ProposalState = "pending"
	ProposalDelivered ProposalState = "delivered"
	ProposalNoChange  ProposalState = "nochange"
)

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
