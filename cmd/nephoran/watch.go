package main

import (
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/nephoran/nephoran/watcher"
)

func newWatchCommand() *cobra.Command {
	var opts watcher.Options
	var configPath string
	var git watcher.GitConfig
	var porch watcher.PorchConfig
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "Run the watcher: VES and E2SM-KPM ingest, the durable event store, /metrics",
		Long: `watch serves the VES Event Listener 7.2.1 (POST /eventListener/v7 and
/eventListener/v7/eventBatch), E2SM-KPM report push (POST /api/v1/kpm/reports) and readout
(GET /api/v1/metrics/e2/kpm/{nodeId}), the event query API (GET /api/v1/fcaps/events),
the decision audit (GET /api/v1/decisions), /metrics, /healthz and /readyz on one HTTP
server. A 202 means the event is on disk. Rules under --rules are evaluated on every
accepted event and every closed 30 s KPM window; a change to them applies within 10 s.
With --git-url (or --porch-repository) the inventory comes from the deployment and
decisions are delivered to it as proposal branches (or Proposed PackageRevisions).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if configPath != "" {
				c, err := watcher.LoadConfig(configPath)
				if err != nil {
					return err
				}
				opts.Config = c
				f := cmd.Flags()
				if !f.Changed("listen") && c.Listen != "" {
					opts.Listen = c.Listen
				}
				if !f.Changed("data") && c.Data != "" {
					opts.Data = c.Data
				}
				if !f.Changed("packages") && c.Packages != "" {
					opts.Packages = c.Packages
				}
				if !f.Changed("rules") && c.Rules != "" {
					opts.Rules = c.Rules
				}
			}
			// --git-* flags win over the config's git section.
			if f := cmd.Flags(); f.Changed("git-url") {
				g := git
				if c := opts.Config.Git; c != nil {
					g.Auth, g.BranchPrefix, g.Refresh = c.Auth, c.BranchPrefix, c.Refresh
					if !f.Changed("git-branch") {
						g.Branch = c.Branch
					}
					if !f.Changed("git-path") {
						g.Path = c.Path
					}
				}
				opts.Config.Git = &g
			}
			// --porch-* flags win over the config's porch section.
			if f := cmd.Flags(); f.Changed("porch-repository") {
				p := porch
				if c := opts.Config.Porch; c != nil {
					p.Packages, p.Refresh = c.Packages, c.Refresh
					if !f.Changed("kubeconfig") && !f.Changed("porch-context") {
						p.Connection = c.Connection
					}
					if !f.Changed("porch-namespace") {
						p.Namespace = c.Namespace
					}
				}
				opts.Config.Porch = &p
			}
			opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
			return watcher.Run(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Listen, "listen", "127.0.0.1:9990", "address of the HTTP server")
	f.StringVar(&opts.Data, "data", "./data", "state directory (created if missing)")
	f.StringVar(&opts.Packages, "packages", "", "directory whose CNFDeployments are the inventory")
	f.StringVar(&opts.Rules, "rules", "./rules", "directory of AutomationRule and FCAPSRule files, hot-reloaded (missing: no rules)")
	f.StringVar(&git.URL, "git-url", "", "deployment repository: its CNFDeployments are the inventory and decisions become proposal branches (credentials go in the config's git.auth files)")
	f.StringVar(&git.Branch, "git-branch", "main", "deployment branch")
	f.StringVar(&git.Path, "git-path", "", "directory of the packages inside the repository")
	f.StringVar(&porch.Repository, "porch-repository", "", "Porch repository of the deployment packages: the CNFDeployments of their latest Published revisions are the inventory and decisions become Proposed PackageRevisions")
	f.StringVar(&porch.Namespace, "porch-namespace", "default", "namespace of the Porch repository's PackageRevisions")
	f.StringVar(&porch.Kubeconfig, "kubeconfig", "", "kubeconfig of the cluster running Porch (default: in-cluster, else $KUBECONFIG or ~/.kube/config)")
	f.StringVar(&porch.Context, "porch-context", "", "kubeconfig context of the cluster running Porch")
	f.StringVar(&configPath, "config", "", "optional YAML config (flags win over it)")
	return cmd
}
