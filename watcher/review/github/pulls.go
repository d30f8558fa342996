package github

import (
	"context"
	"fmt"
	"sort"
	"strings"

	gh "github.com/google/go-github/v74/github"

	"github.com/nephoran/nephoran/watcher/review"
)

// convert is p as the review stage sees it.
func convert(p *gh.PullRequest) review.PullRequest {
	pr := review.PullRequest{
		Number: p.GetNumber(), URL: p.GetHTMLURL(), Title: p.GetTitle(), Body: p.GetBody(),
		Head: p.GetHead().GetRef(), HeadSHA: p.GetHead().GetSHA(), Base: p.GetBase().GetRef(),
		Open: p.GetState() == "open", Merged: p.GetMerged() || p.MergedAt != nil,
		MergedAt: p.GetMergedAt().Time, ClosedAt: p.GetClosedAt().Time,
		MergedBy: p.GetMergedBy().GetLogin(),
	}
	for _, l := range p.Labels {
		pr.Labels = append(pr.Labels, l.GetName())
	}
	sort.Strings(pr.Labels)
	return pr
}

// own says whether p's head is a branch of the repository itself (a
// fork's head repository differs, or is gone).
func (c *Client) own(p *gh.PullRequest) bool {
	r := p.GetHead().GetRepo()
	return r != nil && strings.EqualFold(r.GetFullName(), c.cfg.Owner+"/"+c.cfg.Repo)
}

