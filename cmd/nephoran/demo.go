package main

import (
	"github.com/spf13/cobra"

	"github.com/nephoran/nephoran/demo"
)

func newDemoCommand() *cobra.Command {
	var opts demo.Options
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "The closed loop on an embedded default: signals in, reviewable Git proposals out",
		Long: `demo seeds a bare Git repository (DIR/deploy.git, HEAD main) with a DU, a CU-UP and a UPF
rendered from the blueprints, starts the watcher on 127.0.0.1 with the Git backend and the plan's
example rules, and replays the bundled traces at accelerated time: a PRB ramp on one gNB and a
LINK_DOWN storm. It prints each proposal (branch, commit message, the cnf.yaml diff) and each
suppression, and leaves the repository for you to inspect with git.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Out = cmd.OutOrStdout()
			return demo.Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Forge.Kind, "forge", "", "run against a forge instead of the embedded repository: gitea (a new repository is created there; each proposal becomes a pull request)")
	cmd.Flags().StringVar(&opts.Forge.URL, "forge-url", "", "the forge's base URL, e.g. http://127.0.0.1:3000")
	cmd.Flags().StringVar(&opts.Forge.TokenFile, "forge-token-file", "", "file holding a forge access token allowed to create repositories and pull requests")
	cmd.Flags().StringVar(&opts.Workdir, "workdir", "", "directory for deploy.git, the rules and the watcher's data (created if missing, must be empty; default: a new temporary directory)")
	return cmd
}
