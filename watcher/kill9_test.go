package watcher_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// killRounds is the exactly-once drill of the kill -9 tests: it posts one
// LINK_DOWN per CNF (source src-<i>) to a watcher from start, kills each of
// the first three incarnations with SIGKILL at a random point while it
// decides and delivers (up to maxDelay after a random post; a round with
// nothing left to post, up to 2*maxDelay into the delivery of the queue),
// posts again every event that was not acknowledged (as a VES producer
// does), and returns once the last incarnation has delivered everything
// (delivered(base) holds). progress says how far it got, for the log.
func killRounds(t *testing.T, n int, maxDelay time.Duration, start func() (*exec.Cmd, string), delivered func(base string) bool, progress func() string) {
	t.Helper()
	acked := make([]bool, n)
	rng := rand.New(rand.NewPCG(uint64(n), uint64(time.Now().UnixNano())))
	delay := func(d time.Duration) time.Duration { return time.Duration(rng.Int64N(int64(d))) }
	for round := 0; ; round++ {
		cmd, base := start()
		var pending []int
		for i := range n {
			if !acked[i] {
				pending = append(pending, i)
			}
		}
		if len(pending) == 0 && round >= 3 {
			require.Eventually(t, func() bool { return delivered(base) }, 90*time.Second, 100*time.Millisecond,
				"never delivered everything: %s", progress())
			return
		}
		killAfter := -1
		if round < 3 && len(pending) > 0 {
			killAfter = rng.IntN(len(pending))
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		for k, i := range pending {
			wg.Add(1)
			go func() {
				defer wg.Done()
				body := linkDownFrom(fmt.Sprintf("src-%02d", i), fmt.Sprintf("ld-%02d", i))
				resp, err := http.Post(base+"/eventListener/v7", "application/json", strings.NewReader(body))
				if err != nil {
					return // killed: posted again next round
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusAccepted {
					mu.Lock()
					acked[i] = true
					mu.Unlock()
				}
			}()
			if k == killAfter {
				time.Sleep(delay(maxDelay)) // let some decisions and deliveries start
				require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
			}
		}
		wg.Wait()
		switch {
		case killAfter >= 0:
		case len(pending) == 0:
			time.Sleep(delay(2 * maxDelay)) // into the delivery of the queue
		default:
			time.Sleep(delay(maxDelay))
		}
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		t.Logf("round %d: %d events posted, killed after %d; %s", round, len(pending), killAfter, progress())
	}
}
