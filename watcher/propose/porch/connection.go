package porch

import (
	"errors"
	"fmt"
	"os"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Connection says how to reach the Kubernetes API server Porch is
// aggregated into. The zero value uses the in-cluster service account when
// running in a Pod, else the kubeconfig kubectl would use ($KUBECONFIG,
// then ~/.kube/config).
type Connection struct {
	// Kubeconfig is a kubeconfig file (token, client certificate or exec
	// credentials, as kubectl reads them); Context one of its contexts.
	Kubeconfig string `json:"kubeconfig,omitempty"`
	Context    string `json:"context,omitempty"`
	// Server is the API server's URL, used instead of a kubeconfig with
	// TokenFile (a bearer token, read again when it rotates) or
	// ClientCertFile and ClientKeyFile, and CAFile to verify the server.
	Server         string `json:"server,omitempty"`
	TokenFile      string `json:"tokenFile,omitempty"`
	ClientCertFile string `json:"clientCertFile,omitempty"`
	ClientKeyFile  string `json:"clientKeyFile,omitempty"`
	CAFile         string `json:"caFile,omitempty"`
	// QPS and Burst limit the requests to the API server (default
	// DefaultQPS and DefaultBurst).
	QPS   float32 `json:"qps,omitempty"`
	Burst int     `json:"burst,omitempty"`
}

// Client-side rate limits of the Porch client by default. client-go's own
// (5 requests a second, bursts of 10) would make a proposal (six to eight
// requests) wait for the inventory refresh; 100 a second allow about 15
// proposals a second.
const (
	DefaultQPS   = 100
	DefaultBurst = 200
)

// RESTConfig builds the client configuration. Credentials stay in their
// files: nothing here logs or returns them.
func (c Connection) RESTConfig() (*rest.Config, error) {
	cfg, err := c.restConfig()
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = DefaultQPS, DefaultBurst
	if c.QPS > 0 {
		cfg.QPS = c.QPS
	}
	if c.Burst > 0 {
		cfg.Burst = c.Burst
	}
	return cfg, nil
}

func (c Connection) restConfig() (*rest.Config, error) {
	switch {
	case c.Server != "":
		if c.Kubeconfig != "" {
			return nil, errors.New("porch: set server or kubeconfig, not both")
		}
		if (c.ClientCertFile == "") != (c.ClientKeyFile == "") {
			return nil, errors.New("porch: clientCertFile and clientKeyFile go together")
		}
		for _, f := range []string{c.TokenFile, c.ClientCertFile, c.ClientKeyFile, c.CAFile} {
			if f == "" {
				continue
			}
			if _, err := os.Stat(f); err != nil {
				return nil, fmt.Errorf("porch: %w", err)
			}
		}
		return &rest.Config{
			Host:            c.Server,
			BearerTokenFile: c.TokenFile,
			TLSClientConfig: rest.TLSClientConfig{CertFile: c.ClientCertFile, KeyFile: c.ClientKeyFile, CAFile: c.CAFile},
		}, nil
	case c.TokenFile != "" || c.ClientCertFile != "" || c.ClientKeyFile != "" || c.CAFile != "":
		return nil, errors.New("porch: tokenFile, clientCertFile, clientKeyFile and caFile need server")
	case c.Kubeconfig == "" && c.Context == "" && os.Getenv("KUBERNETES_SERVICE_HOST") != "":
		cfg, err := rest.InClusterConfig()
		if err != nil {
			return nil, fmt.Errorf("porch: in-cluster configuration: %w", err)
		}
		return cfg, nil
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = c.Kubeconfig
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules,
		&clientcmd.ConfigOverrides{CurrentContext: c.Context}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("porch: kubeconfig: %w", err)
	}
	return cfg, nil
}
