package github_test

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeGitHub is an in-process GitHub Enterprise Server REST API (under
// /api/v3/) for one repository, with the routes the backend uses and
// GitHub's documented shapes (docs.github.com/rest/pulls, /issues/labels,
// /issues/comments, /issues/issues). It checks every request's method,
// path, headers and JSON body, answers with GitHub's JSON, and refuses
// anything else as GitHub does: 404 for an unknown route, 422 for a body or
// query it would not take, 401 for another token. Violations of what
// go-github sends (Accept, X-GitHub-Api-Version, Content-Type) fail the
// test.
type fakeGitHub struct {
	t                  *testing.T
	srv                *httptest.Server
	owner, repo, token string
	actor              string
	mu                 sync.Mutex
	branches           map[string]string
	pulls              []*fakePull
	labels             map[string]int64
	comments           map[int][]string
	failures           []fakeFailure
	log                []string
	bodies             map[string][]string
	clock              time.Time
	nextID             int64
}

// fakePull is one pull request (and its issue) of the fake.
type fakePull struct {
	number                       int
	title, body, head, base, sha string
	headRepo                     string
	labels                       []string
	open, merged, mergeable      bool
	created, closedAt, mergedAt  time.Time
	closedBy, mergedBy, mergeSHA string
	maintainerCanModify, draft   bool
}

// fakeFailure makes the next request matching method and route answer
// status and body.
type fakeFailure struct {
	method, route string
	status        int
	header        http.Header
	body          string
}

const docsURL = "https://docs.github.com/rest"

func newFakeGitHub(t *testing.T, owner, repo, token string) *fakeGitHub {
	f := &fakeGitHub{t: t, owner: owner, repo: repo, token: token, actor: "nephoran-bot",
		branches: map[string]string{}, labels: map[string]int64{}, comments: map[int][]string{}, bodies: map[string][]string{},
		clock: time.Date(2026, 1, 1, 0, 1, 0, 0, time.UTC), nextID: 1000}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// push creates or moves a branch and returns its new head.
func (f *fakeGitHub) push(branch string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	sum := sha1.Sum([]byte(fmt.Sprintf("%s %d", branch, f.nextID)))
	f.nextID++
	f.branches[branch] = hex.EncodeToString(sum[:])
	for _, p := range f.pulls {
		if p.open && p.head == branch && p.headRepo == f.owner+"/"+f.repo {
			p.sha = f.branches[branch]
		}
	}
	return f.branches[branch]
}

// addForkPull adds an open pull request from a fork's branch.
func (f *fakeGitHub) addForkPull(fork, branch, base string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := &fakePull{number: len(f.pulls) + 1, title: "from a fork", head: branch, base: base, sha: strings.Repeat("f", 40),
		headRepo: fork, open: true, mergeable: true, created: f.tick()}
	f.pulls = append(f.pulls, p)
	return p.number
}

// closeAs closes pull request n as login would in the web UI.
func (f *fakeGitHub) closeAs(n int, login string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.pulls[n-1]
	p.open, p.closedAt, p.closedBy = false, f.tick(), login
}

func (f *fakeGitHub) setMergeable(n int, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pulls[n-1].mergeable = ok
}

// failNext makes the next request to route (a pattern name of routes)
// with method answer status and body.
func (f *fakeGitHub) failNext(method, route string, status int, header http.Header, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures = append(f.failures, fakeFailure{method, route, status, header, body})
}

func (f *fakeGitHub) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.log...)
}

// sent returns the bodies sent to route with method, oldest first.
func (f *fakeGitHub) sent(method, route string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.bodies[method+" "+route]...)
}

func (f *fakeGitHub) commentsOn(n int) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.comments[n]...)
}

func (f *fakeGitHub) baseSHA(branch string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.branches[branch]
}

func (f *fakeGitHub) tick() time.Time {
	f.clock = f.clock.Add(time.Minute)
	return f.clock
}

