package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"github.com/spf13/cobra"

	"github.com/nephoran/nephoran/pipeline"
)

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "nephoran",
		Short:         "GitOps for O-RAN network functions: render, change and validate CNF packages",
		SilenceUsage:  true,
		SilenceErrors: false,
		Version:       pipeline.Version,
	}
	root.AddCommand(newRenderCommand(), newIntentCommand(), newValidateCommand(), newWatchCommand(), newReplayCommand(), newDemoCommand(), newHashPasswordCommand(), newTraceCommand())
	return root
}

// printSteps prints every function's results the way kpt does, one per line.
func printSteps(w io.Writer, dir string, steps []pipeline.Step) {
	for _, s := range steps {
		status := "ok"
		if s.Failed {
			status = "FAILED"
		}
		fmt.Fprintf(w, "%s: %s %s\n", dir, s.Function, status)
		printResults(w, s.Results)
	}
}

func printResults(w io.Writer, rs fn.Results) {
	for _, r := range rs {
		// Messages start with their field for kpt's output; String() prints
		// the field already.
		r := *r
		if r.Field != nil {
			r.Message = strings.TrimPrefix(r.Message, r.Field.Path+": ")
		}
		line := "  " + r.String()
		if r.File != nil && r.File.Path != "" {
			line += " (" + r.File.Path + ")"
		}
		fmt.Fprintln(w, line)
	}
}
