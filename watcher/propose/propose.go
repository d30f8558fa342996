// Package propose turns a decision into a reviewable change of the CNF's kpt
// package: the Proposer interface the watcher delivers decisions through, and
// (in its subpackages) the backends: git (a branch per proposal with an
// evidence-carrying commit) and, later, porch (a PackageRevision moved to
// Proposed). Backends are side effects only: what to propose is decided
// upstream, and a proposal's id is the decision's deterministic id, so
// delivering the same decision twice finds the first proposal.
package propose

import (
	"context"
	"errors"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/watcher/model"
)

// Proposer delivers decisions as proposals and reports what is open.
type Proposer interface {
	// Propose delivers d (a decision: Intent set). It is idempotent by
	// d.ID: when the proposal already exists it returns it unchanged
	// (Existed set). A proposal whose intent no longer changes the package
	// (already applied, or outside the guardrails at the current head)
	// returns ErrNoChange wrapped with the reason, one the backend refuses
	// for what it is ErrRefused. Transient failures (the
	// server down) return other errors; the caller retries with backoff.
	Propose(ctx context.Context, d model.Decision) (Proposal, error)
	// State reads the deployment's current truth: every CNFDeployment at
	// the head of the deployment branch (the inventory, with its
	// last-intent annotations) and every open proposal.
	State(ctx context.Context) (State, error)
}

// ErrNoChange says a decision's intent changes nothing at the current head.
var ErrNoChange = errors.New("the intent changes nothing")

// ErrRefused says the backend refused the proposal for what it is (Porch
// failed to render the changed package, or rejected the request as
// invalid): asking again would be refused again, so it is recorded and
// not retried.
var ErrRefused = errors.New("the deployment refused the proposal")

// Proposal is one delivered decision (plain data in model, so the store
// and the delivery worker share it without importing each other).
type Proposal = model.Proposal

// State is the deployment as its backend holds it.
type State struct {
	// CNFs are the CNFDeployments at the head of the deployment branch,
	// with the package path each lives in.
	CNFs []CNF
	// Open are the proposals not merged yet.
	Open []Proposal
	// Approvals are proposals approved after their delivery, with when
	// (backends that know: a forge's merged pull requests).
	Approvals []model.Approval
	// Head is the deployment branch's commit the state was read at.
	Head string
}

// CNF is one CNFDeployment and its package directory (slash-separated,
// relative to the repository root).
type CNF struct {
	*nephv1.CNFDeployment
	Package string
}
