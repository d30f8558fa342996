package porch

import (
	"errors"
	"log/slog"
	"time"

	"k8s.io/client-go/rest"
)

// Options configure a Proposer.
type Options struct {
	// Config reaches the Kubernetes API server Porch is aggregated into
	// (the caller builds it from a kubeconfig or in-cluster).
	Config *rest.Config
	// Namespace holds the PackageRevisions (default "default").
	Namespace string
	// Repository is the Porch repository of the deployment packages
	// (required).
	Repository string
	// PackagePath maps a CNF to its package path in Repository (default:
	// the CNF's name).
	PackagePath func(cnf string) string
	// Now stamps intents without spec.at and proposals (default time.Now).
	Now func() time.Time
	// Logger (default slog.Default()).
	Logger *slog.Logger
}

// Packages is a PackagePath from a table, the CNF's name for a CNF not in
// it.
func Packages(m map[string]string) func(cnf string) string {
	return func(cnf string) string {
		if p, ok := m[cnf]; ok {
			return p
		}
		return cnf
	}
}

func (o Options) withDefaults() (Options, error) {
	if o.Config == nil {
		return o, errors.New("porch: Options.Config is required")
	}
	if o.Repository == "" {
		return o, errors.New("porch: Options.Repository is required")
	}
	if o.Namespace == "" {
		o.Namespace = "default"
	}
	if o.PackagePath == nil {
		o.PackagePath = func(cnf string) string { return cnf }
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o, nil
}
