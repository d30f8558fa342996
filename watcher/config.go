package watcher

import (
	"bytes"
	"fmt"
	"os"
	"time"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/watcher/auth"
	"github.com/nephoran/nephoran/watcher/ingest/kpm/promsource"
	porchprop "github.com/nephoran/nephoran/watcher/propose/porch"
)

// Config is the optional YAML file of `nephoran watch --config`. Flags given
// on the command line win over it; parsing is strict, so a misspelt key is an
// error that names it.
type Config struct {
	Listen   string        `json:"listen,omitempty"`
	Data     string        `json:"data,omitempty"`
	Packages string        `json:"packages,omitempty"`
	Rules    string        `json:"rules,omitempty"`
	VES      VESConfig     `json:"ves,omitempty"`
	Webhook  WebhookConfig `json:"webhook,omitempty"`
	Auth     auth.Config   `json:"auth,omitempty"`
	RIC      RICConfig     `json:"ric,omitempty"`
	KPM      KPMConfig     `json:"kpm,omitempty"`
	Store    StoreConfig   `json:"store,omitempty"`
	// Git, when set, is the deployment repository: its CNFDeployments are
	// the inventory (instead of --packages) and decisions are delivered to
	// it as proposal branches.
	Git *GitConfig `json:"git,omitempty"`
	// Porch, when set instead of Git, is the Porch repository of the
	// deployment packages: the CNFDeployments of their latest Published
	// revisions are the inventory and decisions are delivered as
	// PackageRevisions moved to Proposed.
	Porch *PorchConfig `json:"porch,omitempty"`
}

// PorchConfig points the watcher at a Porch repository. How to reach the
// API server (kubeconfig, in-cluster, or server with a token or a client
// certificate) is porch.Connection's.
type PorchConfig struct {
	porchprop.Connection
	// Namespace holds the repository's PackageRevisions (default
	// "default").
	Namespace string `json:"namespace,omitempty"`
	// Repository is the Porch Repository of the deployment packages.
	Repository string `json:"repository"`
	// Packages maps a CNF to its package path in the repository; a CNF not
	// listed is the package of its own name.
	Packages map[string]string `json:"packages,omitempty"`
	// Refresh is how often the inventory and the open proposals are read
	// again (Go duration, default 10s).
	Refresh string `json:"refresh,omitempty"`
}

// GitConfig points the watcher at the deployment repository.
type GitConfig struct {
	// URL of the repository (https://, http://, ssh://, user@host:path or a
	// local path). Credentials in the URL are never logged.
	URL string `json:"url"`
	// Branch is the deployment branch (default main).
	Branch string `json:"branch,omitempty"`
	// Path is the directory holding the packages (default: the root).
	Path string `json:"path,omitempty"`
	// BranchPrefix starts every proposal branch (default proposed/, Porch's
	// layout: proposed/<package path>/<decision id>).
	BranchPrefix string `json:"branchPrefix,omitempty"`
	// Auth names the files the credentials are read from.
	Auth GitAuth `json:"auth,omitempty"`
	// Refresh is how often the inventory and the open proposals are read
	// again from the repository (Go duration, default 10s); with a forge,
	// also how often its pull requests are reconciled.
	Refresh string `json:"refresh,omitempty"`
	// Forge, when set, opens a pull request for every proposal branch and
	// learns approvals (merged) and rejections (closed) from it.
	Forge *ForgeConfig `json:"forge,omitempty"`
}

// ForgeConfig names the forge hosting the deployment repository.
type ForgeConfig struct {
	// Kind is gitea or github.
	Kind string `json:"kind"`
	// URL is the forge's base URL (https://gitea.example.com; for GitHub
	// Enterprise https://ghe.example.com; empty for github.com).
	URL string `json:"url,omitempty"`
	// Owner and Repo name the deployment repository on the forge.
	Owner string `json:"owner"`
	Repo  string `json:"repo"`
	// TokenFile holds an access token with write access to pull requests
	// (read at start, never logged).
	TokenFile string `json:"tokenFile"`
	// Labels are added to every pull request besides nephoran/<action>
	// and nephoran/auto.
	Labels []string `json:"labels,omitempty"`
	// WebhookSecretFile holds the secret of the forge's webhook to POST
	// /api/v1/forge/events (pull request events); without it the endpoint
	// is off and only reconciliation (every refresh) sees reviews.
	WebhookSecretFile string `json:"webhookSecretFile,omitempty"`
}

// GitAuth names credential files; at most one of passwordFile, tokenFile
// and sshKeyFile.
type GitAuth struct {
	Username             string `json:"username,omitempty"`
	PasswordFile         string `json:"passwordFile,omitempty"`
	TokenFile            string `json:"tokenFile,omitempty"`
	SSHKeyFile           string `json:"sshKeyFile,omitempty"`
	SSHKeyPassphraseFile string `json:"sshKeyPassphraseFile,omitempty"`
	KnownHostsFile       string `json:"knownHostsFile,omitempty"`
}

// VESConfig configures the VES Event Listener.
type VESConfig struct {
	// MaxBodyBytes bounds a request body; default 2 MiB (POL9003 above it).
	MaxBodyBytes int64 `json:"maxBodyBytes,omitempty"`
	// Lenient accepts VES 5-era producers: the header is normalized and
	// validated, the domain block read best-effort, deviations stored.
	Lenient bool `json:"lenient,omitempty"`
}

// WebhookConfig turns on POST /api/v1/fcaps/events with an HMAC-SHA256
// signature. The secret is read from a file or an environment variable,
// never written in the config itself.
type WebhookConfig struct {
	SecretFile string `json:"secretFile,omitempty"`
	SecretEnv  string `json:"secretEnv,omitempty"`
}

