package watcher

import (
	"bytes"
	"fmt"
	"os"
	"time"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/watcher/auth"
)

// Config is the optional YAML file of `nephoran watch --config`. Flags given
// on the command line win over it; parsing is strict, so a misspelt key is an
// error that names it.
type Config struct {
	Listen   string        `json:"listen,omitempty"`
	Data     string        `json:"data,omitempty"`
	Packages string        `json:"packages,omitempty"`
	VES      VESConfig     `json:"ves,omitempty"`
	Webhook  WebhookConfig `json:"webhook,omitempty"`
	Auth     auth.Config   `json:"auth,omitempty"`
	RIC      RICConfig     `json:"ric,omitempty"`
	Store    StoreConfig   `json:"store,omitempty"`
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
	if c.VES.MaxBodyBytes < 0 {
		return c, fmt.Errorf("%s: ves.maxBodyBytes: must be positive", path)
	}
	if err := c.Auth.Validate(); err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}
