package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// giteaUser is the admin user every Gitea helper creates; repositories
// created by CreateRepo belong to it.
const giteaUser = "nephoran"

// giteaRequestTimeout bounds one API request to Gitea.
const giteaRequestTimeout = 30 * time.Second

// Gitea is a real Gitea forge (bin/gitea, built by `make tools` from
// hack/gitea) for tests of forge clients: pull requests, reviews, webhooks.
// It listens on a 127.0.0.1 port, keeps its SQLite database and
// repositories in one directory, and has one admin user whose credentials
// and API token are below. The helpers fail the test on transport errors
// and unexpected statuses.
type Gitea struct {
	// URL is the base URL, http://127.0.0.1:PORT, without a trailing slash.
	URL string
	// User and Password are the admin user's; User owns every repository
	// CreateRepo creates.
	User, Password string
	// Token is an API token of User with every scope ("all"), sent by API
	// as "Authorization: token <Token>".
	Token string

	bin, dir, config, logPath string
	client                    *http.Client

	mu  sync.Mutex
	web *process // the running `gitea web`, nil while stopped
}

// StartGitea starts a Gitea for one test and stops it (and removes its
// directory) when the test ends; if the test failed, the tail of Gitea's
// log is logged first. It writes app.ini in a new temporary directory
// (SQLite, no SSH, mailer, indexer or cron, webhooks allowed to loopback,
// default branch main), runs `gitea migrate` and `gitea admin user
// create`, starts `gitea web` on a free port, waits for /api/healthz and
// creates an API token. That takes about 1.2 s here with the binary built
// (2 cores; ~2.4 s the first time, when the binary is not in the page
// cache), so every test can have its own Gitea.
func StartGitea(t testing.TB) *Gitea {
	t.Helper()
	dir := giteaDir(t)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	g := newGitea(t, dir)
	t.Cleanup(g.Stop)
	t.Cleanup(func() { g.logOnFailure(t) })
	g.boot(t)
	return g
}

// giteaDir creates a temporary directory for one Gitea. Not t.TempDir():
// its paths contain the test's name, so a subtest's contain '#', and Gitea
// opens SQLite through a "file:PATH?..." URI, where '#' or '?' would cut
// the path short.
func giteaDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "testenv-gitea-")
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	if strings.ContainsAny(dir, "#?") {
		_ = os.RemoveAll(dir)
		t.Fatalf("testenv: Gitea's SQLite cannot use %s (it contains '#' or '?'): set TMPDIR", dir)
	}
	return dir
}

// newGitea prepares a Gitea in dir: it locates the binary and its assets,
// picks a free port, and writes app.ini with fresh credentials. Nothing is
// started yet.
func newGitea(t testing.TB, dir string) *Gitea {
	t.Helper()
	bin := Tool(t, "gitea")
	assets := Tool(t, "gitea-assets")
	if _, err := os.Stat(filepath.Join(assets, "templates", "base", "head.tmpl")); err != nil {
		t.Fatalf("testenv: bin/gitea-assets is incomplete (%v): remove bin/gitea and run `make tools`", err)
	}
	port := freePorts(t, 1)[0]
	g := &Gitea{
		URL:      "http://127.0.0.1:" + strconv.Itoa(port),
		User:     giteaUser,
		Password: randomHex(t, 16),
		bin:      bin,
		dir:      dir,
		logPath:  filepath.Join(dir, "gitea.log"),
		client:   &http.Client{Timeout: giteaRequestTimeout},
	}
	for _, sub := range []string{"home", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatalf("testenv: %v", err)
		}
	}
	g.config = writeFile(t, dir, "app.ini", giteaConfig(dir, assets, port, randomHex(t, 32), randomHex(t, 32)))
	return g
}

