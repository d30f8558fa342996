// Package git is the Git backend of propose: it delivers a decision as a
// proposal branch of the deployment repository, with one commit that
// changes the decided CNF's kpt package and carries the evidence, for a
// person (or, when the rule says approval: auto, the proposer itself) to
// merge into the deployment branch. It is the last stage of the watcher's
// flow (ingest -> rules -> decide -> propose) and has side effects only.
//
// # Branch layout
//
// The deployment branch (Options.Branch, main) holds the packages under
// Options.Path; a package is the directory holding a CNFDeployment. A
// decision d for CNF c becomes the branch
//
//	<BranchPrefix><package path>/<d.ID>     proposed/deploy/upf-edge-1/3f2a9c0d1e4b5a67
//
// the layout Porch's git cache uses for proposed package revisions
// (proposed/<package>/<workspace>), with the decision id as the workspace.
// The package path is relative to the repository root, as in
// propose.CNF.Package.
//
// # The commit
//
// Its parent is the deployment branch's head. Only c's package changes: its
// files are copied out of Git into a temporary directory, the intent is
// applied and the package re-rendered exactly as `nephoran intent` does
// (pipeline.ApplyIntent: apply-intent with the CNFIntent as functionConfig,
// then the Kptfile pipeline), and the files read back become new blobs, a
// new package tree and new trees up to the root; every other tree is reused
// by hash, so the work does not grow with the number of packages. The push
// sends exactly those objects and updates one reference.
//
// The message is
//
//	<the decision's reason, one line, at most 72 characters>
//
//	Rule:        scale-out-on-prb
//	Action:      scale_out
//	CNF:         upf-edge-1 (package deploy/upf-edge-1)
//	Correlation: gnb-001/2026-01-01T00:00:00Z
//	Approval:    manual
//	Decided at:  2026-01-01T00:00:30Z
//	Evidence:
//	  metrics: kpm.prb_utilization=0.93 kpm.ue_count=120
//	  window: end=2026-01-01T00:00:30Z node=gnb-001 start=2026-01-01T00:00:00Z
//
//	Nephoran-Intent-Id: upf-edge-1-scale-out-3f2a9c0d1e
//	Nephoran-Decision-Id: 3f2a9c0d1e4b5a67
//	Nephoran-CNF: upf-edge-1
//	Nephoran-Action: scale_out
//	Nephoran-Rule: scale-out-on-prb
//	Nephoran-Correlation-Id: gnb-001/2026-01-01T00:00:00Z
//	kpt:{"package":"deploy/upf-edge-1","workspaceName":"3f2a9c0d1e4b5a67","task":{"type":"edit","edit":{"sourceRef":{"name":"deployments.deploy.upf-edge-1.main"}}}}
//
// The trailers are git trailers (`git interpret-trailers --parse` reads
// them); the last line is the annotation Porch's git cache writes into its
// commits ("kpt:" and JSON with Porch's field names; an empty revision is
// omitted, as Porch's encoder does). An intent that changes nothing (at a
// bound, already applied, the CNF gone) is propose.ErrNoChange with
// apply-intent's reason, and nothing is pushed.
//
// # Idempotency
//
// The decision id is deterministic (CNF, action, rule, window), and the
// branch carries it: before anything is built, Propose lists the server's
// branches, and any branch under BranchPrefix ending in /<d.ID> is the
// proposal, returned with Existed set. A retry, a restart with the same or
// a fresh Dir, or a second replica therefore never makes a second branch;
// two writers racing are settled by the server, which refuses to create a
// branch that exists (the loser returns the winner's branch).
//
// # Auto approval
//
// After pushing the branch, an auto proposal is merged: the intent is
// applied again to the deployment branch's current head and committed on
// top of it with the same message plus a Nephoran-Merged-From trailer, and
// the branch is pushed from that head; when another writer moved it
// meanwhile, the server refuses and all of it is done again (up to 5
// times). (When the head is still the proposal's parent, the proposal's
// tree is what applying the intent again would give, so it is reused.) An intent that no longer applies at the current head is left on
// its branch for a person: the proposal comes back with Merged false and an
// error wrapping propose.ErrNoChange. An Existed auto proposal that is not
// merged yet is merged then.
//
// # State
//
// State reads every CNFDeployment under Path at the deployment branch's
// head (strictly decoded; one that does not decode is an error naming file
// and field) and the open proposals: branches under BranchPrefix whose head
// is not an ancestor of the deployment head and whose decision id is not
// on a deployment-branch commit's Nephoran-Decision-Id trailer (landed by
// the auto path, or squashed or rebased by a person). What each tree holds
// is cached by its hash, so reading the next head re-reads one package.
//
// # Local state and credentials
//
// Options.Dir is a bare clone (inspect it with git -C DIR log origin/main);
// only missing objects are fetched. Credentials are read from files for
// every operation (a rotated secret is picked up) and never logged: URLs
// are printed redacted and errors have every secret masked.
package git
