// Command kpt is the real kpt CLI (github.com/kptdev/kpt v1.0.0-beta.61)
// restricted to the `fn` and `pkg` command groups, which is what the test
// suite uses (`kpt fn render --allow-exec`, `kpt fn eval --exec`, `kpt pkg`).
//
// kpt's own main package cannot be built from the Go module proxy: it imports
// the `rollouts` submodule (through `kpt alpha`), which is not served. This
// main wires the same command constructors kpt's run.GetMain uses, minus
// `live` and `alpha`.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/kptdev/kpt/commands/fn"
	"github.com/kptdev/kpt/commands/pkg"
	kpterrors "github.com/kptdev/kpt/pkg/lib/errors"
	"github.com/kptdev/kpt/pkg/lib/errors/resolver"
	"github.com/kptdev/kpt/pkg/lib/util/cmdutil"
	"github.com/kptdev/kpt/pkg/printer"
	"github.com/spf13/cobra"
	"k8s.io/component-base/cli"
	"k8s.io/klog/v2"
	"sigs.k8s.io/kustomize/kyaml/commandutil"
)

// version is the kpt release whose packages this binary is built from.
const version = "v1.0.0-beta.61"

func main() {
	klog.InitFlags(nil)
	cmd := newRoot(context.Background())
	if err := cli.RunNoErrOutput(cmd); err != nil {
		os.Exit(handleErr(cmd, err))
	}
}

// newRoot builds the `kpt` root command the way kpt's run.GetMain does.
func newRoot(ctx context.Context) *cobra.Command {
	_ = os.Setenv(commandutil.EnableAlphaCommmandsEnvName, "true")
	root := &cobra.Command{
		Use:           "kpt",
		Short:         "kpt (fn and pkg commands of " + version + ")",
		SilenceUsage:  true,
		SilenceErrors: true, // handleErr prints them
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Usage()
		},
	}
	root.PersistentFlags().AddGoFlagSet(flag.CommandLine)
	root.PersistentFlags().BoolVar(&printer.TruncateOutput, "truncate-output", true,
		"Enable the truncation for output")
	root.PersistentFlags().BoolVar(&cmdutil.StackOnError, "stack-trace", false,
		"Print a stack-trace on failure")

	// Without a printer in the context the pkg commands panic.
	ctx = printer.WithContext(ctx, printer.New(os.Stdout, os.Stderr))

	sub := []*cobra.Command{pkg.GetCommand(ctx, "kpt"), fn.GetCommand(ctx, "kpt")}
	normalize(sub...)
	root.AddCommand(sub...)
	root.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "Print the version number of kpt",
		Run:   func(*cobra.Command, []string) { fmt.Println(version) },
	})

	if _, err := exec.LookPath("git"); err != nil {
		fmt.Fprintln(os.Stderr, "kpt requires that `git` is installed and on the PATH")
		os.Exit(1)
	}
	return root
}

// normalize drops the "[Alpha] " prefix from short help texts, as kpt's
// commands.NormalizeCommand does (that package is not importable here: it
// pulls in the unserved rollouts module).
func normalize(cmds ...*cobra.Command) {
	for _, c := range cmds {
		c.Short = strings.TrimPrefix(c.Short, "[Alpha] ")
		normalize(c.Commands()...)
	}
}

// handleErr prints err as kpt's main does and returns the exit code.
func handleErr(cmd *cobra.Command, err error) int {
	if re, ok := resolver.ResolveError(err); ok {
		if re.Message != "" {
			fmt.Fprintf(cmd.ErrOrStderr(), "%s \n", re.Message)
		}
		return re.ExitCode
	}
	var kptErr *kpterrors.Error
	if kpterrors.As(err, &kptErr) {
		if unwrapped, ok := kpterrors.UnwrapErrors(kptErr); ok && !cmdutil.PrintErrorStacktrace() {
			fmt.Fprintf(cmd.ErrOrStderr(), "Error: %s \n", unwrapped.Error())
			return 1
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "%s \n", kptErr.Error())
		return 1
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "Error: %s\n", err)
	return 1
}
