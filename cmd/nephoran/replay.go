package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/nephoran/nephoran/watcher"
	"github.com/nephoran/nephoran/watcher/model"
)

func newReplayCommand() *cobra.Command {
	var (
		opts   watcher.ReplayOptions
		trace  string
		output string
	)
	cmd := &cobra.Command{
		Use:   "replay --packages DIR --rules DIR --trace FILE",
		Short: "Backtest rules: run a recorded trace through the watcher's rules and decisions offline",
		Long: `replay reads a trace (JSON Lines: {"at":"<RFC 3339>","kpm":<KPM report(s)>} or
{"at":...,"ves":<VES body>}; "nephoran trace export" writes one from a watcher's store), runs it
through the same normalization, rules and decisions as "nephoran watch" on a clock driven by
"at", and prints every decision and every suppression with its reason. Every decision is
assumed approved and merged at once, so bounds and cooldowns play out as they would have.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "text" && output != "json" {
				return fmt.Errorf("--output %q: want text or json", output)
			}
			in := cmd.InOrStdin()
			if trace != "-" {
				f, err := os.Open(trace)
				if err != nil {
					return err
				}
				defer f.Close()
				in = f
			}
			opts.Logger = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))
			out := bufio.NewWriter(cmd.OutOrStdout())
			defer out.Flush()
			emit := textLines(out)
			if output == "json" {
				emit = jsonLines(out)
			}
			sum, err := watcher.Replay(cmd.Context(), opts, in, emit)
			if err != nil {
				return err
			}
			if err := out.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "replayed %d lines (%d KPM reports, %d VES events, %d refused) from %s to %s: %d decisions, %d suppressions, %d rule errors\n",
				sum.Lines, sum.KPMReports, sum.Events, sum.Refused, stamp(sum.From), stamp(sum.To), sum.Decisions, sum.Suppressions, sum.RuleErrors)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Packages, "packages", "", "directory whose CNFDeployments (any *.yaml under it) are the inventory")
	f.StringVar(&opts.Rules, "rules", "./rules", "directory of AutomationRule and FCAPSRule files")
	f.StringVar(&trace, "trace", "", "trace file (JSON Lines), - for stdin")
	f.StringVar(&output, "output", "text", "text or json (one object per line)")
	f.BoolVar(&opts.Lenient, "lenient", false, "take VES bodies in lenient mode (as ves.lenient: true)")
	_ = cmd.MarkFlagRequired("packages")
	_ = cmd.MarkFlagRequired("trace")
	return cmd
}

// replayLine is one line of `replay --output json`: a decision has no
// suppressed key.
type replayLine struct {
	At         string `json:"at"`
	CNF        string `json:"cnf"`
	Action     string `json:"action"`
	Rule       string `json:"rule"`
	ID         string `json:"id"`
	Reason     string `json:"reason"`
	Suppressed string `json:"suppressed,omitempty"`
}

func jsonLines(w io.Writer) func(model.Decision) error {
	enc := json.NewEncoder(w)
	return func(d model.Decision) error {
		return enc.Encode(replayLine{
			At: stamp(d.At), CNF: d.CNF, Action: string(d.Action), Rule: d.Rule,
			ID: d.ID, Reason: d.Reason, Suppressed: string(d.Suppressed),
		})
	}
}

func textLines(w io.Writer) func(model.Decision) error {
	return func(d model.Decision) error {
		what, why := "DECIDE", d.Reason
		if d.Suppressed != "" {
			what, why = "suppressed:"+string(d.Suppressed), d.Detail
		}
		_, err := fmt.Fprintf(w, "%-20s  %-25s  %-16s  %-10s  %-24s  %s  %s\n", stamp(d.At), what, d.CNF, d.Action, d.Rule, d.ID, why)
		return err
	}
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