// giteaConfig returns app.ini for a Gitea whose state lives under dir. The
// root-user override must come first: Gitea refuses to run as root
// otherwise. Queues are in memory, and everything a test does not need
// (mail, SSH, LFS, indexers, cron, actions, packages) is off, which keeps
// boot short; passwords are hashed cheaply because git over HTTP checks the
// password on every request. Paths are quoted (iniPath).
func giteaConfig(dir, assets string, port int, secretKey, internalToken string) string {
	sub := func(name string) string { return iniPath(filepath.Join(dir, name)) }
	return fmt.Sprintf(`I_AM_BEING_UNSAFE_RUNNING_AS_ROOT = true
APP_NAME = nephoran testenv
RUN_MODE = prod
WORK_PATH = %[1]s

[server]
PROTOCOL = http
HTTP_ADDR = 127.0.0.1
HTTP_PORT = %[3]d
DOMAIN = 127.0.0.1
ROOT_URL = http://127.0.0.1:%[3]d/
APP_DATA_PATH = %[4]s
STATIC_ROOT_PATH = %[2]s
OFFLINE_MODE = true
DISABLE_SSH = true
START_SSH_SERVER = false
LFS_START_SERVER = false

[database]
DB_TYPE = sqlite3
PATH = %[5]s
LOG_SQL = false

[repository]
ROOT = %[6]s
DEFAULT_BRANCH = main

[repository.signing]
SIGNING_KEY = none

[security]
INSTALL_LOCK = true
SECRET_KEY = %[8]s
INTERNAL_TOKEN = %[9]s
PASSWORD_HASH_ALGO = pbkdf2$1000$50

[oauth2]
ENABLED = false

[service]
DISABLE_REGISTRATION = true
REQUIRE_SIGNIN_VIEW = false
ENABLE_NOTIFY_MAIL = false
NO_REPLY_ADDRESS = noreply.nephoran.invalid

[mailer]
ENABLED = false

[indexer]
ISSUE_INDEXER_TYPE = db
REPO_INDEXER_ENABLED = false

[queue]
TYPE = channel

[session]
PROVIDER = memory

[cache]
ADAPTER = memory

[cron]
ENABLED = false

[cron.update_checker]
ENABLED = false

[actions]
ENABLED = false

[packages]
ENABLED = false

[api]
ENABLE_SWAGGER = false

[proxy]
PROXY_ENABLED = false

[webhook]
ALLOWED_HOST_LIST = loopback
DELIVER_TIMEOUT = 5

[log]
MODE = console
LEVEL = Info
ROOT_PATH = %[7]s

[log.console]
COLORIZE = false
`, iniPath(dir), iniPath(assets), port, sub("data"), sub(filepath.Join("data", "gitea.db")),
		sub("repositories"), sub("log"), secretKey, internalToken)
}

// iniPath quotes a path for app.ini. Unquoted, Gitea's INI parser cuts a
// value at the first '#' or ';' (an inline comment); backquotes make the
// value literal, up to the last backquote.
func iniPath(path string) string {
	return "`" + path + "`"
}

// boot initialises the database, creates the admin user, starts `gitea
// web` and creates the API token.
func (g *Gitea) boot(t testing.TB) {
	t.Helper()
	g.run(t, "migrate")
	g.run(t, "admin", "user", "create", "--admin",
		"--username", g.User, "--password", g.Password,
		"--email", g.User+"@nephoran.invalid", "--must-change-password=false")
	g.Start(t)
	g.Token = g.createToken(t)
}

