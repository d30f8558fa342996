package gitea

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nephoran/nephoran/watcher/review"
)

// pullRequest is the part of Gitea's PullRequest (modules/structs/pull.go)
// the client reads, with Gitea's JSON names.
type pullRequest struct {
	Number   int64      `json:"number"`
	HTMLURL  string     `json:"html_url"`
	Title    string     `json:"title"`
	Body     string     `json:"body"`
	Labels   []*label   `json:"labels"`
	State    string     `json:"state"`
	Merged   bool       `json:"merged"`
	MergedAt *time.Time `json:"merged_at"`
	MergedBy *user      `json:"merged_by"`
	ClosedAt *time.Time `json:"closed_at"`
	Base     *branch    `json:"base"`
	Head     *branch    `json:"head"`
}

// branch is Gitea's PRBranchInfo.
type branch struct {
	Label  string `json:"label"`
	Ref    string `json:"ref"`
	Sha    string `json:"sha"`
	RepoID int64  `json:"repo_id"`
}

// user is the part of Gitea's User the client reads.
type user struct {
	Login string `json:"login"`
}

// createPullRequest is Gitea's CreatePullRequestOption.
type createPullRequest struct {
	Head   string  `json:"head"`
	Base   string  `json:"base"`
	Title  string  `json:"title"`
	Body   string  `json:"body"`
	Labels []int64 `json:"labels,omitempty"`
}

// mergePullRequest is Gitea's MergePullRequestOption (services/forms
// MergePullRequestForm).
type mergePullRequest struct {
	Do                string `json:"do"`
	MergeTitleField   string `json:"merge_title_field,omitempty"`
	MergeMessageField string `json:"merge_message_field,omitempty"`
	HeadCommitID      string `json:"head_commit_id,omitempty"`
}

// editPullRequest is the part of Gitea's EditPullRequestOption Close sends.
type editPullRequest struct {
	State string `json:"state"`
}

// createComment is Gitea's CreateIssueCommentOption.
type createComment struct {
	Body string `json:"body"`
}

// timelineComment is the part of Gitea's TimelineComment the client reads.
type timelineComment struct {
	Type string `json:"type"`
	User *user  `json:"user"`
}

// convert is p as the review stage sees it.
func (p *pullRequest) convert() review.PullRequest {
	pr := review.PullRequest{
		Number: int(p.Number), URL: p.HTMLURL, Title: p.Title, Body: p.Body,
		Open: p.State == "open", Merged: p.Merged,
	}
	if p.Head != nil {
		pr.Head, pr.HeadSHA = p.Head.Ref, p.Head.Sha
	}
	if p.Base != nil {
		pr.Base = p.Base.Ref
	}
	for _, l := range p.Labels {
		if l != nil {
			pr.Labels = append(pr.Labels, l.Name)
		}
	}
	sort.Strings(pr.Labels)
	if p.MergedAt != nil {
		pr.MergedAt = *p.MergedAt
	}
	if p.MergedBy != nil {
		pr.MergedBy = p.MergedBy.Login
	}
	if p.ClosedAt != nil {
		pr.ClosedAt = *p.ClosedAt
	}
	if pr.Merged && pr.ClosedBy == "" {
		pr.ClosedBy = pr.MergedBy
	}
	return pr
}

// own says whether p's head is a branch of the repository itself, not of
// a fork.
func (p *pullRequest) own() bool {
	return p.Head != nil && p.Base != nil && p.Head.RepoID == p.Base.RepoID
}

// FindPullRequest returns the newest pull request whose head branch is
// head, review.ErrNotFound when there is none. Gitea's list cannot filter
// by head: it reads the pull requests newest first until it meets head.
// MergedBy of a merged pull request is read from the pull request itself
// (the list leaves merged_by null), ClosedBy of one closed without merging
// from its timeline (the newest "close" entry).
func (c *Client) FindPullRequest(ctx context.Context, head string) (review.PullRequest, error) {
	var found *pullRequest
	err := list(ctx, c, c.repoPath("pulls"), url.Values{"state": {"all"}}, counted(true), func(p pullRequest) bool {
		if p.own() && p.Head.Ref == head {
			found = &p
			return false
		}
		return true
	})
	if err != nil {
		return review.PullRequest{}, fmt.Errorf("find the pull request of %s: %w", head, err)
	}
	if found == nil {
		return review.PullRequest{}, fmt.Errorf("pull request of %s: %w", head, review.ErrNotFound)
	}
	pr := found.convert()
	switch {
	case pr.Merged && pr.MergedBy == "":
		// The list does not load the merger; the pull request does.
		var full pullRequest
		if _, err := c.do(ctx, http.MethodGet, c.repoPath("pulls", strconv.Itoa(pr.Number)), nil, nil, &full); err != nil {
			return pr, fmt.Errorf("who merged pull request #%d: %w", pr.Number, err)
		}
		pr = full.convert()
	case !pr.Open && !pr.Merged:
		if pr.ClosedBy, err = c.closedBy(ctx, pr.Number); err != nil {
			return pr, fmt.Errorf("who closed pull request #%d: %w", pr.Number, err)
		}
	}
	return pr, nil
}

