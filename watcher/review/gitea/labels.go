package gitea

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/nephoran/nephoran/watcher/review"
)

// label is the part of Gitea's Label the client reads.
type label struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// createLabel is Gitea's CreateLabelOption.
type createLabel struct {
	Name        string `json:"name"`
	Color       string `json:"color"`
	Description string `json:"description"`
}

// labelDescription describes the labels the client creates.
const labelDescription = "Set by the nephoran watcher on its proposals"

// labelIDs returns the ids of the repository's labels named names, in
// order, creating the missing ones. A label another client created at the
// same time is found by listing again.
func (c *Client) labelIDs(ctx context.Context, names []string) ([]int64, error) {
	if len(names) == 0 {
		return nil, nil
	}
	have, err := c.labels(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(names))
	for _, name := range names {
		id, ok := have[name]
		if !ok {
			if id, err = c.createLabel(ctx, name); err != nil {
				return nil, err
			}
			have[name] = id
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// labels maps the repository's label names to their ids (the first of a
// duplicated name).
func (c *Client) labels(ctx context.Context) (map[string]int64, error) {
	have := map[string]int64{}
	err := list(ctx, c, c.repoPath("labels"), nil, counted(true), func(l label) bool {
		if _, dup := have[l.Name]; !dup {
			have[l.Name] = l.ID
		}
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("list the labels: %w", err)
	}
	return have, nil
}

func (c *Client) createLabel(ctx context.Context, name string) (int64, error) {
	var l label
	_, err := c.do(ctx, http.MethodPost, c.repoPath("labels"), nil,
		createLabel{Name: name, Color: c.cfg.LabelColor, Description: labelDescription}, &l)
	if err == nil {
		return l.ID, nil
	}
	var ae *review.APIError
	if errors.As(err, &ae) && (ae.Status == http.StatusConflict || ae.Status == http.StatusUnprocessableEntity) {
		if have, lerr := c.labels(ctx); lerr == nil {
			if id, ok := have[name]; ok {
				return id, nil
			}
		}
	}
	return 0, fmt.Errorf("create label %q: %w", name, err)
}