// routes are the endpoints the fake serves, below /api/v3/repos/{owner}/{repo}.
var routes = []struct {
	name, method string
	re           *regexp.Regexp
}{
	{"pulls", http.MethodGet, regexp.MustCompile(`^/pulls$`)},
	{"pulls", http.MethodPost, regexp.MustCompile(`^/pulls$`)},
	{"pull", http.MethodGet, regexp.MustCompile(`^/pulls/([1-9][0-9]*)$`)},
	{"pull", http.MethodPatch, regexp.MustCompile(`^/pulls/([1-9][0-9]*)$`)},
	{"merge", http.MethodPut, regexp.MustCompile(`^/pulls/([1-9][0-9]*)/merge$`)},
	{"issue", http.MethodGet, regexp.MustCompile(`^/issues/([1-9][0-9]*)$`)},
	{"labels", http.MethodPost, regexp.MustCompile(`^/issues/([1-9][0-9]*)/labels$`)},
	{"comments", http.MethodPost, regexp.MustCompile(`^/issues/([1-9][0-9]*)/comments$`)},
}

func (f *fakeGitHub) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, r.Method+" "+r.URL.RequestURI())

	// What go-github sends on every request: the v3 media type, or on
	// GET issues/{n} the reactions preview GitHub still takes.
	if got := r.Header.Get("Accept"); got != "application/vnd.github.v3+json" &&
		!(got == "application/vnd.github.squirrel-girl-preview" && r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/issues/")) {
		f.t.Errorf("%s %s: Accept %q", r.Method, r.URL.Path, got)
	}
	if got := r.Header.Get("X-GitHub-Api-Version"); got != "2022-11-28" {
		f.t.Errorf("%s %s: X-GitHub-Api-Version %q", r.Method, r.URL.Path, got)
		f.answer(w, http.StatusBadRequest, map[string]any{"message": "Invalid API version", "documentation_url": docsURL})
		return
	}
	if got := r.Header.Get("User-Agent"); !strings.HasPrefix(got, "go-github/") {
		f.t.Errorf("%s %s: User-Agent %q", r.Method, r.URL.Path, got)
	}
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		f.answer(w, http.StatusUnauthorized, map[string]any{"message": "Bad credentials", "documentation_url": docsURL, "status": "401"})
		return
	}

	prefix := "/api/v3/repos/" + f.owner + "/" + f.repo
	rest, ok := strings.CutPrefix(r.URL.Path, prefix)
	if !ok {
		f.notFound(w)
		return
	}
	name, number := "", 0
	for _, rt := range routes {
		if m := rt.re.FindStringSubmatch(rest); m != nil && rt.method == r.Method {
			name = rt.name
			if len(m) > 1 {
				number, _ = strconv.Atoi(m[1])
			}
			break
		}
	}
	if name == "" {
		f.notFound(w)
		return
	}
	if raw, err := io.ReadAll(r.Body); err == nil && len(raw) > 0 {
		f.bodies[r.Method+" "+name] = append(f.bodies[r.Method+" "+name], string(raw))
		r.Body = io.NopCloser(bytes.NewReader(raw))
	}
	if r.Method != http.MethodGet {
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			f.t.Errorf("%s %s: Content-Type %q", r.Method, r.URL.Path, ct)
		}
	} else if r.ContentLength > 0 {
		f.t.Errorf("%s %s: a GET with a body", r.Method, r.URL.Path)
	}
	for i, fl := range f.failures {
		if fl.method == r.Method && fl.route == name {
			f.failures = append(f.failures[:i], f.failures[i+1:]...)
			for k, v := range fl.header {
				w.Header()[k] = v
			}
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(fl.status)
			_, _ = io.WriteString(w, fl.body)
			return
		}
	}
	if number > len(f.pulls) {
		f.notFound(w)
		return
	}
	var p *fakePull
	if number > 0 {
		p = f.pulls[number-1]
	}
	switch name + " " + r.Method {
	case "pulls GET":
		f.list(w, r)
	case "pulls POST":
		f.create(w, r)
	case "pull GET":
		f.answer(w, http.StatusOK, f.pullJSON(p, true))
	case "pull PATCH":
		f.update(w, r, p)
	case "merge PUT":
		f.merge(w, r, p)
	case "issue GET":
		f.answer(w, http.StatusOK, f.issueJSON(p))
	case "labels POST":
		f.addLabels(w, r, p)
	case "comments POST":
		f.comment(w, r, p)
	}
}

