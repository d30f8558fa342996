// Package demo is `nephoran demo` (`make demo`): the closed loop on an
// embedded default. It seeds a bare Git repository with a small rendered
// network (a DU, a CU-UP and a UPF from the blueprints), starts the watcher
// in-process on 127.0.0.1 with the Git backend and the plan's example rules,
// replays the bundled traces through its HTTP endpoints at accelerated time
// (a simulated clock), and prints every proposal (branch, commit message,
// the replicas or placement diff) and every suppression. The repository is
// left for the user to inspect with git.
package demo

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nephoran/nephoran/internal/tracegen"
	"github.com/nephoran/nephoran/watcher"
	"github.com/nephoran/nephoran/watcher/model"
)

// Options configure Run.
type Options struct {
	// Workdir holds deploy.git, the rules and the watcher's data; created
	// if missing, refused if it exists and is not empty. Empty: a new
	// temporary directory.
	Workdir string
	// Out receives the report.
	Out io.Writer
	// Logger receives the watcher's log (default: warnings to stderr).
	Logger *slog.Logger
	// Forge, when its Kind is set, runs the demo against a forge: a new
	// repository there, a pull request per proposal.
	Forge Forge
}

// Run runs the demo and returns once the watcher has stopped.
func Run(ctx context.Context, opts Options) error {
	out := opts.Out
	dir, err := workdir(opts.Workdir)
	if err != nil {
		return err
	}
	clock := &clock{epoch: tracegen.Epoch, speed: speed}
	fmt.Fprintf(out, "== workdir %s\n", dir)
	bare, err := seedRepository(dir, clock.Now())
	if err != nil {
		return err
	}
	rules := filepath.Join(dir, "rules")
	if err := writeRules(rules); err != nil {
		return err
	}
	fmt.Fprintf(out, "   %s: a DU, a CU-UP and a UPF under %s/ on main\n", bare, packagesPath)
	fmt.Fprintf(out, "   %s: the plan's example rules (approval: manual)\n", rules)
	gitCfg := &watcher.GitConfig{URL: bare, Path: packagesPath}
	var forge *forgeRepo
	if opts.Forge.Kind != "" {
		if forge, err = createForgeRepo(ctx, opts.Forge, bare); err != nil {
			return err
		}
		if gitCfg, err = forge.gitConfig(opts.Forge, dir); err != nil {
			return err
		}
		fmt.Fprintf(out, "   %s: the same network pushed to a new repository; proposals become pull requests\n", forge.webURL)
	}

	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- watcher.Run(ctx, watcher.Options{
			Listen: "127.0.0.1:0", Data: filepath.Join(dir, "data"), Rules: rules, Logger: log, Now: clock.Now,
			Config: watcher.Config{Git: gitCfg},
			Ready:  func(a net.Addr) { ready <- a },
		})
	}()
	var base string
	select {
	case a := <-ready:
		base = "http://" + a.String()
	case err := <-done:
		return fmt.Errorf("the watcher did not start: %w", err)
	}
	fmt.Fprintf(out, "== the watcher listens on %s; replaying the bundled traces on a simulated clock\n", base)

	lines, err := traces()
	if err != nil {
		return err
	}
	clock.start()
	for _, l := range lines {
		if err := clock.sleepUntil(ctx, l.At); err != nil {
			return err
		}
		if err := post(ctx, base, l); err != nil {
			return err
		}
	}
	last := lines[len(lines)-1].At
	// The end of the trace: let the clock pass the last window (and its
	// grace), then the loop closes it and the proposals go out.
	if err := clock.sleepUntil(ctx, last.Add(time.Minute+watcher.DefaultWindowGrace)); err != nil {
		return err
	}
	if err := settle(ctx, base); err != nil {
		return err
	}
	fmt.Fprintf(out, "   %d signals from %s to %s (%s of traffic)\n\n", len(lines),
		lines[0].At.Format(time.TimeOnly), last.Format(time.TimeOnly), last.Sub(lines[0].At))

	ds, err := decisions(ctx, base)
	if err != nil {
		return err
	}
	if forge != nil {
		if err := forge.fetchInto(ctx, bare); err != nil {
			return err
		}
	}
	if err := report(out, bare, ds); err != nil {
		return err
	}
	if forge != nil {
		if err := forge.pullRequests(ctx, out, opts.Forge.URL); err != nil {
			return err
		}
	}
	stop()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	fmt.Fprintf(out, "\n== look around\n   git --git-dir %s log --all --oneline --graph\n", bare)
	fmt.Fprintf(out, "   git --git-dir %s branch --list 'proposed/*'   # approving a proposal is merging its branch into main\n", bare)
	return nil
}