// run runs one gitea command against this instance's app.ini, failing the
// test with its output if it fails. The output is also appended to the log.
func (g *Gitea) run(t testing.TB, args ...string) {
	t.Helper()
	cmd := exec.Command(g.bin, append([]string{"--work-path", g.dir, "--config", g.config}, args...)...)
	cmd.Dir, cmd.Env = g.dir, g.env()
	out, err := cmd.CombinedOutput()
	g.appendLog(fmt.Sprintf("$ gitea %s\n%s", strings.Join(args, " "), out))
	if err != nil {
		t.Fatalf("testenv: gitea %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// env is the whole environment of Gitea's processes: nothing of the test's
// own (GIT_* variables, a developer's HOME and git settings) leaks in.
func (g *Gitea) env() []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + filepath.Join(g.dir, "home"),
		"TMPDIR=" + filepath.Join(g.dir, "tmp"),
		"GITEA_WORK_DIR=" + g.dir,
		"GITEA_CUSTOM=" + filepath.Join(g.dir, "custom"),
	}
}

// appendLog appends text to the log file, ignoring errors: the log is only
// a diagnostic.
func (g *Gitea) appendLog(text string) {
	f, err := os.OpenFile(g.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return
	}
	defer f.Close()
	_, _ = f.WriteString(text)
}

// logOnFailure logs the tail of Gitea's log if t failed.
func (g *Gitea) logOnFailure(t testing.TB) {
	if t.Failed() {
		t.Logf("testenv: gitea log %s:\n%s", g.logPath, tail(g.logPath))
	}
}

// Start starts `gitea web` on the instance's address and waits until
// /api/healthz answers; it does nothing if Gitea is running. After Stop it
// ends an outage: clients holding URL reconnect, and the data is what it
// was (a restart takes about 0.4 s). t only reports failures; the process
// stops when the test that started the instance ends.
func (g *Gitea) Start(t testing.TB) {
	t.Helper()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.web != nil {
		return
	}
	f, err := os.OpenFile(g.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	cmd := exec.Command(g.bin, "--work-path", g.dir, "--config", g.config, "web")
	cmd.Dir, cmd.Env = g.dir, g.env()
	cmd.Stdout, cmd.Stderr = f, f
	// Its own process group (stop kills git children too); killed if the
	// test binary dies without running its cleanups.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("testenv: start gitea web: %v", err)
	}
	p := &process{name: "gitea", cmd: cmd, log: g.logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	g.web = p
	p.waitReady(t, g.client, g.URL+"/api/healthz", "")
}

// Stop stops `gitea web` (SIGTERM to its process group, SIGKILL after a
// grace period) and waits for it: the port refuses connections until Start.
// It is safe to call when already stopped.
func (g *Gitea) Stop() {
	g.mu.Lock()
	p := g.web
	g.web = nil
	g.mu.Unlock()
	if p != nil {
		p.stop()
	}
}

// createToken creates an API token with every scope for User, with basic
// auth, and returns it.
func (g *Gitea) createToken(t testing.TB) string {
	t.Helper()
	var tok struct {
		Token string `json:"sha1"`
	}
	body := map[string]any{"name": "testenv-" + randomHex(t, 4), "scopes": []string{"all"}}
	status, data, err := g.do(http.MethodPost, "/users/"+g.User+"/tokens", body, func(r *http.Request) {
		r.SetBasicAuth(g.User, g.Password)
	})
	if err != nil {
		t.Fatalf("testenv: gitea: create a token: %v", err)
	}
	if status != http.StatusCreated {
		t.Fatalf("testenv: gitea: create a token: status %d: %s", status, data)
	}
	if err := json.Unmarshal(data, &tok); err != nil || tok.Token == "" {
		t.Fatalf("testenv: gitea: create a token: no token in %s (%v)", data, err)
	}
	return tok.Token
}

// API sends a JSON request to Gitea's REST API with the token and returns
// the status. path is relative to /api/v1 ("/repos/OWNER/REPO/pulls", a
// query string allowed); body, when non-nil, is sent as JSON. When out is
// non-nil and the status is 2xx, the response is decoded into it. Transport
// errors and undecodable responses fail the test; any other status is
// returned (and the response logged) for the test to judge.
func (g *Gitea) API(t testing.TB, method, path string, body, out any) int {
	t.Helper()
	status, data, err := g.do(method, path, body, func(r *http.Request) {
		r.Header.Set("Authorization", "token "+g.Token)
	})
	if err != nil {
		t.Fatalf("testenv: gitea %s %s: %v", method, path, err)
	}
	if status/100 != 2 {
		t.Logf("testenv: gitea %s %s: status %d: %s", method, path, status, data)
		return status
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("testenv: gitea %s %s: decode %T: %v\n%s", method, path, out, err, data)
		}
	}
	return status
}

// do sends one request to /api/v1 + path, with auth adding credentials,
// and returns the status and the whole response body.
func (g *Gitea) do(method, path string, body any, auth func(*http.Request)) (int, []byte, error) {
	var reader io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		reader = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), giteaRequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, g.URL+"/api/v1"+path, reader)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	auth(req)
	resp, err := g.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, data, nil
}

// CreateRepo creates the empty repository name owned by User (no initial
// commit; its default branch is main, which exists once pushed) and
// returns its clone URL with credentials (CloneURL).
func (g *Gitea) CreateRepo(t testing.TB, name string) string {
	t.Helper()
	body := map[string]any{"name": name, "default_branch": "main", "auto_init": false, "private": false}
	if status := g.API(t, http.MethodPost, "/user/repos", body, nil); status != http.StatusCreated {
		t.Fatalf("testenv: gitea: create repository %s: status %d", name, status)
	}
	return g.CloneURL(name)
}

// CloneURL returns the HTTP clone URL of User's repository name with User
// and Password embedded, usable by the git CLI and go-git to push.
func (g *Gitea) CloneURL(name string) string {
	u, err := url.Parse(g.CloneURLWithoutAuth(name))
	if err != nil {
		panic(err) // URL is ours and well-formed
	}
	u.User = url.UserPassword(g.User, g.Password)
	return u.String()
}

// CloneURLWithoutAuth returns the HTTP clone URL of User's repository name
// without credentials (public repositories clone anonymously; pushes need
// credentials given some other way).
func (g *Gitea) CloneURLWithoutAuth(name string) string {
	return g.URL + "/" + g.User + "/" + name + ".git"
}

// AddWebhook adds to User's repository repo a webhook of type "gitea" that
// POSTs JSON to url for every pull-request event (opened, closed, merged,
// synchronized, reviews, comments), signed with secret (the
// X-Gitea-Signature header is hex(HMAC-SHA256(secret, body))), and returns
// its ID. url may be on loopback.
func (g *Gitea) AddWebhook(t testing.TB, repo, url, secret string) int64 {
	t.Helper()
	body := map[string]any{
		"type":   "gitea",
		"config": map[string]string{"url": url, "content_type": "json", "secret": secret},
		"events": []string{"pull_request"},
		"active": true, // the API's default is an inactive hook
	}
	var hook struct {
		ID int64 `json:"id"`
	}
	if status := g.API(t, http.MethodPost, "/repos/"+g.User+"/"+repo+"/hooks", body, &hook); status != http.StatusCreated {
		t.Fatalf("testenv: gitea: add a webhook to %s: status %d", repo, status)
	}
	return hook.ID
}
