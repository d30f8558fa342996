// Package github is the GitHub backend of the review stage: a review.Forge
// over GitHub's REST API (v3, X-GitHub-Api-Version 2022-11-28) through
// github.com/google/go-github, for github.com and GitHub Enterprise Server.
//
// # Calls
//
//	FindPullRequest   GET   /repos/{owner}/{repo}/pulls?state=all&head={owner}:{branch}&sort=created&direction=desc
//	                  GET   /repos/{owner}/{repo}/issues/{n}   (closed: closed_by)
//	                  GET   /repos/{owner}/{repo}/pulls/{n}    (merged: merged_by, which the list omits)
//	ListPullRequests  GET   /repos/{owner}/{repo}/pulls?state=all&sort=created&direction=desc&per_page=100&page=  (every page; GitHub filters by exact head only, so the prefix is matched here)
//	OpenPullRequest   POST  /repos/{owner}/{repo}/pulls {"title","head","base","body"}
//	                  POST  /repos/{owner}/{repo}/issues/{n}/labels ["name",...]  (GitHub creates missing labels)
//	Merge             PUT   /repos/{owner}/{repo}/pulls/{n}/merge {"commit_title","commit_message","sha","merge_method":"merge"}
//	Close             POST  /repos/{owner}/{repo}/issues/{n}/comments {"body"}, PATCH /repos/{owner}/{repo}/pulls/{n} {"state":"closed"}
//
// Requests carry "Authorization: Bearer <token>" (go-github's
// WithAuthToken); the token is never part of an error. Responses are read
// up to Config.MaxResponseBytes.
//
// Only pull requests whose head is a branch of the repository itself are
// found, listed and taken from webhooks: a fork's branch of the same name is
// not a proposal.
//
// # What GitHub answers
//
// Merge answers 405 "Pull Request is not mergeable" (conflicts, required
// reviews or checks, a closed pull request), 409 "Head branch was modified.
// Review and try the merge again." when sha is not the head, and 422 for a
// bad request; all three are review.ErrRefused. A pull request opened
// moments ago may still be computing its mergeability and answer 405 for a
// little while. Rate limits are 403 or 429 with X-RateLimit-Remaining: 0
// or Retry-After, reported by review.Transient as transient.
//
// A list entry has merged_at but not merged_by, and no pull request says
// who closed it: closed_by is on the issue of the same number.
// FindPullRequest reads both; ListPullRequests leaves MergedBy and ClosedBy
// empty.
//
// # Webhooks
//
// GitHub sends X-GitHub-Event: pull_request and X-Hub-Signature-256:
// sha256=<hex HMAC-SHA256 of the body>. The action "synchronize" is
// reported as review.ActionSynchronized, Gitea's word. Review verdicts come
// as other events (pull_request_review), which ParseWebhook ignores.
package github
