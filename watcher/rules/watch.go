package rules

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"time"

	"github.com/nephoran/nephoran/watcher/model"
)

// DefaultPollInterval is how often Watch reads the rule directory. A change
// applies within one interval plus one load.
const DefaultPollInterval = 2 * time.Second

// WatchOptions configure Watch.
type WatchOptions struct {
	// Options are those of every load.
	Options
	// Interval between two reads of the directory; 0 means
	// DefaultPollInterval.
	Interval time.Duration
	// OnChange receives the full rule set after every successful load of
	// changed content (and once at start).
	OnChange func([]model.Rule)
	// OnError receives the error of a load that failed (once per distinct
	// content); the rules from the last good load stay in force, as the
	// caller keeps running them.
	OnError func(error)
}

// Watch loads the rules under dir at once and then reads the directory
// every Interval until ctx is done, reporting to OnChange or OnError as
// described on WatchOptions. It compares a hash of every rule file's path
// and content, not modification times, so the symlink swap of a ConfigMap
// volume (and any edit that keeps the mtime) is seen, and an unchanged
// directory costs one read per interval and no load. A change is loaded
// once two consecutive reads agree, so a file caught half-written is not:
// a change applies within two intervals plus one load (about 4 s by
// default). Callbacks run on Watch's goroutine, one at a time. It returns
// nil when ctx is done.
func Watch(ctx context.Context, dir string, opts WatchOptions) error {
	interval := opts.Interval
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	// last is the content last loaded; pending a different content seen
	// once, loaded when the next read agrees.
	var last, pending [sha256.Size]byte
	first := true
	poll := func() {
		files, err := readRuleFiles(dir)
		var sum [sha256.Size]byte
		if err != nil {
			sum = sha256.Sum256([]byte("error\x00" + err.Error()))
		} else {
			sum = hashFiles(files)
		}
		switch {
		case first:
		case sum == last:
			pending = last
			return
		case sum != pending:
			pending = sum
			return
		}
		first, last, pending = false, sum, sum
		var rules []model.Rule
		if err == nil {
			rules, err = finish(dir, files, opts.Options)
		}
		if err != nil {
			if opts.OnError != nil {
				opts.OnError(err)
			}
			return
		}
		if opts.OnChange != nil {
			opts.OnChange(rules)
		}
	}
	poll()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			poll()
		}
	}
}

// hashFiles hashes the paths and contents of the rule files, in order.
func hashFiles(files []ruleFile) [sha256.Size]byte {
	h := sha256.New()
	var n [8]byte
	for _, f := range files {
		binary.BigEndian.PutUint64(n[:], uint64(len(f.path)))
		h.Write(n[:])
		h.Write([]byte(f.path))
		binary.BigEndian.PutUint64(n[:], uint64(len(f.data)))
		h.Write(n[:])
		h.Write(f.data)
	}
	var sum [sha256.Size]byte
	copy(sum[:], h.Sum(nil))
	return sum
}
