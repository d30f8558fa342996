// Package porch is the Porch backend of propose.Proposer: a decision
// becomes a PackageRevision of the CNF's package, moved to Proposed (and,
// for an auto decision, approved to Published). It sits after decide in the
// watcher's flow and is side effects only, like the git backend.
//
// # Propose
//
// Propose finds the package's latest Published revision (the one labelled
// kpt.dev/latest-revision=true, else the highest spec.revision, an integer
// or a string "v<N>"), creates a Draft from it with one edit task and the
// decision id as workspaceName (Porch names it
// <repository>.<package path dotted>.<id>), reads its
// PackageRevisionResources, applies the intent in a temporary directory
// with pipeline.ApplyIntent (apply-intent, then the Kptfile pipeline, as
// `nephoran intent` does), writes every file back (files of several objects
// kept whole) and checks Porch's own render (status.renderStatus). It then
// moves the Draft to Proposed, and an auto decision through the approval
// subresource to Published. Every update retries on a resourceVersion
// conflict (retry.RetryOnConflict) from a fresh read.
//
// The Draft carries the decision in its annotations (decision id, CNF,
// action, rule, correlation id, proposal time): what the git backend keeps
// in trailers.
//
// An intent that changes nothing (at a bound, already applied, no
// Published revision of the package) is propose.ErrNoChange with the
// reason; a render that fails locally or in Porch, and a create Porch
// answers Invalid, are propose.ErrRefused (recorded, not retried); other
// errors are transient. After ErrNoChange or a render failure the Draft
// created for the decision is deleted, so a retry starts from the latest
// Published revision again. A lifecycle update Porch refuses (a readiness
// gate not met) leaves the Draft for the next attempt.
//
// # Idempotency
//
// The decision id is the workspace name, unique per package in Porch: a
// revision of the package with that workspace is the proposal, returned
// with Existed set (a Draft left by an interrupted Propose is finished
// first; an auto proposal still Proposed is approved). Two proposers racing
// are settled by Porch refusing the second create (AlreadyExists): the
// loser returns the winner's revision.
//
// # State
//
// State lists the repository's revisions: the inventory is every
// CNFDeployment (strictly decoded) in the resources of each package's
// latest Published revision; the open proposals are the Draft and Proposed
// revisions whose workspace name is a decision id (16 hex digits), a Draft
// with its Rejection set: not proposed yet, or sent back by a reviewer (`porchctl
// rpkg reject` moves Proposed to Draft), which the watcher tells apart by
// its own queue. Head is the list's resourceVersion.
package porch