// FindPullRequest returns the newest pull request whose head branch is
// head, review.ErrNotFound when there is none. For a closed one it also
// reads who closed it (the issue's closed_by) and, when merged, who
// merged it (the pull request's merged_by).
func (c *Client) FindPullRequest(ctx context.Context, head string) (review.PullRequest, error) {
	opts := &gh.PullRequestListOptions{State: "all", Head: c.cfg.Owner + ":" + head, Sort: "created", Direction: "desc",
		ListOptions: gh.ListOptions{PerPage: c.cfg.PageSize}}
	var found *gh.PullRequest
	err := c.pages(ctx, opts, func(p *gh.PullRequest) bool {
		if p.GetHead().GetRef() == head && c.own(p) {
			found = p
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
	pr := convert(found)
	if pr.Open {
		return pr, nil
	}
	issue, _, err := c.gh.Issues.Get(ctx, c.cfg.Owner, c.cfg.Repo, pr.Number)
	if err != nil {
		return pr, fmt.Errorf("who closed pull request #%d: %w", pr.Number, apiError("GET issue", err))
	}
	pr.ClosedBy = issue.GetClosedBy().GetLogin()
	if pr.Merged && pr.MergedBy == "" {
		full, _, err := c.gh.PullRequests.Get(ctx, c.cfg.Owner, c.cfg.Repo, pr.Number)
		if err != nil {
			return pr, fmt.Errorf("who merged pull request #%d: %w", pr.Number, apiError("GET pull request", err))
		}
		pr.MergedBy = full.GetMergedBy().GetLogin()
	}
	return pr, nil
}

// ListPullRequests lists the pull requests (open and closed) whose head
// branch starts with headPrefix, newest first (every page). MergedBy and
// ClosedBy are empty: GitHub's list does not say them.
func (c *Client) ListPullRequests(ctx context.Context, headPrefix string) ([]review.PullRequest, error) {
	opts := &gh.PullRequestListOptions{State: "all", Sort: "created", Direction: "desc",
		ListOptions: gh.ListOptions{PerPage: c.cfg.PageSize}}
	var out []review.PullRequest
	seen := map[int]bool{}
	err := c.pages(ctx, opts, func(p *gh.PullRequest) bool {
		// A pull request opened while paging shifts the pages: skip the
		// ones seen on the page before.
		if strings.HasPrefix(p.GetHead().GetRef(), headPrefix) && c.own(p) && !seen[p.GetNumber()] {
			seen[p.GetNumber()] = true
			out = append(out, convert(p))
		}
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("list the pull requests of %s*: %w", headPrefix, err)
	}
	return out, nil
}

// pages visits the pull requests of every page of a list until visit
// returns false.
func (c *Client) pages(ctx context.Context, opts *gh.PullRequestListOptions, visit func(*gh.PullRequest) bool) error {
	opts.Page = 0 // the first page, unsaid
	for n := 0; ; n++ {
		if n == maxPages {
			return fmt.Errorf("github GET pull requests: more than %d pages", maxPages)
		}
		prs, resp, err := c.gh.PullRequests.List(ctx, c.cfg.Owner, c.cfg.Repo, opts)
		if err != nil {
			return apiError("GET pull requests", err)
		}
		for _, p := range prs {
			if !visit(p) {
				return nil
			}
		}
		if resp.NextPage == 0 || len(prs) == 0 {
			return nil
		}
		opts.Page = resp.NextPage
	}
}

// OpenPullRequest opens the pull request, then adds its labels (GitHub
// creates the labels the repository lacks). When adding the labels fails
// it returns the opened pull request with the error.
func (c *Client) OpenPullRequest(ctx context.Context, npr review.NewPullRequest) (review.PullRequest, error) {
	in := &gh.NewPullRequest{Title: gh.Ptr(npr.Title), Head: gh.Ptr(npr.Head), Base: gh.Ptr(npr.Base), Body: gh.Ptr(npr.Body)}
	p, _, err := c.gh.PullRequests.Create(ctx, c.cfg.Owner, c.cfg.Repo, in)
	if err != nil {
		return review.PullRequest{}, fmt.Errorf("open a pull request from %s: %w", npr.Head, apiError("POST pull request", err))
	}
	pr := convert(p)
	if len(npr.Labels) == 0 {
		return pr, nil
	}
	labels, _, err := c.gh.Issues.AddLabelsToIssue(ctx, c.cfg.Owner, c.cfg.Repo, pr.Number, npr.Labels)
	if err != nil {
		return pr, fmt.Errorf("label pull request #%d: %w", pr.Number, apiError("POST labels", err))
	}
	pr.Labels = pr.Labels[:0]
	for _, l := range labels {
		pr.Labels = append(pr.Labels, l.GetName())
	}
	sort.Strings(pr.Labels)
	return pr, nil
}

// Merge merges pull request number with a merge commit if its head is
// still headSHA. The first line of message is the merge commit's title,
// the rest its message (GitHub's defaults when message is empty).
// Refusals (405, 409, 422) wrap review.ErrRefused.
func (c *Client) Merge(ctx context.Context, number int, headSHA, message string) error {
	title, rest, _ := strings.Cut(message, "\n")
	opts := &gh.PullRequestOptions{SHA: headSHA, MergeMethod: "merge", CommitTitle: strings.TrimSpace(title)}
	if _, _, err := c.gh.PullRequests.Merge(ctx, c.cfg.Owner, c.cfg.Repo, number, strings.TrimSpace(rest), opts); err != nil {
		return fmt.Errorf("merge pull request #%d: %w", number, review.Refusal(apiError("PUT merge", err)))
	}
	return nil
}

// Close comments on pull request number when comment is not empty, then
// closes it without merging.
func (c *Client) Close(ctx context.Context, number int, comment string) error {
	if comment != "" {
		if _, _, err := c.gh.Issues.CreateComment(ctx, c.cfg.Owner, c.cfg.Repo, number, &gh.IssueComment{Body: gh.Ptr(comment)}); err != nil {
			return fmt.Errorf("comment on pull request #%d: %w", number, apiError("POST comment", err))
		}
	}
	if _, _, err := c.gh.PullRequests.Edit(ctx, c.cfg.Owner, c.cfg.Repo, number, &gh.PullRequest{State: gh.Ptr("closed")}); err != nil {
		return fmt.Errorf("close pull request #%d: %w", number, apiError("PATCH pull request", err))
	}
	return nil
}