func (f *fakeGitHub) answer(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-GitHub-Media-Type", "github.v3; format=json")
	w.Header().Set("X-RateLimit-Limit", "5000")
	w.Header().Set("X-RateLimit-Remaining", "4999")
	w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeGitHub) notFound(w http.ResponseWriter) {
	f.answer(w, http.StatusNotFound, map[string]any{"message": "Not Found", "documentation_url": docsURL, "status": "404"})
}

// invalid is GitHub's 422 for a body it does not take.
func (f *fakeGitHub) invalid(w http.ResponseWriter, message string) {
	f.answer(w, http.StatusUnprocessableEntity, map[string]any{"message": message, "documentation_url": docsURL, "status": "422"})
}

func (f *fakeGitHub) validationFailed(w http.ResponseWriter, errs ...map[string]any) {
	f.answer(w, http.StatusUnprocessableEntity, map[string]any{"message": "Validation Failed", "errors": errs,
		"documentation_url": docsURL, "status": "422"})
}

// decode reads a JSON body into v, refusing keys GitHub does not permit
// as GitHub does.
func (f *fakeGitHub) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		f.invalid(w, "Problems parsing JSON")
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if key, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			f.invalid(w, "Invalid request.\n\n"+key+" is not a permitted key.")
			return false
		}
		f.answer(w, http.StatusBadRequest, map[string]any{"message": "Problems parsing JSON", "documentation_url": docsURL, "status": "400"})
		return false
	}
	return true
}

// list is GET /repos/{owner}/{repo}/pulls.
func (f *fakeGitHub) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for k := range q {
		switch k {
		case "state", "head", "base", "sort", "direction", "per_page", "page":
		default:
			f.invalid(w, fmt.Sprintf("Invalid request.\n\n%q is not a permitted key.", k))
			return
		}
	}
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	if state != "open" && state != "closed" && state != "all" {
		f.invalid(w, "Invalid request.\n\nFor 'state', \""+state+"\" is not a valid value.")
		return
	}
	var headRepo, headRef string
	if h := q.Get("head"); h != "" {
		user, ref, ok := strings.Cut(h, ":")
		if !ok {
			f.invalid(w, "Invalid request.\n\nFor 'head', \""+h+"\" is not in the format user:ref-name.")
			return
		}
		headRepo, headRef = user+"/"+f.repo, ref
	}
	if s := q.Get("sort"); s != "" && s != "created" && s != "updated" && s != "popularity" && s != "long-running" {
		f.invalid(w, "Invalid request.\n\nFor 'sort', \""+s+"\" is not a valid value.")
		return
	}
	desc := q.Get("direction") != "asc"
	if d := q.Get("direction"); d != "" && d != "asc" && d != "desc" {
		f.invalid(w, "Invalid request.\n\nFor 'direction', \""+d+"\" is not a valid value.")
		return
	}
	perPage, page := 30, 1
	if s := q.Get("per_page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			f.invalid(w, "Invalid request.\n\nFor 'per_page', \""+s+"\" is not a valid value.")
			return
		}
		perPage = min(n, 100)
	}
	if s := q.Get("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			f.invalid(w, "Invalid request.\n\nFor 'page', \""+s+"\" is not a valid value.")
			return
		}
		page = n
	}

	var match []*fakePull
	for _, p := range f.pulls {
		switch {
		case state == "open" && !p.open, state == "closed" && p.open:
			continue
		case headRef != "" && (p.head != headRef || !strings.EqualFold(p.headRepo, headRepo)):
			continue
		case q.Get("base") != "" && p.base != q.Get("base"):
			continue
		}
		match = append(match, p)
	}
	sort.SliceStable(match, func(i, j int) bool {
		if desc {
			return match[i].created.After(match[j].created)
		}
		return match[i].created.Before(match[j].created)
	})
	last := max(1, (len(match)+perPage-1)/perPage)
	from := min((page-1)*perPage, len(match))
	to := min(from+perPage, len(match))
	out := make([]any, 0, to-from)
	for _, p := range match[from:to] {
		out = append(out, f.pullJSON(p, false))
	}
	link := func(n int) string {
		q2 := url.Values{}
		for k, v := range q {
			q2[k] = v
		}
		q2.Set("page", strconv.Itoa(n))
		return "<" + f.srv.URL + r.URL.Path + "?" + q2.Encode() + ">"
	}
	var links []string
	if page < last {
		links = append(links, link(page+1)+`; rel="next"`, link(last)+`; rel="last"`)
	}
	if page > 1 {
		links = append(links, link(page-1)+`; rel="prev"`, link(1)+`; rel="first"`)
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	f.answer(w, http.StatusOK, out)
}

