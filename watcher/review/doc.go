// Package review is the review stage of the watcher: it opens one pull
// request per pushed proposal branch on the forge hosting the deployment
// repository, and learns from the forge whether a person approved the
// proposal (merged it) or rejected it (closed it without merging).
//
// # Where it sits
//
//	decide -> deliver -> propose/git (branch proposed/<package>/<id>)
//	                          |
//	                          +-> review: Forge.OpenPullRequest (Title, Body, Labels of the decision)
//	                                 ^
//	forge webhook ------------------ Forge.ParseWebhook -> Event (merged / closed)
//	reconciliation ----------------- Forge.ListPullRequests / FindPullRequest
//
// The package declares what the stage needs from a forge, the Forge
// interface, and the pull request's content as pure functions of a
// decision (Title, Labels, Body). The backends live in its subpackages:
// gitea (the Gitea REST API v1, net/http only) and github (GitHub's REST
// API through go-github). Both return the errors declared here, so the
// stage branches on ErrNotFound, ErrRefused, ErrIgnored, ErrSignature and
// Transient without knowing which forge it talks to.
//
// # The stage
//
// Proposer is the stage as a propose.Proposer around the Git backend: it
// pushes the branch, then finds the branch's pull request by head (a retry
// or a restart finds the one it opened) or opens it; for an auto decision
// it rebases the branch on the deployment branch's head (Options.Rebase)
// and merges it through the forge (refusals right after opening retried
// for a while, a lasting one left for a person and noted with the
// delivery); and it closes the package's older open pull requests the new
// one supersedes, with a comment linking it. Its State is the Git
// backend's with what the forge says: a branch whose pull request was
// closed without merging carries a Rejection (who closed it, or "superseded
// by #N"), and merged pull requests are Approvals with their merge time.
// Observe takes a webhook's event (who closed it, which listings omit).
//
// # Matching a pull request to its decision
//
// A proposal's head branch is proposed/<package path>/<decision id>. The
// body also carries a hidden marker line, <!-- nephoran:decision <id> -->
// (Marker, MarkedDecision), so a pull request whose branch was renamed is
// still matched to its decision.
//
// # Errors
//
// An answer of the forge that is not a success is an *APIError (its HTTP
// status and message); a request that got no answer is an *APIError with
// Status 0 wrapping the transport error. Transient says which ones a
// caller retries: no answer, 429, 5xx (Gitea answers 500 "database is
// locked" under load) and rate limits. Merge wraps the forge's refusals
// (405, 409, 422) in ErrRefused. Errors never carry the forge token.
package review