// Secret returns the webhook secret, nil when the webhook is off.
func (w WebhookConfig) Secret() ([]byte, error) {
	switch {
	case w.SecretFile != "" && w.SecretEnv != "":
		return nil, fmt.Errorf("webhook: set secretFile or secretEnv, not both")
	case w.SecretFile != "":
		b, err := os.ReadFile(w.SecretFile)
		if err != nil {
			return nil, fmt.Errorf("webhook.secretFile: %w", err)
		}
		if s := bytes.TrimSpace(b); len(s) > 0 {
			return s, nil
		}
		return nil, fmt.Errorf("webhook.secretFile %s is empty", w.SecretFile)
	case w.SecretEnv != "":
		if v := os.Getenv(w.SecretEnv); v != "" {
			return []byte(v), nil
		}
		return nil, fmt.Errorf("webhook.secretEnv: the environment variable %s is empty or unset", w.SecretEnv)
	}
	return nil, nil
}

// StoreConfig configures the event store.
type StoreConfig struct {
	// Retention is a Go duration; default 168h (7 days).
	Retention string `json:"retention,omitempty"`
	// KPMRetention keeps recorded KPM reports (for `nephoran trace
	// export`) this long; a Go duration, default 24h (volume: 10k cells
	// reporting every second are ~250 GB a day).
	KPMRetention string `json:"kpmRetention,omitempty"`
}

// KPMConfig configures the KPM sources besides the push endpoint.
type KPMConfig struct {
	// Prometheus pulls KPM measurements from a Prometheus server that
	// scrapes a kpimon-style exporter.
	Prometheus *PrometheusPull `json:"prometheus,omitempty"`
}

// PrometheusPull is one instant PromQL query per measurement, polled on an
// interval; each sample's labels name its E2 node and cell.
type PrometheusPull struct {
	URL      string      `json:"url"`
	Interval string      `json:"interval"`
	Queries  []PromQuery `json:"queries"`
}

// PromQuery maps one PromQL query to a TS 28.552 measurement.
type PromQuery struct {
	Measurement string `json:"measurement"`
	PromQL      string `json:"promql"`
	NodeLabel   string `json:"nodeLabel"`
	CellLabel   string `json:"cellLabel"`
}

// source converts the pull settings to the promsource package's.
func (p PrometheusPull) source() (promsource.Config, error) {
	d, err := time.ParseDuration(p.Interval)
	if err != nil || d <= 0 {
		return promsource.Config{}, fmt.Errorf("kpm.prometheus.interval: %q is not a positive Go duration such as 15s", p.Interval)
	}
	c := promsource.Config{URL: p.URL, Interval: d}
	for _, q := range p.Queries {
		c.Queries = append(c.Queries, promsource.Query{Measurement: q.Measurement, PromQL: q.PromQL, NodeLabel: q.NodeLabel, CellLabel: q.CellLabel})
	}
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("kpm.prometheus: %w", err)
	}
	return c, nil
}

// LoadConfig reads and checks a config file.
func LoadConfig(path string) (Config, error) {
	var c Config
	data, err := os.ReadFile(path)
	if err != nil {
		return c, err
	}
	if errs := nephv1.DecodeStrict(data, &c, nil); len(errs) > 0 {
		return c, fmt.Errorf("%s: %w", path, errs.ToAggregate())
	}
	if c.Store.Retention != "" {
		if d, err := time.ParseDuration(c.Store.Retention); err != nil || d <= 0 {
			return c, fmt.Errorf("%s: store.retention: %q is not a positive Go duration such as 168h", path, c.Store.Retention)
		}
	}
	if c.Git != nil && c.Porch != nil {
		return c, fmt.Errorf("%s: git and porch are both set: the deployment is one or the other", path)
	}
	if p := c.Porch; p != nil {
		if p.Refresh != "" {
			if d, err := time.ParseDuration(p.Refresh); err != nil || d <= 0 {
				return c, fmt.Errorf("%s: porch.refresh: %q is not a positive Go duration such as 10s", path, p.Refresh)
			}
		}
	}
	if g := c.Git; g != nil {
		if g.URL == "" {
			return c, fmt.Errorf("%s: git.url is required when git is set", path)
		}
		if g.Refresh != "" {
			if d, err := time.ParseDuration(g.Refresh); err != nil || d <= 0 {
				return c, fmt.Errorf("%s: git.refresh: %q is not a positive Go duration such as 10s", path, g.Refresh)
			}
		}
		if f := g.Forge; f != nil {
			switch {
			case f.Kind != "gitea" && f.Kind != "github":
				return c, fmt.Errorf("%s: git.forge.kind: %q is not gitea or github", path, f.Kind)
			case f.Kind == "gitea" && f.URL == "":
				return c, fmt.Errorf("%s: git.forge.url is required for gitea", path)
			case f.Owner == "" || f.Repo == "":
				return c, fmt.Errorf("%s: git.forge.owner and git.forge.repo are required", path)
			case f.TokenFile == "":
				return c, fmt.Errorf("%s: git.forge.tokenFile is required", path)
			}
		}
	}
	if c.Store.KPMRetention != "" {
		if d, err := time.ParseDuration(c.Store.KPMRetention); err != nil || d <= 0 {
			return c, fmt.Errorf("%s: store.kpmRetention: %q is not a positive Go duration such as 24h", path, c.Store.KPMRetention)
		}
	}
	if c.VES.MaxBodyBytes < 0 {
		return c, fmt.Errorf("%s: ves.maxBodyBytes: must be positive", path)
	}
	if err := c.Auth.Validate(); err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	if p := c.KPM.Prometheus; p != nil {
		if _, err := p.source(); err != nil {
			return c, fmt.Errorf("%s: %w", path, err)
		}
	}
	return c, nil
}
