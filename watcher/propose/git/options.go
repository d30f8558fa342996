package git

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
)

// Defaults of Options.
const (
	DefaultBranch       = "main"
	DefaultBranchPrefix = "proposed/"
	DefaultAuthorName   = "nephoran-watcher"
	DefaultAuthorEmail  = "watcher@nephoran.invalid"
	// DefaultTokenUser is the HTTP basic user a token is sent with: forges
	// take a token as the basic password and ignore or expect this user.
	DefaultTokenUser = "x-access-token"
)

// Options configure a Proposer.
type Options struct {
	// URL is the deployment repository (https://, http://, ssh:// or
	// user@host:path). Credentials in an http(s) URL are used when Auth
	// names no file; they are never logged or returned in an error.
	URL string
	// Branch is the deployment branch (default main).
	Branch string
	// Path is the directory inside the repository that holds the packages
	// ("" for the root). Only CNFDeployments under it are the inventory.
	Path string
	// BranchPrefix starts every proposal branch (default proposed/).
	BranchPrefix string
	// Auth names the files credentials are read from.
	Auth Auth
	// Dir is the local state: a bare clone, reused across restarts
	// (typically under the watcher's data directory). Required.
	Dir string
	// AuthorName and AuthorEmail sign the commits (default
	// nephoran-watcher <watcher@nephoran.invalid>).
	AuthorName, AuthorEmail string
	// Repository is the repository's name in the kpt commit annotation's
	// edit task (default: the URL's last path element without .git).
	Repository string
	// LeaveAutoUnmerged pushes auto proposals as branches like manual
	// ones: the review stage merges their pull requests through the forge.
	LeaveAutoUnmerged bool
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger gets one line per pushed proposal or merge (default: discard).
	Logger *slog.Logger
}

// Auth says where the credentials are. At most one of PasswordFile,
// TokenFile and SSHKeyFile is set. Files are read again for every operation,
// so a rotated secret (a re-mounted Kubernetes Secret) is picked up.
type Auth struct {
	// Username is the HTTP basic user of PasswordFile or TokenFile
	// (default for a token: x-access-token), or the SSH user (default: the
	// URL's, else git).
	Username string
	// PasswordFile holds an HTTP basic password.
	PasswordFile string
	// TokenFile holds a forge access token, sent as the HTTP basic
	// password.
	TokenFile string
	// SSHKeyFile holds a PEM or OpenSSH private key.
	SSHKeyFile string
	// SSHKeyPassphraseFile holds the key's passphrase, if it has one.
	SSHKeyPassphraseFile string
	// KnownHostsFile lists the SSH server's host keys (default: SSH's
	// known_hosts locations).
	KnownHostsFile string
}