// create is POST /repos/{owner}/{repo}/pulls.
func (f *fakeGitHub) create(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Title               *string `json:"title"`
		Head                *string `json:"head"`
		HeadRepo            *string `json:"head_repo"`
		Base                *string `json:"base"`
		Body                *string `json:"body"`
		MaintainerCanModify *bool   `json:"maintainer_can_modify"`
		Draft               *bool   `json:"draft"`
		Issue               *int    `json:"issue"`
	}
	if !f.decode(w, r, &in) {
		return
	}
	switch {
	case in.Head == nil || in.Base == nil:
		f.invalid(w, "Invalid request.\n\n\"head\" and \"base\" weren't supplied.")
		return
	case in.Title == nil && in.Issue == nil:
		f.invalid(w, "Invalid request.\n\nNo subschema in \"oneOf\" matched.\n\"title\" wasn't supplied.")
		return
	}
	head := *in.Head
	if user, ref, ok := strings.Cut(head, ":"); ok {
		if !strings.EqualFold(user, f.owner) {
			f.validationFailed(w, map[string]any{"resource": "PullRequest", "field": "head", "code": "invalid"})
			return
		}
		head = ref
	}
	sha, ok := f.branches[head]
	if !ok {
		f.validationFailed(w, map[string]any{"resource": "PullRequest", "field": "head", "code": "invalid"})
		return
	}
	if _, ok := f.branches[*in.Base]; !ok {
		f.validationFailed(w, map[string]any{"resource": "PullRequest", "field": "base", "code": "invalid"})
		return
	}
	for _, p := range f.pulls {
		if p.open && p.head == head && p.base == *in.Base && p.headRepo == f.owner+"/"+f.repo {
			f.validationFailed(w, map[string]any{"resource": "PullRequest", "code": "custom",
				"message": "A pull request already exists for " + f.owner + ":" + head + "."})
			return
		}
	}
	p := &fakePull{number: len(f.pulls) + 1, head: head, base: *in.Base, sha: sha, headRepo: f.owner + "/" + f.repo,
		open: true, mergeable: true, created: f.tick(), maintainerCanModify: true}
	if in.Title != nil {
		p.title = *in.Title
	}
	if in.Body != nil {
		p.body = *in.Body
	}
	if in.Draft != nil {
		p.draft = *in.Draft
	}
	f.pulls = append(f.pulls, p)
	w.Header().Set("Location", f.srv.URL+"/api/v3/repos/"+f.owner+"/"+f.repo+"/pulls/"+strconv.Itoa(p.number))
	f.answer(w, http.StatusCreated, f.pullJSON(p, true))
}

