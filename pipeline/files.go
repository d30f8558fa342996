package pipeline

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/nephoran/nephoran/internal/parallel"
)

// matchFiles are the files of a package that hold objects, as kpt reads them.
var matchFiles = append([]string{KptfileName}, kio.MatchAll...)

// packageFiles lists the files kpt would read in dir, in kpt's order: kyaml's
// own walk decides (subpackages, .krmignore), but reads nothing.
func packageFiles(dir string) ([]string, error) {
	var files []string
	_, err := kio.LocalPackageReader{
		PackagePath:     dir,
		PackageFileName: KptfileName,
		MatchFilesGlob:  matchFiles,
		FileSkipFunc: func(rel string) bool {
			for _, g := range matchFiles {
				if ok, _ := filepath.Match(g, filepath.Base(rel)); ok {
					files = append(files, rel)
					break
				}
			}
			return true
		},
	}.Read()
	return files, err
}

// readPackage parses the package's files in parallel, each exactly as
// kyaml's LocalPackageReader parses it for kpt (same annotations, sequence
// indentation kept), and returns the objects in file order.
func readPackage(dir string) ([]*yaml.RNode, []string, error) {
	files, err := packageFiles(dir)
	if err != nil {
		return nil, nil, err
	}
	perFile := make([][]*yaml.RNode, len(files))
	err = parallel.ForEach(len(files), func(i int) error {
		b, err := os.ReadFile(filepath.Join(dir, files[i]))
		if err != nil {
			return err
		}
		rel := filepath.ToSlash(files[i])
		perFile[i], err = (&kio.ByteReader{
			Reader:            bytes.NewReader(b),
			DisableUnwrapping: true,
			PreserveSeqIndent: true,
			WrapBareSeqNode:   true,
			SetAnnotations:    map[string]string{kioutil.PathAnnotation: rel, kioutil.LegacyPathAnnotation: rel},
		}).Read()
		if err != nil {
			return fmt.Errorf("%s: %w", files[i], err)
		}
		return nil
	})
	var nodes []*yaml.RNode
	for _, n := range perFile {
		nodes = append(nodes, n...)
	}
	return nodes, files, err
}

// writePackage writes the objects to their files the way kyaml's
// LocalPackageWriter does for kpt, serializing files in parallel and writing
// only those whose bytes change; files read before that no longer hold any
// object are deleted.
func writePackage(dir string, nodes []*yaml.RNode, read []string) error {
	if err := kioutil.DefaultPathAndIndexAnnotation("", nodes); err != nil {
		return err
	}
	byFile := map[string][]*yaml.RNode{}
	for _, n := range nodes {
		path, _, err := kioutil.GetFileAnnotations(n)
		if err != nil {
			return err
		}
		byFile[path] = append(byFile[path], n)
	}
	paths := make([]string, 0, len(byFile))
	for p := range byFile {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	err := parallel.ForEach(len(paths), func(i int) error {
		out := byFile[paths[i]]
		if err := kioutil.SortNodes(out); err != nil {
			return err
		}
		var buf bytes.Buffer
		w := kio.ByteWriter{Writer: &buf, ClearAnnotations: []string{kioutil.PathAnnotation, kioutil.LegacyPathAnnotation}}
		if err := w.Write(out); err != nil {
			return err
		}
		target := filepath.Join(dir, paths[i])
		if old, err := os.ReadFile(target); err == nil && bytes.Equal(old, buf.Bytes()) {
			return nil // unchanged: keep the file and its mtime
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		return os.WriteFile(target, buf.Bytes(), 0o644)
	})
	if err != nil {
		return err
	}
	for _, f := range read {
		if _, kept := byFile[filepath.ToSlash(f)]; !kept {
			if err := os.Remove(filepath.Join(dir, f)); err != nil && !os.IsNotExist(err) {
				return err
			}
		}
	}
	return nil
}
