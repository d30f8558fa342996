package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/internal/krm"
	"github.com/nephoran/nephoran/pipeline"
)

type intentOptions struct {
	target, action, reason, source, id, at string
	delta, replicas                        int32
	avoidNodes, avoidSites                 []string
}

func newIntentCommand() *cobra.Command {
	var o intentOptions
	cmd := &cobra.Command{
		Use:   "intent DIR --action ACTION [--delta N | --replicas N | --avoid-node N --avoid-site S] --reason TEXT",
		Short: "Apply one CNFIntent to a package and re-render it",
		Long: `intent builds a CNFIntent from the flags, applies it with apply-intent within the
CNF's guardrails, runs the package's Kptfile pipeline, and writes the package back
only when everything succeeded.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runIntent(cmd, args[0], o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.action, "action", "", "scale_out | scale_in | scale_to | migrate | restart")
	f.StringVar(&o.target, "target", "", "the CNFDeployment's name (default: the package's only CNFDeployment)")
	f.Int32Var(&o.delta, "delta", 0, "step of scale_out and scale_in (default 1)")
	f.Int32Var(&o.replicas, "replicas", -1, "replica count of scale_to")
	f.StringSliceVar(&o.avoidNodes, "avoid-node", nil, "node a migrate moves away from (repeatable)")
	f.StringSliceVar(&o.avoidSites, "avoid-site", nil, "site a migrate moves away from (repeatable)")
	f.StringVar(&o.reason, "reason", "", "why, stamped on the CNFDeployment")
	f.StringVar(&o.source, "source", "cli", "who asks")
	f.StringVar(&o.id, "id", "", "the intent id (default: <target>-<action>-<unix time>)")
	f.StringVar(&o.at, "at", "", "RFC 3339 time of the intent (default: now)")
	_ = cmd.MarkFlagRequired("action")
	return cmd
}

func runIntent(cmd *cobra.Command, dir string, o intentOptions) error {
	pkg, err := pipeline.Load(dir)
	if err != nil {
		return err
	}
	if o.target == "" {
		cnfs := pkg.Items.Where(krm.IsCNFDeployment)
		if len(cnfs) != 1 {
			return fmt.Errorf("%s holds %d CNFDeployments: name one with --target", dir, len(cnfs))
		}
		o.target = cnfs[0].GetName()
	}
	now := time.Now().UTC()
	if o.id == "" {
		o.id = fmt.Sprintf("%s-%s-%d", o.target, o.action, now.Unix())
	}
	intent := nephv1.CNFIntent{
		Spec: nephv1.CNFIntentSpec{Target: o.target, Action: nephv1.Action(o.action), Delta: o.delta,
			Reason: o.reason, Source: o.source, At: o.at},
	}
	intent.APIVersion, intent.Kind, intent.Name = nephv1.APIVersion, nephv1.KindCNFIntent, o.id
	if o.replicas >= 0 {
		intent.Spec.Replicas = &o.replicas
	}
	if len(o.avoidNodes)+len(o.avoidSites) > 0 {
		intent.Spec.Avoid = &nephv1.Avoid{Nodes: o.avoidNodes, Sites: o.avoidSites}
	}
	out, err := pipeline.ApplyIntent(dir, &intent, now)
	printSteps(cmd.OutOrStdout(), dir, out.Steps())
	return err
}