// update is PATCH /repos/{owner}/{repo}/pulls/{n}.
func (f *fakeGitHub) update(w http.ResponseWriter, r *http.Request, p *fakePull) {
	var in struct {
		Title               *string `json:"title"`
		Body                *string `json:"body"`
		State               *string `json:"state"`
		Base                *string `json:"base"`
		MaintainerCanModify *bool   `json:"maintainer_can_modify"`
	}
	if !f.decode(w, r, &in) {
		return
	}
	if in.State != nil {
		switch *in.State {
		case "closed":
			if p.open {
				p.open, p.closedAt, p.closedBy = false, f.tick(), f.actor
			}
		case "open":
			if p.merged {
				f.validationFailed(w, map[string]any{"resource": "PullRequest", "code": "custom", "message": "state cannot be changed. The pull request cannot be reopened."})
				return
			}
			p.open, p.closedAt, p.closedBy = true, time.Time{}, ""
		default:
			f.invalid(w, "Invalid request.\n\nFor 'state', \""+*in.State+"\" is not a valid value.")
			return
		}
	}
	if in.Title != nil {
		p.title = *in.Title
	}
	if in.Body != nil {
		p.body = *in.Body
	}
	f.answer(w, http.StatusOK, f.pullJSON(p, true))
}

// merge is PUT /repos/{owner}/{repo}/pulls/{n}/merge.
func (f *fakeGitHub) merge(w http.ResponseWriter, r *http.Request, p *fakePull) {
	var in struct {
		CommitTitle   *string `json:"commit_title"`
		CommitMessage *string `json:"commit_message"`
		SHA           *string `json:"sha"`
		MergeMethod   *string `json:"merge_method"`
	}
	if !f.decode(w, r, &in) {
		return
	}
	if m := in.MergeMethod; m != nil && *m != "merge" && *m != "squash" && *m != "rebase" {
		f.invalid(w, "Invalid request.\n\nFor 'merge_method', \""+*m+"\" is not a valid value.")
		return
	}
	switch {
	case !p.open || !p.mergeable:
		f.answer(w, http.StatusMethodNotAllowed, map[string]any{"message": "Pull Request is not mergeable",
			"documentation_url": docsURL + "/pulls/pulls#merge-a-pull-request", "status": "405"})
		return
	case in.SHA != nil && *in.SHA != p.sha:
		f.answer(w, http.StatusConflict, map[string]any{"message": "Head branch was modified. Review and try the merge again.",
			"documentation_url": docsURL + "/pulls/pulls#merge-a-pull-request", "status": "409"})
		return
	}
	sum := sha1.Sum([]byte(fmt.Sprintf("merge %d %v %v", p.number, in.CommitTitle, in.CommitMessage)))
	p.mergeSHA = hex.EncodeToString(sum[:])
	f.branches[p.base] = p.mergeSHA
	now := f.tick()
	p.open, p.merged, p.mergedAt, p.closedAt, p.mergedBy, p.closedBy = false, true, now, now, f.actor, f.actor
	f.answer(w, http.StatusOK, map[string]any{"sha": p.mergeSHA, "merged": true, "message": "Pull Request successfully merged"})
}