// closedBy is the login of the newest "close" entry of an issue's
// timeline, "" when it has none. The timeline is read until an empty page:
// its X-Total-Count is the length of a page. (A page made only of code
// comments, which Gitea drops from the timeline, would end it early.)
func (c *Client) closedBy(ctx context.Context, number int) (string, error) {
	login := ""
	err := list(ctx, c, c.repoPath("issues", strconv.Itoa(number), "timeline"), nil, counted(false), func(t timelineComment) bool {
		if t.Type == "close" && t.User != nil {
			login = t.User.Login
		}
		return true
	})
	return login, err
}

// ListPullRequests lists the pull requests (open and closed) whose head
// branch starts with headPrefix, newest first (every page). MergedBy and
// ClosedBy are left empty: Gitea's list says neither (merged_by is null
// there).
func (c *Client) ListPullRequests(ctx context.Context, headPrefix string) ([]review.PullRequest, error) {
	var out []review.PullRequest
	seen := map[int64]bool{}
	err := list(ctx, c, c.repoPath("pulls"), url.Values{"state": {"all"}}, counted(true), func(p pullRequest) bool {
		// A pull request opened while paging shifts the pages: skip the
		// ones seen on the page before.
		if p.own() && strings.HasPrefix(p.Head.Ref, headPrefix) && !seen[p.Number] {
			seen[p.Number] = true
			out = append(out, p.convert())
		}
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("list the pull requests of %s*: %w", headPrefix, err)
	}
	return out, nil
}

// OpenPullRequest creates the labels the repository lacks, then opens the
// pull request with their ids.
func (c *Client) OpenPullRequest(ctx context.Context, npr review.NewPullRequest) (review.PullRequest, error) {
	ids, err := c.labelIDs(ctx, npr.Labels)
	if err != nil {
		return review.PullRequest{}, fmt.Errorf("open a pull request from %s: %w", npr.Head, err)
	}
	var p pullRequest
	in := createPullRequest{Head: npr.Head, Base: npr.Base, Title: npr.Title, Body: npr.Body, Labels: ids}
	if _, err := c.do(ctx, http.MethodPost, c.repoPath("pulls"), nil, in, &p); err != nil {
		return review.PullRequest{}, fmt.Errorf("open a pull request from %s: %w", npr.Head, err)
	}
	return p.convert(), nil
}

// Merge merges pull request number with a merge commit if its head is
// still headSHA. The first line of message is the merge commit's title,
// the rest its body (Gitea's defaults when message is empty). Refusals
// (405, 409, 422) wrap review.ErrRefused.
func (c *Client) Merge(ctx context.Context, number int, headSHA, message string) error {
	title, rest, _ := strings.Cut(message, "\n")
	in := mergePullRequest{Do: "merge", MergeTitleField: strings.TrimSpace(title),
		MergeMessageField: strings.TrimSpace(rest), HeadCommitID: headSHA}
	if _, err := c.do(ctx, http.MethodPost, c.repoPath("pulls", strconv.Itoa(number), "merge"), nil, in, nil); err != nil {
		return fmt.Errorf("merge pull request #%d: %w", number, review.Refusal(err))
	}
	return nil
}

// Close comments on pull request number when comment is not empty, then
// closes it without merging.
func (c *Client) Close(ctx context.Context, number int, comment string) error {
	n := strconv.Itoa(number)
	if comment != "" {
		if _, err := c.do(ctx, http.MethodPost, c.repoPath("issues", n, "comments"), nil, createComment{Body: comment}, nil); err != nil {
			return fmt.Errorf("comment on pull request #%d: %w", number, err)
		}
	}
	if _, err := c.do(ctx, http.MethodPatch, c.repoPath("pulls", n), nil, editPullRequest{State: "closed"}, nil); err != nil {
		return fmt.Errorf("close pull request #%d: %w", number, err)
	}
	return nil
}
