// Package inventory is the watcher's list of CNFs: every CNFDeployment found
// in the YAML files under a directory (the deployment repository's packages).
// KPM signals map to CNFs by spec.kpm.nodeId and cellIds, VES signals by
// sourceName; signals from nodes or sources not listed are still accepted.
package inventory

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	nephv1 "github.com/nephoran/nephoran/api/v1"
)

// CNF is one CNFDeployment and the file it came from.
type CNF struct {
	*nephv1.CNFDeployment
	File string
}

// Load reads every CNFDeployment from the *.yaml and *.yml files under dir.
// A CNFDeployment that does not decode or validate is an error naming its
// file and field: the inventory is never silently partial.
func Load(dir string) ([]CNF, error) {
	var cnfs []CNF
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != dir && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if ext := filepath.Ext(path); ext != ".yaml" && ext != ".yml" {
			return nil
		}
		found, err := loadFile(path)
		cnfs = append(cnfs, found...)
		return err
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(cnfs, func(i, j int) bool { return cnfs[i].Name < cnfs[j].Name })
	for i := 1; i < len(cnfs); i++ {
		if cnfs[i].Name == cnfs[i-1].Name && cnfs[i].TargetNamespace() == cnfs[i-1].TargetNamespace() {
			return nil, fmt.Errorf("CNFDeployment %s is declared twice: %s and %s", cnfs[i].Name, cnfs[i-1].File, cnfs[i].File)
		}
	}
	return cnfs, nil
}

func loadFile(path string) ([]CNF, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cnfs []CNF
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err == io.EOF {
			return cnfs, nil
		} else if err != nil {
			return nil, nil // not YAML we can read: not an inventory file
		}
		var head struct {
			APIVersion string `yaml:"apiVersion"`
			Kind       string `yaml:"kind"`
		}
		if doc.Decode(&head) != nil || head.APIVersion != nephv1.APIVersion || head.Kind != nephv1.KindCNFDeployment {
			continue
		}
		c, errs := nephv1.NodeToCNFDeployment(&doc)
		if len(errs) == 0 {
			errs = c.Validate()
		}
		if len(errs) > 0 {
			return nil, fmt.Errorf("%s: %w", path, errs.ToAggregate())
		}
		cnfs = append(cnfs, CNF{CNFDeployment: c, File: path})
	}
}
