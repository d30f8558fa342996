// Package gitea is the Gitea backend of the review stage: a review.Forge
// over Gitea's REST API v1 (/api/v1), with net/http and encoding/json only
// and Gitea's own JSON field names (code.gitea.io/gitea modules/structs).
//
// # Calls
//
//	FindPullRequest   GET   /repos/{owner}/{repo}/pulls?state=all&page=&limit=  (newest first; Gitea cannot filter by head, so pages are read until the head is found)
//	                  GET   /repos/{owner}/{repo}/pulls/{n}                     (merged: merged_by, null in the list)
//	                  GET   /repos/{owner}/{repo}/issues/{n}/timeline           (who closed an unmerged pull request)
//	ListPullRequests  GET   /repos/{owner}/{repo}/pulls?state=all&page=&limit=  (every page, filtered by head prefix here)
//	OpenPullRequest   GET   /repos/{owner}/{repo}/labels, POST .../labels       (missing labels; a pull request takes label ids)
//	                  POST  /repos/{owner}/{repo}/pulls
//	Merge             POST  /repos/{owner}/{repo}/pulls/{n}/merge {"do":"merge","merge_title_field","merge_message_field","head_commit_id"}
//	Close             POST  /repos/{owner}/{repo}/issues/{n}/comments, PATCH /repos/{owner}/{repo}/pulls/{n} {"state":"closed"}
//
// Requests carry "Authorization: token <token>"; the token is never part
// of an error. Responses are read up to Config.MaxResponseBytes. Only pull
// requests whose head is a branch of the repository itself are found,
// listed and taken from webhooks (head.repo_id is base.repo_id): a fork's
// branch of the same name is not a proposal.
//
// # What Gitea answers
//
// Merge right after OpenPullRequest is refused (405 "Please try again
// later") until Gitea's background mergeability check has run: a pull
// request being checked and one with conflicts get the same answer, and
// the API shows both as "mergeable": false. A head that moved is 409 "head
// out of date"; a merged or closed pull request 405 or 404. Under load
// Gitea's SQLite answers 500 "database is locked", which review.Transient
// reports as transient. Only a single pull request (GET pulls/{n}, and
// webhooks) has its merger (merged_by; the list has null), and none says
// who closed it: FindPullRequest reads the pull request for the one and
// the issue timeline for the other, ListPullRequests leaves MergedBy and
// ClosedBy empty.
//
// # Webhooks
//
// Gitea sends X-Gitea-Event: pull_request for the pull_request,
// pull_request_assign, pull_request_label, pull_request_milestone,
// pull_request_sync and pull_request_review_request hook types, and
// X-Gitea-Signature, the hex HMAC-SHA256 of the JSON payload (also when
// the webhook posts it as a form, payload=<json>). Review verdicts come as
// other events (pull_request_approved, pull_request_rejected,
// pull_request_comment), which ParseWebhook ignores.
package gitea