func (o Options) withDefaults() (Options, error) {
	if o.URL == "" {
		return o, errors.New("git proposer: URL is required")
	}
	if o.Dir == "" {
		return o, errors.New("git proposer: Dir (the local state directory) is required")
	}
	if o.Branch == "" {
		o.Branch = DefaultBranch
	}
	if o.BranchPrefix == "" {
		o.BranchPrefix = DefaultBranchPrefix
	}
	if !strings.HasSuffix(o.BranchPrefix, "/") {
		o.BranchPrefix += "/"
	}
	o.Path = strings.Trim(path.Clean("/"+strings.ReplaceAll(o.Path, "\\", "/")), "/")
	if o.AuthorName == "" {
		o.AuthorName = DefaultAuthorName
	}
	if o.AuthorEmail == "" {
		o.AuthorEmail = DefaultAuthorEmail
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	n := 0
	for _, f := range []string{o.Auth.PasswordFile, o.Auth.TokenFile, o.Auth.SSHKeyFile} {
		if f != "" {
			n++
		}
	}
	if n > 1 {
		return o, errors.New("git proposer: set only one of Auth.PasswordFile, Auth.TokenFile and Auth.SSHKeyFile")
	}
	return o, nil
}

// remote is the repository's address without credentials, and the
// credentials, kept apart so that only redacted text ever leaves.
type remote struct {
	url      string // given to go-git: no userinfo password
	redacted string // for logs and errors
	name     string // for the kpt annotation
	auth     Auth
	urlUser  string
	urlPass  string

	mu      sync.Mutex
	secrets []string // every secret read so far, masked in errors
}

func newRemote(raw string, a Auth) (*remote, error) {
	r := &remote{url: raw, redacted: raw, auth: a}
	if u, err := url.Parse(raw); err == nil && u.Scheme != "" && u.Host != "" {
		if u.User != nil {
			r.urlUser = u.User.Username()
			if p, ok := u.User.Password(); ok {
				r.urlPass = p
				r.remember(p)
			}
		}
		r.redacted = u.Redacted()
		if u.Scheme == "http" || u.Scheme == "https" {
			u.User = nil // credentials travel in the Authorization header only
		} else if u.User != nil {
			u.User = url.User(u.User.Username())
		}
		r.url = u.String()
		r.name = strings.TrimSuffix(path.Base(u.Path), ".git")
	} else if i := strings.LastIndex(raw, ":"); i >= 0 { // scp-like user@host:path
		r.name = strings.TrimSuffix(path.Base(raw[i+1:]), ".git")
	}
	if r.name == "" || r.name == "." || r.name == "/" {
		r.name = "repository"
	}
	if _, err := transport.NewEndpoint(r.url); err != nil {
		return nil, fmt.Errorf("repository URL %s: %w", r.redacted, r.mask(err))
	}
	return r, nil
}

// method reads the credentials and returns go-git's auth method for them
// (nil: anonymous).
func (r *remote) method() (transport.AuthMethod, error) {
	a := r.auth
	switch {
	case a.PasswordFile != "":
		p, err := r.readSecret("Auth.PasswordFile", a.PasswordFile)
		if err != nil {
			return nil, err
		}
		return &githttp.BasicAuth{Username: firstNonEmpty(a.Username, r.urlUser), Password: p}, nil
	case a.TokenFile != "":
		tok, err := r.readSecret("Auth.TokenFile", a.TokenFile)
		if err != nil {
			return nil, err
		}
		return &githttp.BasicAuth{Username: firstNonEmpty(a.Username, DefaultTokenUser), Password: tok}, nil
	case a.SSHKeyFile != "":
		pem, err := os.ReadFile(a.SSHKeyFile)
		if err != nil {
			return nil, fmt.Errorf("read Auth.SSHKeyFile: %w", err)
		}
		var pass string
		if a.SSHKeyPassphraseFile != "" {
			if pass, err = r.readSecret("Auth.SSHKeyPassphraseFile", a.SSHKeyPassphraseFile); err != nil {
				return nil, err
			}
		}
		keys, err := gitssh.NewPublicKeys(firstNonEmpty(a.Username, r.urlUser, "git"), pem, pass)
		if err != nil {
			return nil, fmt.Errorf("Auth.SSHKeyFile %s: %w", a.SSHKeyFile, r.mask(err))
		}
		if a.KnownHostsFile != "" {
			cb, err := gitssh.NewKnownHostsCallback(a.KnownHostsFile)
			if err != nil {
				return nil, fmt.Errorf("Auth.KnownHostsFile %s: %w", a.KnownHostsFile, err)
			}
			keys.HostKeyCallback = cb
		}
		return keys, nil
	case r.urlPass != "" || r.urlUser != "":
		if strings.HasPrefix(r.url, "http") {
			return &githttp.BasicAuth{Username: r.urlUser, Password: r.urlPass}, nil
		}
	}
	return nil, nil
}

// readSecret reads a one-line secret file (surrounding space trimmed).
func (r *remote) readSecret(what, file string) (string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", what, err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("%s %s is empty", what, file)
	}
	r.remember(s)
	return s, nil
}

func (r *remote) remember(secret string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.secrets {
		if s == secret {
			return
		}
	}
	r.secrets = append(r.secrets, secret)
}

// mask returns err with every known secret (raw or URL-escaped) replaced;
// errors.Is and errors.As still see the original chain.
func (r *remote) mask(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	masked := msg
	r.mu.Lock()
	for _, s := range r.secrets {
		for _, form := range []string{s, url.QueryEscape(s), url.PathEscape(s), url.UserPassword("u", s).String()[2:]} {
			if form != "" {
				masked = strings.ReplaceAll(masked, form, "xxxxx")
			}
		}
	}
	r.mu.Unlock()
	if masked == msg {
		return err
	}
	return &maskedError{msg: masked, err: err}
}

type maskedError struct {
	msg string
	err error
}

func (e *maskedError) Error() string { return e.msg }
func (e *maskedError) Unwrap() error { return e.err }

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
