package git

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/sideband"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

// The wire work is go-git's transport plumbing, not its Remote: a Remote's
// push walks every object reachable from every advertised reference to
// find what to send, which grows with each proposal branch. Here a push
// sends exactly the objects a proposal created, and a fetch wants exactly
// the commits that are missing.

// heads are the branches a server advertised, by short name.
type heads struct {
	branches map[string]plumbing.Hash
	adv      *packp.AdvRefs
	// rp is the receive-pack session the listing came from (push only).
	rp transport.ReceivePackSession
}

// list asks the server for its branches. forPush opens a receive-pack
// session, whose advertisement serves as the listing and which the push
// then uses: two HTTP requests for a whole proposal.
func (p *Proposer) list(ctx context.Context, forPush bool) (*heads, error) {
	auth, err := p.remote.method()
	if err != nil {
		return nil, err
	}
	h := &heads{branches: map[string]plumbing.Hash{}}
	if forPush {
		if h.rp, err = p.transport.NewReceivePackSession(p.endpoint, auth); err == nil {
			p.sessions = append(p.sessions, h.rp)
			h.adv, err = h.rp.AdvertisedReferencesContext(ctx)
		}
	} else {
		var up transport.UploadPackSession
		if up, err = p.transport.NewUploadPackSession(p.endpoint, auth); err == nil {
			h.adv, err = up.AdvertisedReferencesContext(ctx)
			_ = up.Close()
		}
	}
	if errors.Is(err, transport.ErrEmptyRemoteRepository) {
		return h, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list the branches of %s: %w", p.remote.redacted, p.remote.mask(err))
	}
	for name, hash := range h.adv.References {
		if short, ok := strings.CutPrefix(name, "refs/heads/"); ok {
			h.branches[short] = hash
		}
	}
	return h, nil
}

// closeSessions closes the receive-pack sessions opened since the last
// call (an SSH connection each; nothing over HTTP).
func (p *Proposer) closeSessions() {
	for _, s := range p.sessions {
		_ = s.Close()
	}
	p.sessions = nil
}

// reusable says whether a listing's session may push more than once:
// smart HTTP is stateless, an SSH session ends with its push.
func (p *Proposer) reusable() bool {
	return p.endpoint.Protocol == "http" || p.endpoint.Protocol == "https"
}

// has reports whether the object is in the local store.
func (p *Proposer) has(h plumbing.Hash) bool {
	return p.st.HasEncodedObject(h) == nil
}

// fetch downloads the commits in wants (advertised tips) and everything
// they reach that is not local yet. The local deployment head is the one
// "have": every commit the proposer builds descends from a fetched head.
func (p *Proposer) fetch(ctx context.Context, wants ...plumbing.Hash) error {
	var missing []plumbing.Hash
	seen := map[plumbing.Hash]bool{}
	for _, w := range wants {
		if !w.IsZero() && !seen[w] && !p.has(w) {
			missing = append(missing, w)
		}
		seen[w] = true
	}
	if len(missing) == 0 {
		return nil
	}
	auth, err := p.remote.method()
	if err != nil {
		return err
	}
	fail := func(err error) error {
		return fmt.Errorf("fetch from %s: %w", p.remote.redacted, p.remote.mask(err))
	}
	sess, err := p.transport.NewUploadPackSession(p.endpoint, auth)
	if err != nil {
		return fail(err)
	}
	defer sess.Close()
	adv, err := sess.AdvertisedReferencesContext(ctx)
	if err != nil {
		return fail(err)
	}
	req := packp.NewUploadPackRequestFromCapabilities(adv.Capabilities)
	// A thin pack would be stored as it came, with deltas against objects
	// outside it: ask for a self-contained one.
	req.Capabilities.Delete(capability.ThinPack)
	if adv.Capabilities.Supports(capability.NoProgress) {
		_ = req.Capabilities.Set(capability.NoProgress)
	}
	req.Wants = missing
	if base := p.localHead(); !base.IsZero() {
		req.Haves = []plumbing.Hash{base}
	}
	resp, err := sess.UploadPack(ctx, req)
	if errors.Is(err, transport.ErrEmptyUploadPackRequest) {
		return nil
	}
	if err != nil {
		return fail(err)
	}
	defer resp.Close()
	var r io.Reader = resp
	switch {
	case req.Capabilities.Supports(capability.Sideband64k):
		r = sideband.NewDemuxer(sideband.Sideband64k, resp)
	case req.Capabilities.Supports(capability.Sideband):
		r = sideband.NewDemuxer(sideband.Sideband, resp)
	}
	if err := packfile.UpdateObjectStorage(p.st, r); err != nil {
		return fail(err)
	}
	return nil
}

// errRejected is a reference update the server refused: the branch exists
// already, or moved since it was listed.
var errRejected = errors.New("the server rejected the reference update")

// push sends one reference update (old -> new; old zero creates the
// branch, and the server refuses when it exists) with a pack holding
// exactly objects. A refusal wraps errRejected.
func (p *Proposer) push(ctx context.Context, h *heads, branch string, old, new plumbing.Hash, objects []plumbing.Hash) error {
	name := plumbing.NewBranchReferenceName(branch)
	req := packp.NewReferenceUpdateRequestFromCapabilities(h.adv.Capabilities)
	req.Commands = []*packp.Command{{Name: name, Old: old, New: new}}
	var pack bytes.Buffer
	if _, err := packfile.NewEncoder(&pack, p.st, false).Encode(objects, 0); err != nil {
		return fmt.Errorf("pack %d objects for %s: %w", len(objects), branch, err)
	}
	req.Packfile = io.NopCloser(&pack)
	report, err := h.rp.ReceivePack(ctx, req)
	if report != nil && report.UnpackStatus == "ok" {
		for _, c := range report.CommandStatuses {
			if c.Status != "ok" {
				return fmt.Errorf("push %s: %s: %w", branch, c.Status, errRejected)
			}
		}
	}
	if err != nil {
		return fmt.Errorf("push %s to %s: %w", branch, p.remote.redacted, p.remote.mask(err))
	}
	return nil
}
