package demo

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/diff"

	"github.com/nephoran/nephoran/watcher/model"
)

// report prints each decision with its proposal branch, commit message and
// the cnf.yaml diff, and each suppression on one line, in time order.
func report(out io.Writer, bare string, ds []model.Decision) error {
	repo, err := git.PlainOpen(bare)
	if err != nil {
		return err
	}
	branches := map[string]*plumbing.Reference{} // decision id -> branch
	refs, err := repo.References()
	if err != nil {
		return err
	}
	_ = refs.ForEach(func(r *plumbing.Reference) error {
		name := r.Name().String()
		if strings.HasPrefix(name, "refs/heads/proposed/") {
			branches[name[strings.LastIndex(name, "/")+1:]] = r
		}
		return nil
	})
	proposals, suppressions := 0, 0
	for _, d := range ds {
		at := d.At.UTC().Format(time.TimeOnly)
		if d.Suppressed != "" {
			suppressions++
			fmt.Fprintf(out, "suppressed: %-14s %s  %s %s (rule %s): %s\n", d.Suppressed, at, d.CNF, d.Action, d.Rule, d.Detail)
			continue
		}
		proposals++
		fmt.Fprintf(out, "\nproposal: %s %s  at %s  (rule %s, decision %s)\n", d.CNF, d.Action, at, d.Rule, d.ID)
		ref, ok := branches[d.ID]
		if !ok {
			fmt.Fprintf(out, "  (no branch: the decision changed nothing at the head of main)\n")
			continue
		}
		if err := printProposal(out, repo, ref); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "\n== %d proposals, %d suppressions\n", proposals, suppressions)
	return nil
}

func printProposal(out io.Writer, repo *git.Repository, ref *plumbing.Reference) error {
	c, err := repo.CommitObject(ref.Hash())
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  branch  %s\n  commit  %s\n", ref.Name().Short(), c.Hash.String()[:12])
	for _, l := range strings.Split(strings.TrimRight(c.Message, "\n"), "\n") {
		fmt.Fprintf(out, "    | %s\n", l)
	}
	parent, err := c.Parent(0)
	if err != nil {
		return err
	}
	patch, err := parent.Patch(c)
	if err != nil {
		return err
	}
	var files []string
	for _, fp := range patch.FilePatches() {
		from, to := fp.Files()
		name := pathOf(from, to)
		files = append(files, name)
		if !strings.HasSuffix(name, "/cnf.yaml") {
			continue
		}
		fmt.Fprintf(out, "  diff    %s\n", name)
		for _, ch := range fp.Chunks() {
			sign := ""
			switch ch.Type() {
			case diff.Add:
				sign = "+"
			case diff.Delete:
				sign = "-"
			default:
				continue
			}
			for _, l := range strings.Split(strings.TrimRight(ch.Content(), "\n"), "\n") {
				fmt.Fprintf(out, "    %s%s\n", sign, l)
			}
		}
	}
	fmt.Fprintf(out, "  files   %s\n", strings.Join(files, ", "))
	return nil
}

func pathOf(from, to diff.File) string {
	if to != nil {
		return to.Path()
	}
	return from.Path()
}
