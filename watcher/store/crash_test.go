package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/watcher/model"
)

// crashDirEnv makes the test binary run crashHelper instead of the tests
// (see TestMain). The helper is this package's test binary run again rather
// than a separate main built with `go build`: that would compile
// modernc.org/sqlite a second time (with other flags than -race), which costs
// more than the whole suite on a fresh cache.
const crashDirEnv = "NEPHORAN_STORE_CRASH_DIR"

// crashHelper appends events to the store in dir from several goroutines,
// each batch of one to three events, and prints "ack <eventId>" for each
// event once its Append returned. It never stops on its own: the test kills
// it with SIGKILL.
func crashHelper(dir string) int {
	ctx := context.Background()
	s, err := Open(ctx, dir, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	round := os.Getenv("NEPHORAN_STORE_CRASH_ROUND")
	var out sync.Mutex
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for n := 0; ; n++ {
				batch := make([]model.Event, 1+n%3)
				for k := range batch {
					id := fmt.Sprintf("r%s-g%d-n%d-k%d", round, g, n, k)
					batch[k] = testEvent(id, fmt.Sprintf("du-%d", g), "fault", "MAJOR", time.Now())
				}
				if err := s.Append(ctx, batch); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(3)
				}
				var b strings.Builder
				for _, e := range batch {
					b.WriteString("ack " + e.EventID + "\n")
				}
				out.Lock()
				_, _ = os.Stdout.WriteString(b.String()) // one write(2), no buffering
				out.Unlock()
			}
		})
	}
	wg.Wait()
	return 0
}

// TestKill9KeepsAcknowledgedEvents runs crashHelper in a child process,
// SIGKILLs it while it is appending, reopens the store and requires every
// event the child acknowledged. Twice in the same directory, so the second
// child also recovers a store left by a killed process.
func TestKill9KeepsAcknowledgedEvents(t *testing.T) {
	const acksBeforeKill = 400
	dir := t.TempDir()
	acked := map[string]bool{}
	for round := range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, fmt.Sprintf("NEPHORAN_STORE_CRASH_ROUND=%d", round))
		var stderr strings.Builder
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())

		sc := bufio.NewScanner(stdout)
		n := 0
		killed := false
		for sc.Scan() {
			id, ok := strings.CutPrefix(sc.Text(), "ack ")
			require.True(t, ok, "unexpected output %q", sc.Text())
			acked[id] = true
			n++
			if n == acksBeforeKill && !killed {
				// Still appending: the helper never stops on its own.
				require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
				killed = true
			}
		}
		// Acks written between the signal and the death count too: they are
		// read to EOF above.
		require.NoError(t, sc.Err())
		err = cmd.Wait()
		require.True(t, killed, "helper stopped before %d acks: %v\n%s", acksBeforeKill, err, stderr.String())
		var exitErr *exec.ExitError
		require.True(t, errors.As(err, &exitErr), "helper: %v", err)
		ws := exitErr.Sys().(syscall.WaitStatus)
		require.True(t, ws.Signaled() && ws.Signal() == syscall.SIGKILL, "helper ended by %v, not SIGKILL\n%s", err, stderr.String())

		s := openTest(t, dir, Options{Now: time.Now})
		stored := map[string]bool{}
		for _, e := range all(t, s, Query{Limit: MaxLimit}) {
			require.False(t, stored[e.EventID], "%s stored twice", e.EventID)
			stored[e.EventID] = true
		}
		var lost []string
		for id := range acked {
			if !stored[id] {
				lost = append(lost, id)
			}
		}
		require.Empty(t, lost, "acknowledged events lost by kill -9")
		require.NoError(t, s.Close())
		t.Logf("round %d: %d acknowledged, %d stored", round, len(acked), len(stored))
	}
}
