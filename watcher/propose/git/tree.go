package git

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// A commit is built with go-git's object plumbing: blobs for the files the
// intent changed, a tree for the package, and new trees for each directory
// above it up to the root, every other entry's hash reused as it is. The
// cost is the package's size and the depth of its path, not the
// repository's size.

// entry is one file of a package: its mode and blob.
type entry struct {
	mode filemode.FileMode
	hash plumbing.Hash
}

// builder writes new objects and remembers which, so a push sends exactly
// those.
type builder struct {
	p   *Proposer
	new []plumbing.Hash
}

// tree returns the tree object h (the empty tree for a zero hash).
func (p *Proposer) tree(h plumbing.Hash) (*object.Tree, error) {
	if h.IsZero() {
		return &object.Tree{}, nil
	}
	return object.GetTree(p.st, h)
}

// subtree returns the hash of the tree at dir (slash-separated) below root,
// or a zero hash when there is none.
func (p *Proposer) subtree(root plumbing.Hash, dir string) (plumbing.Hash, error) {
	h := root
	for _, name := range splitPath(dir) {
		t, err := p.tree(h)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		h = plumbing.ZeroHash
		for _, e := range t.Entries {
			if e.Name == name && e.Mode == filemode.Dir {
				h = e.Hash
				break
			}
		}
		if h.IsZero() {
			return h, nil
		}
	}
	return h, nil
}

// files lists every entry below the tree h by slash path.
func (p *Proposer) files(h plumbing.Hash, prefix string, out map[string]entry) error {
	t, err := p.tree(h)
	if err != nil {
		return err
	}
	for _, e := range t.Entries {
		name := path.Join(prefix, e.Name)
		if e.Mode == filemode.Dir {
			if err := p.files(e.Hash, name, out); err != nil {
				return err
			}
			continue
		}
		out[name] = entry{e.Mode, e.Hash}
	}
	return nil
}

// blob returns the content of blob h.
func (p *Proposer) blob(h plumbing.Hash) ([]byte, error) {
	o, err := p.st.EncodedObject(plumbing.BlobObject, h)
	if err != nil {
		return nil, err
	}
	r, err := o.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// materialize writes the regular files among files into dir.
func (p *Proposer) materialize(files map[string]entry, dir string) error {
	for name, e := range files {
		if !e.mode.IsRegular() {
			continue // symlinks and submodules stay in the tree untouched
		}
		b, err := p.blob(e.hash)
		if err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
		target := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		perm := fs.FileMode(0o644)
		if e.mode == filemode.Executable {
			perm = 0o755
		}
		if err := os.WriteFile(target, b, perm); err != nil {
			return err
		}
	}
	return nil
}

// readBack returns the package's files after the pipeline wrote dir: the
// regular files as they are now (unchanged ones keep their blob, changed
// and new ones get a new blob, deleted ones are gone), and the entries
// that were never materialized, as they were.
func (b *builder) readBack(before map[string]entry, dir string) (map[string]entry, error) {
	after := map[string]entry{}
	for name, e := range before {
		if !e.mode.IsRegular() {
			after[name] = e
		}
	}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		content, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		mode := filemode.Regular
		if old, ok := before[name]; ok && old.mode.IsRegular() {
			mode = old.mode
		}
		h := plumbing.ComputeHash(plumbing.BlobObject, content)
		if old, ok := before[name]; !ok || old.hash != h {
			if h, err = b.writeBlob(content); err != nil {
				return err
			}
		}
		after[name] = entry{mode, h}
		return nil
	})
	return after, err
}

// writeBlob stores a blob and records it as new.
func (b *builder) writeBlob(content []byte) (plumbing.Hash, error) {
	o := b.p.st.NewEncodedObject()
	o.SetType(plumbing.BlobObject)
	o.SetSize(int64(len(content)))
	w, err := o.Writer()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := w.Write(content); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := w.Close(); err != nil {
		return plumbing.ZeroHash, err
	}
	return b.store(o)
}

func (b *builder) store(o plumbing.EncodedObject) (plumbing.Hash, error) {
	h, err := b.p.st.SetEncodedObject(o)
	if err != nil {
		return h, err
	}
	b.new = append(b.new, h)
	return h, nil
}

// writeTree stores a tree of entries (sorted here as git sorts them) and
// returns its hash; the empty tree is not stored and returns a zero hash.
// A tree equal to old is not stored again.
func (b *builder) writeTree(entries []object.TreeEntry, old plumbing.Hash) (plumbing.Hash, error) {
	if len(entries) == 0 {
		return plumbing.ZeroHash, nil
	}
	sort.Slice(entries, func(i, j int) bool { return treeKey(entries[i]) < treeKey(entries[j]) })
	o := b.p.st.NewEncodedObject()
	if err := (&object.Tree{Entries: entries}).Encode(o); err != nil {
		return plumbing.ZeroHash, err
	}
	if o.Hash() == old {
		return old, nil
	}
	return b.store(o)
}

// treeKey is git's order of tree entries: a directory sorts as its name
// followed by a slash.
func treeKey(e object.TreeEntry) string {
	if e.Mode == filemode.Dir {
		return e.Name + "/"
	}
	return e.Name
}

// packageTree writes the trees of a package from its files (slash paths
// relative to the package), reusing old where a directory did not change.
func (b *builder) packageTree(files map[string]entry, old plumbing.Hash) (plumbing.Hash, error) {
	var entries []object.TreeEntry
	subdirs := map[string]map[string]entry{}
	for name, e := range files {
		if dir, rest, ok := strings.Cut(name, "/"); ok {
			if subdirs[dir] == nil {
				subdirs[dir] = map[string]entry{}
			}
			subdirs[dir][rest] = e
			continue
		}
		entries = append(entries, object.TreeEntry{Name: name, Mode: e.mode, Hash: e.hash})
	}
	oldTree, err := b.p.tree(old)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	for dir, sub := range subdirs {
		var oldSub plumbing.Hash
		if e, err := oldTree.FindEntry(dir); err == nil && e.Mode == filemode.Dir {
			oldSub = e.Hash
		}
		h, err := b.packageTree(sub, oldSub)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if !h.IsZero() {
			entries = append(entries, object.TreeEntry{Name: dir, Mode: filemode.Dir, Hash: h})
		}
	}
	return b.writeTree(entries, old)
}

// replace returns a new root: root with the tree at dir replaced by sub (a
// zero sub removes it), every other entry kept by hash.
func (b *builder) replace(root plumbing.Hash, dir []string, sub plumbing.Hash) (plumbing.Hash, error) {
	if len(dir) == 0 {
		return sub, nil
	}
	t, err := b.p.tree(root)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	entries := make([]object.TreeEntry, 0, len(t.Entries)+1)
	var child plumbing.Hash
	for _, e := range t.Entries {
		if e.Name == dir[0] {
			if e.Mode == filemode.Dir {
				child = e.Hash
			}
			continue
		}
		entries = append(entries, e)
	}
	h, err := b.replace(child, dir[1:], sub)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if !h.IsZero() {
		entries = append(entries, object.TreeEntry{Name: dir[0], Mode: filemode.Dir, Hash: h})
	}
	return b.writeTree(entries, root)
}

// splitPath splits a slash path into its elements ("" has none).
func splitPath(p string) []string {
	if p == "" || p == "." {
		return nil
	}
	return strings.Split(p, "/")
}
