package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"github.com/spf13/cobra"

	validatecnf "github.com/nephoran/nephoran/functions/validate-cnf"
	"github.com/nephoran/nephoran/pipeline"
	"github.com/nephoran/nephoran/watcher/rules"
)

func newValidateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "validate DIR...",
		Short: "Validate packages (CNFDeployments, CNFIntents, rules, deployable objects) and rule directories",
		Long: `validate runs validate-cnf on each kpt package (a directory with a Kptfile). A
directory or file without a Kptfile is read as rules, as "nephoran watch --rules" loads them:
every problem is printed as file:line:col, and warnings (a string compared with a number)
say what to write instead.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, dirs []string) error {
			failed := 0
			for _, dir := range dirs {
				if _, err := os.Stat(filepath.Join(dir, "Kptfile")); err != nil {
					if err := validateRules(cmd, dir); err != nil {
						fmt.Fprintln(cmd.ErrOrStderr(), err)
						failed++
					}
					continue
				}
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
				return fmt.Errorf("%d of %d packages or rule directories failed validation", failed, len(dirs))
			}
			return nil
		},
	}
}

// validateRules loads path (a directory or one file) as the watcher loads
// its rules, printing the warnings; the error lists every problem.
func validateRules(cmd *cobra.Command, path string) error {
	if _, err := os.Stat(path); err != nil {
		return err
	}
	rs, err := rules.Load(path, rules.Options{Warn: func(p rules.Problem) {
		fmt.Fprintln(cmd.OutOrStdout(), p.String())
	}})
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s: %d rules valid\n", path, len(rs))
	return nil
}
