package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/nephoran/nephoran/watcher"
)

// Forge points the demo at a forge instead of the embedded bare
// repository: it creates a new repository there, pushes the seeded network
// to it, and the watcher opens a pull request per proposal.
type Forge struct {
	// Kind is the forge; gitea is the one the demo can create a
	// repository on.
	Kind string
	// URL is the forge's base URL, TokenFile a file holding an access token
	// allowed to create repositories and pull requests.
	URL, TokenFile string
}

// forgeRepo is the repository the demo made on the forge.
type forgeRepo struct {
	owner, name string
	cloneURL    string // without credentials
	webURL      string
	token       string
}

// createForgeRepo creates an empty repository named after the demo's
// start on the forge, for the token's user, and pushes bare's main to it.
func createForgeRepo(ctx context.Context, f Forge, bare string) (*forgeRepo, error) {
	if f.Kind != "gitea" {
		return nil, fmt.Errorf("--forge %q: the demo creates its repository on gitea only", f.Kind)
	}
	b, err := os.ReadFile(f.TokenFile)
	if err != nil {
		return nil, fmt.Errorf("--forge-token-file: %w", err)
	}
	r := &forgeRepo{token: strings.TrimSpace(string(b))}
	base := strings.TrimRight(f.URL, "/")
	var user struct {
		Login string `json:"login"`
	}
	if err := giteaAPI(ctx, base, r.token, http.MethodGet, "/user", nil, &user); err != nil {
		return nil, err
	}
	var repo struct {
		Name     string `json:"name"`
		CloneURL string `json:"clone_url"`
		HTMLURL  string `json:"html_url"`
	}
	name := "nephoran-demo-" + time.Now().UTC().Format("20060102-150405")
	if err := giteaAPI(ctx, base, r.token, http.MethodPost, "/user/repos",
		map[string]any{"name": name, "default_branch": "main", "description": "nephoran demo: proposals as pull requests"}, &repo); err != nil {
		return nil, err
	}
	r.owner, r.name, r.cloneURL, r.webURL = user.Login, repo.Name, repo.CloneURL, repo.HTMLURL
	src, err := git.PlainOpen(bare)
	if err != nil {
		return nil, err
	}
	if _, err := src.CreateRemote(&config.RemoteConfig{Name: "forge", URLs: []string{r.cloneURL}}); err != nil {
		return nil, err
	}
	if err := src.PushContext(ctx, &git.PushOptions{RemoteName: "forge", RefSpecs: []config.RefSpec{"refs/heads/main:refs/heads/main"},
		Auth: &githttp.BasicAuth{Username: r.owner, Password: r.token}}); err != nil {
		return nil, fmt.Errorf("push the seed to %s: %w", r.cloneURL, err)
	}
	// Gitea serves pull requests of a repository once it no longer counts
	// it empty, which it updates after the push.
	for deadline := time.Now().Add(10 * time.Second); ; {
		var got struct {
			Empty bool `json:"empty"`
		}
		err := giteaAPI(ctx, base, r.token, http.MethodGet, "/repos/"+url.PathEscape(r.owner)+"/"+url.PathEscape(r.name), nil, &got)
		if err == nil && !got.Empty {
			return r, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%s still empty after the push (%v)", r.webURL, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// gitConfig is the watcher's git section for the forge repository; the
// token goes to a file in dir (credentials never sit in a URL or config).
func (r *forgeRepo) gitConfig(f Forge, dir string) (*watcher.GitConfig, error) {
	tokenFile := filepath.Join(dir, "forge-token")
	if err := os.WriteFile(tokenFile, []byte(r.token), 0o600); err != nil {
		return nil, err
	}
	return &watcher.GitConfig{
		URL: r.cloneURL, Path: packagesPath, Refresh: "2s",
		Auth:  watcher.GitAuth{Username: r.owner, TokenFile: tokenFile},
		Forge: &watcher.ForgeConfig{Kind: f.Kind, URL: f.URL, Owner: r.owner, Repo: r.name, TokenFile: tokenFile},
	}, nil
}

// fetchInto copies the forge repository's branches into bare, so the
// report reads the proposals the watcher pushed there.
func (r *forgeRepo) fetchInto(ctx context.Context, bare string) error {
	repo, err := git.PlainOpen(bare)
	if err != nil {
		return err
	}
	err = repo.FetchContext(ctx, &git.FetchOptions{RemoteName: "forge", Force: true,
		RefSpecs: []config.RefSpec{"+refs/heads/*:refs/heads/*"},
		Auth:     &githttp.BasicAuth{Username: r.owner, Password: r.token}})
	if err != nil && err != git.NoErrAlreadyUpToDate {
		return fmt.Errorf("fetch the proposals from %s: %w", r.cloneURL, err)
	}
	return nil
}

// pullRequests prints the repository's pull requests.
func (r *forgeRepo) pullRequests(ctx context.Context, out io.Writer, base string) error {
	var prs []struct {
		Number  int    `json:"number"`
		Title   string `json:"title"`
		HTMLURL string `json:"html_url"`
		Head    struct {
			Ref string `json:"ref"`
		} `json:"head"`
	}
	path := fmt.Sprintf("/repos/%s/%s/pulls?state=all&limit=50", url.PathEscape(r.owner), url.PathEscape(r.name))
	if err := giteaAPI(ctx, strings.TrimRight(base, "/"), r.token, http.MethodGet, path, nil, &prs); err != nil {
		return err
	}
	fmt.Fprintf(out, "\n== %d pull requests on %s\n", len(prs), r.webURL)
	for _, pr := range prs {
		fmt.Fprintf(out, "   #%d %s\n      %s (%s)\n", pr.Number, pr.Title, pr.HTMLURL, pr.Head.Ref)
	}
	return nil
}

// giteaAPI sends one request to Gitea's REST API v1 with the token; the
// token never appears in an error.
func giteaAPI(ctx context.Context, base, token, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+"/api/v1"+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "token "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(b)))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}