// addLabels is POST /repos/{owner}/{repo}/issues/{n}/labels, in any of the
// body shapes GitHub documents.
func (f *fakeGitHub) addLabels(w http.ResponseWriter, r *http.Request, p *fakePull) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		f.invalid(w, "Problems parsing JSON")
		return
	}
	var names []string
	var obj struct {
		Labels json.RawMessage `json:"labels"`
	}
	list := json.RawMessage(raw)
	if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if dec.Decode(&obj) != nil || obj.Labels == nil {
			f.invalid(w, "Invalid request.\n\nNo subschema in \"oneOf\" matched.")
			return
		}
		list = obj.Labels
	}
	if json.Unmarshal(list, &names) != nil {
		var named []struct {
			Name string `json:"name"`
		}
		if json.Unmarshal(list, &named) != nil {
			f.invalid(w, "Invalid request.\n\nNo subschema in \"oneOf\" matched.")
			return
		}
		for _, n := range named {
			names = append(names, n.Name)
		}
	}
	for _, n := range names {
		if n == "" {
			f.validationFailed(w, map[string]any{"resource": "Label", "field": "name", "code": "missing_field"})
			return
		}
		if _, ok := f.labels[n]; !ok {
			f.nextID++
			f.labels[n] = f.nextID
		}
		if !contains(p.labels, n) {
			p.labels = append(p.labels, n)
		}
	}
	f.answer(w, http.StatusOK, f.labelsJSON(p.labels))
}

