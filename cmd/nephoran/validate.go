package main

import (
	"fmt"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"github.com/spf13/cobra"

	validatecnf "github.com/nephoran/nephoran/functions/validate-cnf"
	"github.com/nephoran/nephoran/pipeline"
)

func newValidateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "validate DIR...",
		Short: "Validate the CNFDeployments, CNFIntents and deployable objects of each package",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, dirs []string) error {
			failed := 0
			for _, dir := range dirs {
				pkg, err := pipeline.Load(dir)
				if err != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "%s: %v\n", dir, err)
					failed++
					continue
				}
				step, err := pkg.Run(pipeline.Image("validate-cnf"), fn.ResourceListProcessorFunc(validatecnf.Process), nil, false)
				printSteps(cmd.OutOrStdout(), dir, []pipeline.Step{step})
				if err != nil {
					failed++
				}
			}
			if failed > 0 {
				return fmt.Errorf("%d of %d packages failed validation", failed, len(dirs))
			}
			return nil
		},
	}
}
