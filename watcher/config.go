package watcher

import (
	"fmt"
	"os"
	"time"

	nephv1 "github.com/nephoran/nephoran/api/v1"
)

// Config is the optional YAML file of `nephoran watch --config`. Flags given
// on the command line win over it; parsing is strict, so a misspelt key is an
// error that names it.
type Config struct {
	Listen   string      `json:"listen,omitempty"`
	Data     string      `json:"data,omitempty"`
	Packages string      `json:"packages,omitempty"`
	VES      VESConfig   `json:"ves,omitempty"`
	Store    StoreConfig `json:"store,omitempty"`
}

// VESConfig configures the VES Event Listener.
type VESConfig struct {
	// MaxBodyBytes bounds a request body; default 2 MiB (POL9003 above it).
	MaxBodyBytes int64 `json:"maxBodyBytes,omitempty"`
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
	return c, nil
}
