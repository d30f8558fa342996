package porch

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/util/retry"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/watcher/model"
	"github.com/nephoran/nephoran/watcher/propose"
)

// Proposer delivers decisions as PackageRevisions of one Porch
// repository. It holds no state of its own beyond a cache of immutable
// Published resources: Porch is the truth, so any number of Proposers may
// share a repository.
type Proposer struct {
	opts Options
	dc   dynamic.Interface

	mu sync.Mutex
	// published caches the inventory of each package's latest Published
	// revision (see publishedCNFs).
	published map[publishedKey][]*nephv1.CNFDeployment
}

var _ propose.Proposer = (*Proposer)(nil)

// New builds a Proposer on the dynamic client of o.Config; it does not
// contact the server.
func New(o Options) (*Proposer, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	dc, err := dynamic.NewForConfig(o.Config)
	if err != nil {
		return nil, fmt.Errorf("porch client: %w", err)
	}
	return &Proposer{opts: o, dc: dc, published: map[publishedKey][]*nephv1.CNFDeployment{}}, nil
}

func (p *Proposer) revisions() dynamic.ResourceInterface {
	return p.dc.Resource(revisionsGVR).Namespace(p.opts.Namespace)
}

func (p *Proposer) resources() dynamic.ResourceInterface {
	return p.dc.Resource(resourcesGVR).Namespace(p.opts.Namespace)
}

// list returns the repository's revisions (of package pkg only, when not
// empty) and the list's resourceVersion. Porch filters on these fields
// server-side; the client checks the repository again all the same.
func (p *Proposer) list(ctx context.Context, pkg string) ([]rev, string, error) {
	sel := fields.Set{"spec.repository": p.opts.Repository}
	if pkg != "" {
		sel["spec.packageName"] = pkg
	}
	l, err := p.revisions().List(ctx, metav1.ListOptions{FieldSelector: fields.SelectorFromSet(sel).String()})
	if err != nil {
		return nil, "", fmt.Errorf("list PackageRevisions in %s: %w", p.opts.Namespace, err)
	}
	var out []rev
	for i := range l.Items {
		if r := (rev{&l.Items[i]}); r.repo() == p.opts.Repository {
			out = append(out, r)
		}
	}
	return out, l.GetResourceVersion(), nil
}

// Propose implements propose.Proposer (see the package documentation).
func (p *Proposer) Propose(ctx context.Context, d model.Decision) (propose.Proposal, error) {
	prop := propose.Proposal{ID: d.ID, CNF: d.CNF, Action: d.Action}
	switch {
	case d.Intent == nil:
		return prop, fmt.Errorf("decision %s has no intent", d.ID)
	case !decisionID.MatchString(d.ID):
		return prop, fmt.Errorf("decision id %q is not 16 hex digits: it cannot name a workspace", d.ID)
	case d.CNF == "":
		return prop, fmt.Errorf("decision %s names no CNF", d.ID)
	}
	pkg := p.opts.PackagePath(d.CNF)
	name := revisionName(p.opts.Repository, pkg, d.ID)
	prop.Ref = name
	revs, _, err := p.list(ctx, pkg)
	if err != nil {
		return prop, err
	}
	var ofPackage []rev
	for _, r := range revs {
		if r.pkg() != pkg {
			continue
		}
		if r.workspace() == d.ID {
			return p.resume(ctx, d, prop, r)
		}
		ofPackage = append(ofPackage, r)
	}
	src := latestPublished(ofPackage)
	if src == nil {
		return prop, fmt.Errorf("%s: no Published revision of package %s in repository %s: %w", d.CNF, pkg, p.opts.Repository, propose.ErrNoChange)
	}
	now := p.opts.Now()
	prop.At = now.UTC().Truncate(time.Second)
	draft := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": revisionsGVR.GroupVersion().String(), "kind": "PackageRevision",
		"metadata": map[string]any{
			"name": name, "namespace": p.opts.Namespace,
			"annotations": map[string]any{
				AnnotationDecisionID: d.ID, AnnotationCNF: d.CNF, AnnotationAction: string(d.Action),
				AnnotationRule: d.Rule, AnnotationCorrelationID: d.CorrelationID,
				AnnotationProposedAt: prop.At.Format(time.RFC3339),
			},
		},
		"spec": map[string]any{
			"packageName": pkg, "repository": p.opts.Repository, "workspaceName": d.ID,
			"lifecycle": string(Draft),
			"tasks":     []any{map[string]any{"type": "edit", "edit": map[string]any{"sourceRef": map[string]any{"name": src.GetName()}}}},
		},
	}}
	created, err := p.revisions().Create(ctx, draft, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) { // another proposer won the race
		got, gerr := p.revisions().Get(ctx, name, metav1.GetOptions{})
		if gerr != nil {
			return prop, fmt.Errorf("read %s created meanwhile: %w", name, gerr)
		}
		return p.resume(ctx, d, prop, rev{got})
	}
	if apierrors.IsInvalid(err) || apierrors.IsBadRequest(err) {
		return prop, fmt.Errorf("create the Draft %s from %s: %w: %w", name, src.GetName(), err, propose.ErrRefused)
	}
	if err != nil {
		return prop, fmt.Errorf("create the Draft %s from %s: %w", name, src.GetName(), err)
	}
	prop.Ref = created.GetName()
	p.opts.Logger.Debug("draft created", "cnf", d.CNF, "decision", d.ID, "ref", prop.Ref, "from", src.GetName())
	if err := p.update(ctx, d, prop.Ref, now, false); err != nil {
		p.discard(ctx, prop.Ref)
		return prop, err
	}
	return p.advance(ctx, d, prop)
}