func workdir(dir string) (string, error) {
	if dir == "" {
		return os.MkdirTemp("", "nephoran-demo-")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	if len(entries) > 0 {
		return "", fmt.Errorf("--workdir %s is not empty", dir)
	}
	return filepath.Abs(dir)
}

// speed is how much faster than real time the traces play: their 30
// minutes take 6 s. A signal waits for its moment on this clock, so the
// watcher's loop runs a few trace seconds behind at most, well inside the
// window grace (5 s) and the staleness limit (90 s).
const speed = 300

// clock is the watcher's time: the traces' epoch, running speed times
// faster than the wall clock from start.
type clock struct {
	epoch time.Time
	speed time.Duration
	mu    sync.Mutex
	real  time.Time // the wall-clock start; zero before start
}

func (c *clock) start() { c.mu.Lock(); defer c.mu.Unlock(); c.real = time.Now() }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.real.IsZero() {
		return c.epoch
	}
	return c.epoch.Add(time.Since(c.real) * c.speed)
}

// sleepUntil waits until the clock reads t.
func (c *clock) sleepUntil(ctx context.Context, t time.Time) error {
	c.mu.Lock()
	due := c.real.Add(t.Sub(c.epoch) / c.speed)
	c.mu.Unlock()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Until(due)):
		return nil
	}
}

// line is one signal of the bundled traces.
type line struct {
	At  time.Time       `json:"at"`
	KPM json.RawMessage `json:"kpm"`
	VES json.RawMessage `json:"ves"`
}

// traces merges the two bundled traces (internal/tracegen writes them
// exactly as testdata/traces/ holds them) in time order.
func traces() ([]line, error) {
	var all []line
	for _, gen := range []func(io.Writer) error{tracegen.PRBRamp, tracegen.LinkDownStorm} {
		var buf bytes.Buffer
		if err := gen(&buf); err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(&buf)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var l line
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				return nil, err
			}
			all = append(all, l)
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].At.Before(all[j].At) })
	return all, nil
}

// post sends one signal to the watcher's ingest endpoint.
func post(ctx context.Context, base string, l line) error {
	path, body := "/api/v1/kpm/reports", l.KPM
	if l.VES != nil {
		path, body = "/eventListener/v7", l.VES
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("POST %s: %s: %s", path, resp.Status, b)
	}
	return nil
}

// settle waits until the loop has closed the last window and every
// proposal is delivered: no proposal pending and no new decision for two
// consecutive looks.
func settle(ctx context.Context, base string) error {
	deadline := time.Now().Add(45 * time.Second)
	prev, stable := -1, 0
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
		ds, err := decisions(ctx, base)
		if err != nil {
			return err
		}
		pending, err := gauge(ctx, base, "planner_proposals_pending")
		if err != nil {
			return err
		}
		if len(ds) == prev && pending == 0 {
			if stable++; stable >= 2 {
				return nil
			}
		} else {
			stable = 0
		}
		prev = len(ds)
	}
	return errors.New("the watcher did not settle within 45 s")
}

// decisions reads every recorded decision and suppression, oldest first.
func decisions(ctx context.Context, base string) ([]model.Decision, error) {
	var all []model.Decision
	cursor := ""
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/decisions?limit=1000&cursor="+cursor, nil)
		if err != nil {
			return nil, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		var page struct {
			Items      []model.Decision `json:"items"`
			NextCursor string           `json:"nextCursor"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("GET /api/v1/decisions: %w", err)
		}
		all = append(all, page.Items...)
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].At.Before(all[j].At) })
	return all, nil
}

// gauge reads one unlabelled gauge from /metrics.
func gauge(ctx context.Context, base, name string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			var f float64
			_, err := fmt.Sscan(v, &f)
			return f, err
		}
	}
	return 0, fmt.Errorf("/metrics has no %s", name)
}
