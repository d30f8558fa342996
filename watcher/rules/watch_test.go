package rules

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/watcher/model"
)

// watchTimeout only bounds a broken test: the test waits on callbacks, never on time.
const watchTimeout = 10 * time.Second

type watchEvents struct {
	changes chan []model.Rule
	errs    chan error
}

func startWatch(t *testing.T, dir string) *watchEvents {
	t.Helper()
	ev := &watchEvents{changes: make(chan []model.Rule, 16), errs: make(chan error, 16)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Watch(ctx, dir, WatchOptions{
			Interval: 5 * time.Millisecond,
			OnChange: func(r []model.Rule) { ev.changes <- r },
			OnError:  func(err error) { ev.errs <- err },
		})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(watchTimeout):
			t.Error("Watch did not return after its context was cancelled")
		}
	})
	return ev
}

// change waits for the next OnChange; an OnError first fails the test.
func (ev *watchEvents) change(t *testing.T) []model.Rule {
	t.Helper()
	select {
	case r := <-ev.changes:
		return r
	case err := <-ev.errs:
		require.FailNow(t, "unexpected OnError", "%v", err)
	case <-time.After(watchTimeout):
		require.FailNow(t, "no OnChange")
	}
	return nil
}

// err waits for the next OnError; an OnChange first fails the test.
func (ev *watchEvents) err(t *testing.T) error {
	t.Helper()
	select {
	case err := <-ev.errs:
		return err
	case r := <-ev.changes:
		require.FailNow(t, "unexpected OnChange", "%v", names(r))
	case <-time.After(watchTimeout):
		require.FailNow(t, "no OnError")
	}
	return nil
}

// writeAtomic replaces a file as editors and kubectl cp do: a new file
// renamed over the old one, so no read sees it half-written.
func writeAtomic(t *testing.T, path, content string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	writeFile(t, tmp, content)
	require.NoError(t, os.Rename(tmp, path))
}

func listRule(name string) string {
	return "rules:\n  - {name: " + name + ", eventDomain: fault, action: restart}\n"
}

func TestWatch(t *testing.T) {
	t.Run("a missing directory is an empty set until it appears", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "rules")
		ev := startWatch(t, dir)
		require.Empty(t, ev.change(t))
		writeAtomic(t, filepath.Join(dir, "a.yaml"), listRule("a"))
		require.Equal(t, []string{"a"}, names(ev.change(t)))
	})

	t.Run("a good change applies, a bad one is reported and the last good set stays", func(t *testing.T) {
		dir := t.TempDir()
		writeAtomic(t, filepath.Join(dir, "a.yaml"), listRule("a"))
		ev := startWatch(t, dir)
		require.Equal(t, []string{"a"}, names(ev.change(t)))

		writeAtomic(t, filepath.Join(dir, "b.yaml"), listRule("b"))
		require.Equal(t, []string{"a", "b"}, names(ev.change(t)))

		writeAtomic(t, filepath.Join(dir, "b.yaml"), "rules:\n  - {name: b, eventDomain: fault, action: restart, condition: 'event.x +'}\n")
		err := ev.err(t)
		require.ErrorContains(t, err, filepath.Join(dir, "b.yaml")+":2:")
		require.ErrorContains(t, err, "rules[0].condition")

		writeAtomic(t, filepath.Join(dir, "b.yaml"), listRule("c"))
		require.Equal(t, []string{"a", "c"}, names(ev.change(t)), "the fix applies")

		require.NoError(t, os.Remove(filepath.Join(dir, "b.yaml")))
		require.Equal(t, []string{"a"}, names(ev.change(t)), "a removed file removes its rules")
	})

	t.Run("the same content again is no change", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "a.yaml")
		writeAtomic(t, path, listRule("a"))
		ev := startWatch(t, dir)
		require.Equal(t, []string{"a"}, names(ev.change(t)))
		writeAtomic(t, path, listRule("a")) // rewritten, new mtime, same bytes
		later := time.Now().Add(time.Hour)
		require.NoError(t, os.Chtimes(path, later, later))
		writeAtomic(t, path, listRule("z"))
		require.Equal(t, []string{"z"}, names(ev.change(t)), "the next change seen is the real one")
	})

	t.Run("a ConfigMap volume's symlink swap is seen", func(t *testing.T) {
		dir := t.TempDir()
		// The kubelet's layout: ..data -> ..<timestamp>/, and each key a
		// symlink through ..data; an update swaps ..data atomically.
		writeAtomic(t, filepath.Join(dir, "..2026_01_01_v1", "rules.yaml"), listRule("v1"))
		require.NoError(t, os.Symlink("..2026_01_01_v1", filepath.Join(dir, "..data")))
		require.NoError(t, os.Symlink(filepath.Join("..data", "rules.yaml"), filepath.Join(dir, "rules.yaml")))
		ev := startWatch(t, dir)
		rules := ev.change(t)
		require.Equal(t, []string{"v1"}, names(rules), "the timestamped directory is a dot-directory: read once, through the symlink")
		require.Equal(t, filepath.Join(dir, "rules.yaml"), rules[0].File)

		writeAtomic(t, filepath.Join(dir, "..2026_01_01_v2", "rules.yaml"), listRule("v2"))
		require.NoError(t, os.Symlink("..2026_01_01_v2", filepath.Join(dir, "..data_tmp")))
		require.NoError(t, os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")))
		require.NoError(t, os.RemoveAll(filepath.Join(dir, "..2026_01_01_v1")))
		require.Equal(t, []string{"v2"}, names(ev.change(t)))
	})

	t.Run("the directory itself may be a symlink", func(t *testing.T) {
		real := t.TempDir()
		writeAtomic(t, filepath.Join(real, "a.yaml"), listRule("a"))
		link := filepath.Join(t.TempDir(), "rules")
		require.NoError(t, os.Symlink(real, link))
		ev := startWatch(t, link)
		rules := ev.change(t)
		require.Equal(t, []string{"a"}, names(rules))
		require.Equal(t, filepath.Join(link, "a.yaml"), rules[0].File)
	})
}