// resume finishes the proposal r of d found in Porch and returns it with
// Existed set: a Draft gets the intent (when it lacks it) and is proposed;
// an auto proposal still Proposed is approved.
func (p *Proposer) resume(ctx context.Context, d model.Decision, prop propose.Proposal, r rev) (propose.Proposal, error) {
	prop.Existed, prop.Ref, prop.At = true, r.GetName(), proposedAt(r)
	switch r.lifecycle() {
	case Published, DeletionProposed:
		prop.Merged = true
		return prop, nil
	case Draft:
		if err := p.update(ctx, d, prop.Ref, p.opts.Now(), true); err != nil {
			p.discard(ctx, prop.Ref)
			return prop, err
		}
	}
	return p.advance(ctx, d, prop)
}

// update applies d's intent to the Draft's resources and writes them
// back, checking Porch's render; a resumed Draft that already carries the
// intent is left as it is.
func (p *Proposer) update(ctx context.Context, d model.Decision, name string, now time.Time, resumed bool) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		prr, err := p.resources().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("read the resources of %s: %w", name, err)
		}
		files, _, err := unstructured.NestedStringMap(prr.Object, "spec", "resources")
		if err != nil {
			return fmt.Errorf("the resources of %s: %w", name, err)
		}
		out, changed, err := applyIntent(files, d.Intent, now)
		if resumed && errors.Is(err, propose.ErrNoChange) && alreadyApplied(files, d.Intent) {
			return nil
		}
		switch {
		case errors.Is(err, propose.ErrNoChange):
			return fmt.Errorf("%s: %s on %s: %w", d.CNF, d.Action, name, err)
		case errors.Is(err, errRender):
			return fmt.Errorf("render %s after %s: %w", name, d.Action, err)
		case err != nil:
			return fmt.Errorf("apply the intent to %s: %w", name, err)
		case !changed:
			return fmt.Errorf("%s: %s on %s: no file changed: %w", d.CNF, d.Action, name, propose.ErrNoChange)
		}
		if err := unstructured.SetNestedStringMap(prr.Object, out, "spec", "resources"); err != nil {
			return err
		}
		got, err := p.resources().Update(ctx, prr, metav1.UpdateOptions{})
		if err != nil {
			return err // a conflict is retried from a fresh read
		}
		if msg, _, _ := unstructured.NestedString(got.Object, "status", "renderStatus", "error"); msg != "" {
			return fmt.Errorf("porch rendered %s with an error: %s: %w", name, msg, errRender)
		}
		return nil
	})
}

// alreadyApplied says the package's CNFDeployment named by the intent
// carries it (its last-intent-id is the intent's name).
func alreadyApplied(files map[string]string, in *nephv1.CNFIntent) bool {
	cnfs, _ := decodeCNFs(files)
	for _, c := range cnfs {
		if c.Name == in.Spec.Target && c.Annotations[nephv1.AnnotationLastIntentID] == in.Name {
			return true
		}
	}
	return false
}

// advance moves a Draft to Proposed and, for an auto decision, approves
// it to Published.
func (p *Proposer) advance(ctx context.Context, d model.Decision, prop propose.Proposal) (propose.Proposal, error) {
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		pr, err := p.revisions().Get(ctx, prop.Ref, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if (rev{pr}).lifecycle() != Draft {
			return nil
		}
		setLifecycle(pr, Proposed)
		_, err = p.revisions().Update(ctx, pr, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return prop, fmt.Errorf("propose %s: %w", prop.Ref, err)
	}
	p.opts.Logger.Info("proposal delivered", "cnf", d.CNF, "decision", d.ID, "ref", prop.Ref, "existed", prop.Existed)
	if d.Approval != nephv1.ApprovalAuto {
		return prop, nil
	}
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		pr, err := p.revisions().Get(ctx, prop.Ref, metav1.GetOptions{})
		if err != nil {
			return err
		}
		switch (rev{pr}).lifecycle() {
		case Published, DeletionProposed:
			prop.Merged = true
			return nil
		case Draft: // rejected meanwhile: a person decided
			return nil
		}
		setLifecycle(pr, Published)
		if _, err := p.revisions().Update(ctx, pr, metav1.UpdateOptions{}, "approval"); err != nil {
			return err
		}
		prop.Merged = true
		return nil
	})
	if err != nil {
		return prop, fmt.Errorf("approve %s: %w", prop.Ref, err)
	}
	if prop.Merged {
		p.opts.Logger.Info("proposal published", "cnf", d.CNF, "decision", d.ID, "ref", prop.Ref)
	}
	return prop, nil
}

// discard deletes a Draft Propose made and could not finish, so a retry
// starts again from the latest Published revision. Failing to is logged:
// the retry then finds and finishes the Draft.
func (p *Proposer) discard(ctx context.Context, name string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	pr, err := p.revisions().Get(ctx, name, metav1.GetOptions{})
	if err == nil && (rev{pr}).lifecycle() != Draft {
		return
	}
	if err == nil {
		err = p.revisions().Delete(ctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: ptr(pr.GetResourceVersion())}})
	}
	if err != nil && !apierrors.IsNotFound(err) {
		p.opts.Logger.Warn("discard the unfinished Draft", "ref", name, "err", err)
	}
}

func ptr[T any](v T) *T { return &v }

// proposedAt is when the proposal was made: its annotation, else when the
// revision was created.
func proposedAt(r rev) time.Time {
	if t, err := time.Parse(time.RFC3339, r.GetAnnotations()[AnnotationProposedAt]); err == nil {
		return t.UTC()
	}
	return r.GetCreationTimestamp().UTC()
}
