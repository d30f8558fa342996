package testenv

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"net"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// GitServer is a real Git smart-HTTP server for one test: `git
// http-backend` (the CGI program git itself ships) behind net/http/cgi on a
// 127.0.0.1 port, serving the bare repositories under Root. Pushes are
// enabled per repository (http.receivepack true), as on a forge.
//
// Stop and Start simulate an outage: while stopped the port refuses
// connections, and Start serves again on the same address, so clients
// holding the URL reconnect.
type GitServer struct {
	// Root is GIT_PROJECT_ROOT: repository <name> is the bare directory
	// Root/<name>.git.
	Root string

	addr    string
	backend http.Handler

	mu             sync.Mutex
	srv            *http.Server
	hook           func(*http.Request)
	user, password string
}

// gitIdentity is the author and committer of every commit the helpers make;
// the global and system git configuration is ignored, so a developer's
// settings (signing, hooks, default branch) never leak into a test.
var gitIdentity = []string{
	"GIT_AUTHOR_NAME=testenv", "GIT_AUTHOR_EMAIL=testenv@nephoran.invalid",
	"GIT_COMMITTER_NAME=testenv", "GIT_COMMITTER_EMAIL=testenv@nephoran.invalid",
	"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=" + os.DevNull,
	"GIT_TERMINAL_PROMPT=0",
}

// StartGitServer starts a GitServer with an empty Root in t.TempDir() on a
// free 127.0.0.1 port and stops it when the test ends. The git CLI must be
// installed (Debian's git package); a missing one fails the test.
func StartGitServer(t testing.TB) *GitServer {
	t.Helper()
	gitBin, err := exec.LookPath("git")
	if err != nil {
		t.Fatalf("testenv: git is not installed: %v", err)
	}
	execPath := Git(t, "", "--exec-path")
	backendBin := filepath.Join(execPath, "git-http-backend")
	if _, err := os.Stat(backendBin); err != nil {
		t.Fatalf("testenv: %s missing: %v", backendBin, err)
	}
	s := &GitServer{Root: t.TempDir()}
	home := t.TempDir()
	logPath := filepath.Join(home, "http-backend.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(func() {
		_ = logFile.Close()
		if t.Failed() {
			t.Logf("testenv: git http-backend log %s:\n%s", logPath, tail(logPath))
		}
	})
	s.backend = &cgi.Handler{
		Path:   backendBin,
		Root:   "/",
		Stderr: logFile, // refused pushes are expected in tests; show them only on failure
		Env: append([]string{
			"GIT_PROJECT_ROOT=" + s.Root,
			"GIT_HTTP_EXPORT_ALL=1",
			"HOME=" + home,
			"PATH=" + filepath.Dir(gitBin) + string(os.PathListSeparator) + os.Getenv("PATH"),
		}, gitIdentity...),
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	s.addr = ln.Addr().String()
	s.serve(ln)
	t.Cleanup(s.Stop)
	return s
}

// URL returns the clone URL of repository name.
func (s *GitServer) URL(name string) string {
	return "http://" + s.addr + "/" + name + ".git"
}

// Dir returns the bare directory of repository name.
func (s *GitServer) Dir(name string) string {
	return filepath.Join(s.Root, name+".git")
}

// RequireBasicAuth makes every request present these HTTP basic
// credentials; others get 401. An empty user turns the check off.
func (s *GitServer) RequireBasicAuth(user, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.user, s.password = user, password
}

// OnRequest calls f before serving each request (nil removes it). Tests use
// it to count requests or to change a repository between two requests of
// one client operation (a concurrent push).
func (s *GitServer) OnRequest(f func(*http.Request)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hook = f
}

// Stop stops serving: the listener and every open connection are closed.
// It is safe to call when already stopped.
func (s *GitServer) Stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// Start serves again on the address the server had. It retries briefly
// when the port is not free yet.
func (s *GitServer) Start(t testing.TB) {
	t.Helper()
	var ln net.Listener
	var err error
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if ln, err = net.Listen("tcp", s.addr); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatalf("testenv: listen again on %s: %v", s.addr, err)
	}
	s.serve(ln)
}

