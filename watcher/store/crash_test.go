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

// crashModeEnv picks what the crash helper writes: events (empty) or
// decisions.
const crashModeEnv = "NEPHORAN_STORE_CRASH_MODE"

// crashHelper opens the store in dir and runs the helper crashModeEnv
// names.
func crashHelper(dir string) int {
	ctx := context.Background()
	s, err := Open(ctx, dir, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	round := os.Getenv("NEPHORAN_STORE_CRASH_ROUND")
	if os.Getenv(crashModeEnv) == "decisions" {
		return crashDecisions(ctx, s, round)
	}
	return crashEvents(ctx, s, round)
}

// crashEvents appends events from several goroutines, each batch of one to
// three events, and prints "ack <eventId>" for each event once its Append
// returned. It never stops on its own: the test kills it with SIGKILL.
func crashEvents(ctx context.Context, s *Store, round string) int {
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

// crashDecisions records decisions from several goroutines, each batch of
// one to three with every third a suppression, and prints "ack <id>" for
// each once its AppendDecisions returned. Each batch also records the
// previous batch's first decision again. It never stops on its own.
func crashDecisions(ctx context.Context, s *Store, round string) int {
	var out sync.Mutex
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			var again []model.Decision
			for n := 0; ; n++ {
				batch := again
				for k := range 1 + n%3 {
					id := fmt.Sprintf("r%s-g%d-n%d-k%d", round, g, n, k)
					var suppressed model.Suppression
					if (n+k)%3 == 2 {
						suppressed = model.CooldownActive
					}
					batch = append(batch, testDecision(id, fmt.Sprintf("upf-%d", g), "prb-high", suppressed, time.Now()))
				}
				if err := s.AppendDecisions(ctx, batch); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(3)
				}
				var b strings.Builder
				for _, d := range batch[len(again):] {
					b.WriteString("ack " + d.ID + "\n")
				}
				out.Lock()
				_, _ = os.Stdout.WriteString(b.String())
				out.Unlock()
				again = batch[len(again) : len(again)+1]
			}
		})
	}
	wg.Wait()
	return 0
}

// killDuring runs the crash helper of mode (see crashModeEnv) on dir,
// SIGKILLs it while it is writing, after acksBeforeKill acknowledgements,
// and adds every id it acknowledged to acked.
func killDuring(t *testing.T, dir, mode string, round, acksBeforeKill int, acked map[string]bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, crashModeEnv+"="+mode, fmt.Sprintf("NEPHORAN_STORE_CRASH_ROUND=%d", round))
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
			// Still writing: the helper never stops on its own.
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
}

// TestKill9KeepsAcknowledgedEvents runs crashHelper in a child process,
// SIGKILLs it while it is appending, reopens the store and requires every
// event the child acknowledged. Twice in the same directory, so the second
// child also recovers a store left by a killed process.
func TestKill9KeepsAcknowledgedEvents(t *testing.T) {
	dir := t.TempDir()
	acked := map[string]bool{}
	for round := range 2 {
		killDuring(t, dir, "events", round, 400, acked)

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

// TestKill9KeepsAcknowledgedDecisionsQueued kills a child while it records
// decisions: after a restart every decision whose AppendDecisions returned
// is recorded and queued, every decision recorded at all (acknowledged or
// not) is queued exactly once, and no suppression is.
func TestKill9KeepsAcknowledgedDecisionsQueued(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	acked := map[string]bool{}
	for round := range 2 {
		killDuring(t, dir, "decisions", round, 300, acked)

		s := openTest(t, dir, Options{Now: time.Now})
		recorded := map[string]model.Decision{}
		for _, d := range allDecisions(t, s, DecisionQuery{Limit: MaxLimit}) {
			recorded[d.ID] = d
		}
		open, err := s.OpenProposals(ctx)
		require.NoError(t, err)
		queued := map[string]bool{}
		for _, q := range open {
			require.False(t, queued[q.Decision.ID], "%s queued twice", q.Decision.ID)
			queued[q.Decision.ID] = true
			require.Equal(t, recorded[q.Decision.ID], q.Decision, "queued as recorded")
		}
		for id := range acked {
			require.Contains(t, recorded, id, "acknowledged decision lost by kill -9")
		}
		for id, d := range recorded {
			require.Equal(t, d.Suppressed == "", queued[id], "%s: recorded without being queued, or a suppression queued", id)
		}
		require.Equal(t, len(queued), proposalRows(t, s))
		require.NoError(t, s.Close())
		t.Logf("round %d: %d acknowledged, %d recorded, %d queued", round, len(acked), len(recorded), len(queued))
	}
}
