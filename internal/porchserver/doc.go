// Package porchserver is an in-process stand-in for Porch's aggregated API
// (porch.kpt.dev/v1alpha1), for tests only: Porch itself cannot be built
// from the modules this repository is allowed to use. It serves, over plain
// HTTP on 127.0.0.1, enough of the Kubernetes API for client-go's dynamic
// client and a discovery-backed REST mapper: discovery (/api, /apis,
// /apis/porch.kpt.dev/v1alpha1) and the namespaced resources
// packagerevisions (with the approval subresource) and
// packagerevisionresources. Errors are metav1.Status objects with the
// reasons and codes a kube-apiserver (and Porch's strategies) answer.
//
// What it enforces, as Porch does:
//   - create PackageRevision: spec.packageName, spec.repository and
//     spec.workspaceName are required; exactly one task, of type init,
//     clone (clone.upstreamRef.upstreamRef.name, a Published revision of any
//     package; its Kptfile is not renamed),
//     copy (copy.sourceRef.name) or edit (edit.sourceRef.name: a Published
//     revision of the same repository and package); the lifecycle must be
//     Draft (empty means Draft); the name is computed server-side as
//     <repository>.<package path dotted>.<workspaceName> (the client's name
//     is ignored) and must be a DNS-1123 subdomain; a workspaceName is
//     unique per (repository, package): 409 AlreadyExists. The new Draft's
//     resources are copied from the source revision (init: a Kptfile).
//   - update packagerevisions (PUT): metadata.resourceVersion is required
//     (422) and must match (409 Conflict); packageName, repository,
//     workspaceName, tasks and revision are immutable (422); the lifecycle
//     moves only Draft <-> Proposed, or Published <-> DeletionProposed (as
//     `porchctl rpkg propose-delete` does); anything else, in particular
//     publishing through the main resource, is 422 Invalid (Porch's
//     strategy answers field.Forbidden). A Published or DeletionProposed
//     revision's spec is otherwise frozen (labels, annotations and status
//     may change). Readiness gates: a revision whose spec.readinessGates
//     names a condition type that is not True in status.conditions cannot
//     become Proposed or Published (422).
//   - approval subresource (PUT): Proposed -> Published (spec.revision = the
//     package's highest revision + 1, status.publishedAt set) or Proposed ->
//     Draft (rejection), and DeletionProposed -> Published (keeping the
//     revision); anything else is 422 Invalid.
//   - the kpt.dev/latest-revision label is computed: "true" on the
//     Published (or DeletionProposed) revision with the highest revision of
//     its package, absent elsewhere; clients cannot set it.
//   - packagerevisionresources (same name as the revision): GET returns
//     spec.resources (file path -> content) and status.renderStatus; PUT is
//     allowed only on Drafts (422 otherwise), needs a matching
//     resourceVersion (409), re-runs the package's Kptfile pipeline in
//     process (pipeline.Load, Render, Write) and stores the rendered files;
//     when a function fails, the submitted files are kept and
//     status.renderStatus.error says why (the PUT still succeeds, as in
//     Porch). A revision and its resources share one resourceVersion.
//   - delete: Drafts, Proposed and DeletionProposed revisions; a Published
//     revision is refused (400 BadRequest: propose deletion first).
//   - list (optionally all namespaces) with label selectors and the field
//     selectors metadata.name, metadata.namespace, spec.packageName,
//     spec.repository, spec.workspaceName and spec.lifecycle.
//
// What it does not do: watch, patch (merge/JSON/apply), the packages
// resource, repositories (any repository name is accepted), upstream Git
// or OCI clones, the upgrade/patch/eval tasks, authentication, RBAC,
// admission, delete preconditions and options, table output or
// protobuf/CBOR. Nothing is stored in Git.
//
// Tests seed Published revisions with Server.Publish, inspect the store
// with Server.Revisions, simulate a concurrent writer with Server.Touch, a
// function Porch fails to run with Server.FailRender, and observe or
// interfere with requests through Server.SetHook.
package porchserver
