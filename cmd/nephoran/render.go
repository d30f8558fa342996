package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/nephoran/nephoran/pipeline"
)

func newRenderCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "render DIR...",
		Short: "Run each package's Kptfile pipeline in process and write it back on success",
		Long: `render runs the Kptfile pipeline of each package with the built-in functions
(images ghcr.io/nephoran/<function>, any tag or digest). A package is written back
only when every function succeeded; otherwise it is left as it was. Packages
whose pipeline uses other images must be rendered with kpt fn render.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, dirs []string) error {
			failed := 0
			for _, dir := range dirs {
				if err := renderPackage(cmd, dir); err != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "%s: %v\n", dir, err)
					failed++
				}
			}
			if failed > 0 {
				return fmt.Errorf("%d of %d packages failed", failed, len(dirs))
			}
			return nil
		},
	}
}

func renderPackage(cmd *cobra.Command, dir string) error {
	pkg, err := pipeline.Load(dir)
	if err != nil {
		return err
	}
	steps, err := pkg.Render()
	printSteps(cmd.OutOrStdout(), dir, steps)
	if err != nil {
		return err
	}
	return pkg.Write()
}
