// Package deliver is the delivery worker: it takes the decisions the store
// queued and delivers each one, exactly once, as a proposal through a
// propose.Proposer. It makes no decisions and changes none: what to propose
// was decided upstream; this package only moves it to the backend (a Git
// branch per proposal) and records the outcome.
//
// # Where it sits
//
//	decide -> planner -> store.AppendDecisions -> proposals table (pending)
//	                          |                         |
//	                          +-- Worker.Kick --------> Worker.Run -> Proposer.Propose
//	                                                    |
//	                     MarkDelivered / MarkNoChange / MarkFailed (back into the store)
//
// The worker declares the store methods it needs (Queue), so the store is
// passed in by the watcher's wiring; *store.Store satisfies it (checked
// there), and the rows are model.QueuedProposal.
//
// # Exactly once
//
// Every decision is proposed once and only once, across retries, restarts
// and kill -9, because of three properties that hold together:
//
//  1. Nothing is lost between deciding and delivering. The store writes a
//     decision's queue row in the same SQLite transaction as the decision
//     itself (AppendDecisions), durable (fsync'ed) before AppendDecisions
//     returns: a decision recorded is a decision queued. A row leaves the
//     pending state only once its outcome is durable (MarkDelivered,
//     MarkNoChange); until then a restarted worker finds it again and
//     retries it. Transient failures are retried with backoff forever.
//  2. Nothing is delivered twice. The proposal's id is the decision's
//     deterministic id, the queue is keyed by it (the same decision
//     recorded twice is queued once), and the Proposer is idempotent by id:
//     a second Propose of the same decision finds the first proposal and
//     returns it with Existed set instead of making another. So the one
//     window where the worker can repeat itself (the proposal pushed, then
//     a crash before MarkDelivered committed) yields the same proposal, not
//     a second one: that is counted as result="existed".
//  3. Nothing is proposed that no longer applies. A Proposer that finds the
//     intent already in place (or outside the guardrails at the current
//     head) returns propose.ErrNoChange; the row becomes nochange and is not
//     retried. One the backend refuses for what it is (propose.ErrRefused:
//     Porch cannot render the changed package) becomes refused, recorded
//     with the reason and not retried either.
//
// The worker is at-least-once towards the Proposer and the Proposer's
// idempotency makes the effect exactly once. It relies on one worker per
// store (one watcher per data directory), which the watcher already is.
//
// # Order and concurrency
//
// A CNF's proposals are delivered one at a time, in the order they were
// decided: the store does not hand out a CNF's later proposal while an
// earlier one waits for its retry, and the worker stops a CNF's batch at
// its first failure. Different CNFs are delivered concurrently, up to
// Options.Concurrency at once.
//
// # Latency
//
// Run delivers what is due, then sleeps until Kick, the poll interval
// (Options.Poll, a fallback) or ctx's end. The planner calls Kick after it
// recorded decisions, so a closed window reaches the backend without
// waiting for a poll. Retries are due Options.Backoff after a failure
// (1 s doubling to 1 min, with jitter), checked at the next poll or kick.
//
// # Metrics
//
// planner_proposals_pending, planner_proposals_delivered_total{result},
// planner_proposal_delivery_errors_total and
// planner_proposal_delivery_seconds (from the decision's At to its
// delivery) are registered on Options.Registerer (see metrics.go).
package deliver