// comment is POST /repos/{owner}/{repo}/issues/{n}/comments.
func (f *fakeGitHub) comment(w http.ResponseWriter, r *http.Request, p *fakePull) {
	var in struct {
		Body *string `json:"body"`
	}
	if !f.decode(w, r, &in) {
		return
	}
	if in.Body == nil || *in.Body == "" {
		f.validationFailed(w, map[string]any{"resource": "IssueComment", "field": "body", "code": "missing_field"})
		return
	}
	f.comments[p.number] = append(f.comments[p.number], *in.Body)
	f.nextID++
	now := f.tick()
	f.answer(w, http.StatusCreated, map[string]any{
		"id": f.nextID, "node_id": "IC_kwDOA" + strconv.FormatInt(f.nextID, 10),
		"url":       f.apiURL("/issues/comments/" + strconv.FormatInt(f.nextID, 10)),
		"html_url":  f.htmlURL(fmt.Sprintf("/pull/%d#issuecomment-%d", p.number, f.nextID)),
		"issue_url": f.apiURL(fmt.Sprintf("/issues/%d", p.number)),
		"body":      *in.Body, "user": f.user(f.actor), "created_at": stamp(now), "updated_at": stamp(now),
		"author_association": "MEMBER",
	})
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

func stamp(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

func (f *fakeGitHub) apiURL(path string) string {
	return f.srv.URL + "/api/v3/repos/" + f.owner + "/" + f.repo + path
}

func (f *fakeGitHub) htmlURL(path string) string {
	return f.srv.URL + "/" + f.owner + "/" + f.repo + path
}

func (f *fakeGitHub) user(login string) map[string]any {
	if login == "" {
		return nil
	}
	return map[string]any{"login": login, "id": len(login)*1000 + int(login[0]), "node_id": "U_kgDO" + login,
		"avatar_url": f.srv.URL + "/avatars/u/" + login, "url": f.srv.URL + "/api/v3/users/" + login,
		"html_url": f.srv.URL + "/" + login, "type": "User", "site_admin": false}
}

func (f *fakeGitHub) repoJSON(fullName string) map[string]any {
	owner, name, _ := strings.Cut(fullName, "/")
	return map[string]any{"id": 1296269, "node_id": "R_kgDOA" + name, "name": name, "full_name": fullName,
		"private": true, "owner": f.user(owner), "html_url": f.srv.URL + "/" + fullName,
		"url": f.srv.URL + "/api/v3/repos/" + fullName, "default_branch": "main", "visibility": "private"}
}

func (f *fakeGitHub) labelsJSON(names []string) []any {
	out := make([]any, 0, len(names))
	for _, n := range names {
		out = append(out, map[string]any{"id": f.labels[n], "node_id": "LA_kwDO" + strconv.FormatInt(f.labels[n], 10),
			"url": f.apiURL("/labels/" + url.PathEscape(n)), "name": n, "color": "ededed", "default": false, "description": nil})
	}
	return out
}

// pullJSON is a pull request as GitHub answers it: the list's "simple"
// shape, or (full) the shape of GET, POST and PATCH, which adds merged,
// mergeable, merged_by and the counts.
func (f *fakeGitHub) pullJSON(p *fakePull, full bool) map[string]any {
	state := "open"
	if !p.open {
		state = "closed"
	}
	n := strconv.Itoa(p.number)
	headOwner, _, _ := strings.Cut(p.headRepo, "/")
	out := map[string]any{
		"url": f.apiURL("/pulls/" + n), "id": 1000000 + p.number, "node_id": "PR_kwDOA" + n,
		"html_url": f.htmlURL("/pull/" + n), "diff_url": f.htmlURL("/pull/" + n + ".diff"),
		"patch_url": f.htmlURL("/pull/" + n + ".patch"), "issue_url": f.apiURL("/issues/" + n),
		"number": p.number, "state": state, "locked": false, "title": p.title, "user": f.user(f.actor),
		"body": p.body, "labels": f.labelsJSON(p.labels), "milestone": nil, "active_lock_reason": nil,
		"created_at": stamp(p.created), "updated_at": stamp(f.clock), "closed_at": stamp(p.closedAt),
		"merged_at": stamp(p.mergedAt), "merge_commit_sha": nilIfEmpty(p.mergeSHA), "assignee": nil,
		"assignees": []any{}, "requested_reviewers": []any{}, "requested_teams": []any{},
		"head": map[string]any{"label": headOwner + ":" + p.head, "ref": p.head, "sha": p.sha,
			"user": f.user(headOwner), "repo": f.repoJSON(p.headRepo)},
		"base": map[string]any{"label": f.owner + ":" + p.base, "ref": p.base, "sha": f.branches[p.base],
			"user": f.user(f.owner), "repo": f.repoJSON(f.owner + "/" + f.repo)},
		"author_association": "MEMBER", "auto_merge": nil, "draft": p.draft,
	}
	if full {
		out["merged"] = p.merged
		out["mergeable"] = p.mergeable
		out["rebaseable"] = p.mergeable
		out["mergeable_state"] = map[bool]string{true: "clean", false: "dirty"}[p.mergeable]
		out["merged_by"] = f.user(p.mergedBy)
		out["comments"] = len(f.comments[p.number])
		out["review_comments"] = 0
		out["maintainer_can_modify"] = p.maintainerCanModify
		out["commits"] = 1
		out["additions"] = 1
		out["deletions"] = 1
		out["changed_files"] = 1
	}
	return out
}

// issueJSON is GET /repos/{owner}/{repo}/issues/{n} of a pull request.
func (f *fakeGitHub) issueJSON(p *fakePull) map[string]any {
	state, reason := "open", any(nil)
	if !p.open {
		state, reason = "closed", "completed"
	}
	n := strconv.Itoa(p.number)
	return map[string]any{
		"url": f.apiURL("/issues/" + n), "id": 2000000 + p.number, "node_id": "I_kwDOA" + n, "number": p.number,
		"html_url": f.htmlURL("/pull/" + n), "title": p.title, "user": f.user(f.actor), "labels": f.labelsJSON(p.labels),
		"state": state, "state_reason": reason, "locked": false, "assignee": nil, "assignees": []any{}, "milestone": nil,
		"comments": len(f.comments[p.number]), "created_at": stamp(p.created), "updated_at": stamp(f.clock),
		"closed_at": stamp(p.closedAt), "closed_by": f.user(p.closedBy), "author_association": "MEMBER", "body": p.body,
		"pull_request": map[string]any{"url": f.apiURL("/pulls/" + n), "html_url": f.htmlURL("/pull/" + n),
			"diff_url": f.htmlURL("/pull/" + n + ".diff"), "patch_url": f.htmlURL("/pull/" + n + ".patch"),
			"merged_at": stamp(p.mergedAt)},
	}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