func (s *GitServer) serve(ln net.Listener) {
	srv := &http.Server{Handler: http.HandlerFunc(s.handle), ReadHeaderTimeout: 10 * time.Second}
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = ln.Close()
		}
	}()
}

func (s *GitServer) handle(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	hook, user, password := s.hook, s.user, s.password
	s.mu.Unlock()
	if user != "" {
		u, p, ok := r.BasicAuth()
		if !ok || subtle.ConstantTimeCompare([]byte(u), []byte(user)) != 1 ||
			subtle.ConstantTimeCompare([]byte(p), []byte(password)) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="testenv"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
	}
	if hook != nil {
		hook(r)
	}
	s.backend.ServeHTTP(w, r)
}

// CreateRepo creates the empty bare repository name, whose HEAD points at
// main and which accepts pushes over HTTP, and returns its directory. An
// existing repository is left as it is.
func (s *GitServer) CreateRepo(t testing.TB, name string) string {
	t.Helper()
	dir := s.Dir(name)
	if _, err := os.Stat(filepath.Join(dir, "HEAD")); err == nil {
		return dir
	}
	Git(t, "", "init", "--quiet", "--bare", "--initial-branch=main", dir)
	Git(t, dir, "config", "http.receivepack", "true")
	return dir
}

// SeedRepo commits the tree at srcDir into repository name (created if
// needed) at pathInRepo ("" for the root) on main, replacing what was
// there, and returns the new commit's hash. It works on the bare directory,
// not over HTTP, so it works while the server is stopped.
func (s *GitServer) SeedRepo(t testing.TB, name, srcDir, pathInRepo string) string {
	t.Helper()
	return s.Commit(t, name, "seed "+filepath.ToSlash(filepath.Join(".", pathInRepo)), func(work string) {
		dst := filepath.Join(work, filepath.FromSlash(pathInRepo))
		if pathInRepo != "" {
			if err := os.RemoveAll(dst); err != nil {
				t.Fatalf("testenv: %v", err)
			}
		}
		if err := os.CopyFS(dst, os.DirFS(srcDir)); err != nil {
			t.Fatalf("testenv: copy %s: %v", srcDir, err)
		}
	})
}

// Commit checks out main of repository name (created if needed) into a
// temporary worktree, lets change edit the files there, and commits and
// pushes every change to main with message. It returns the new head. Like
// SeedRepo it works on the bare directory, as another writer would.
func (s *GitServer) Commit(t testing.TB, name, message string, change func(worktree string)) string {
	t.Helper()
	bare := s.CreateRepo(t, name)
	work := filepath.Join(t.TempDir(), "work")
	Git(t, "", "clone", "--quiet", bare, work)
	Git(t, work, "symbolic-ref", "HEAD", "refs/heads/main")
	change(work)
	Git(t, work, "add", "--all")
	Git(t, work, "commit", "--quiet", "--allow-empty", "--no-verify", "-m", message)
	Git(t, work, "push", "--quiet", "origin", "HEAD:refs/heads/main")
	return Git(t, work, "rev-parse", "HEAD")
}

// Ref returns the hash ref points at in repository name ("" when it does
// not exist).
func (s *GitServer) Ref(t testing.TB, name, ref string) string {
	t.Helper()
	cmd := exec.Command("git", "rev-parse", "--verify", "--quiet", ref)
	cmd.Dir, cmd.Env = s.Dir(name), append(os.Environ(), gitIdentity...)
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// Git runs the git CLI in dir ("" for the current directory) with a fixed
// identity and no global or system configuration, and returns its trimmed
// standard output. A failure fails the test with git's standard error.
func Git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir, cmd.Env = dir, append(os.Environ(), gitIdentity...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("testenv: git %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(stdout.String())
}
