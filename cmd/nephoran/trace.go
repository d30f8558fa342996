package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/nephoran/nephoran/watcher/store"
)

func newTraceCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "trace",
		Short: "Work with replay traces: the VES events and KPM reports a watcher received",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newTraceExportCommand())
	return cmd
}

// traceExportOptions are the flags of `trace export`.
type traceExportOptions struct {
	Data, Source, Node, Output string
	Since, Until               time.Time
}

func newTraceExportCommand() *cobra.Command {
	var opts traceExportOptions
	var since, until string
	cmd := &cobra.Command{
		Use:   "export --data DIR --since T --until T [--source S] [--node N] [--output FILE]",
		Short: "Write the events and reports a watcher stored in a time range as a replay trace",
		Long: `export reads the event store in a watcher's data directory and writes the VES events
and E2SM-KPM reports received in [--since, --until) as a replay trace: JSON Lines in received-time
order, {"at":...,"ves":{"event":...}} or {"at":...,"kpm":{...}}, each as the watcher's ingest
takes it. --source keeps the VES events of one sourceName, --node the KPM reports of one E2 node;
neither drops the other kind, so to reproduce one CNF's decisions pass both. It works beside a
running watcher. KPM reports are kept for a day by default (store.kpmRetention), VES events for
a week.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if opts.Since, err = parseFlagTime("since", since); err != nil {
				return err
			}
			if opts.Until, err = parseFlagTime("until", until); err != nil {
				return err
			}
			if !opts.Until.After(opts.Since) {
				return fmt.Errorf("--until %s is not after --since %s", until, since)
			}
			n, err := runTraceExport(cmd.Context(), opts, cmd.OutOrStdout())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "%d lines\n", n)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Data, "data", "", "the watcher's data directory (holding "+store.FileName+")")
	f.StringVar(&since, "since", "", "RFC 3339 start of the range (inclusive)")
	f.StringVar(&until, "until", "", "RFC 3339 end of the range (exclusive)")
	f.StringVar(&opts.Source, "source", "", "keep only the VES events of this sourceName")
	f.StringVar(&opts.Node, "node", "", "keep only the KPM reports of this nodeId")
	f.StringVarP(&opts.Output, "output", "o", "", "write to FILE (only when the export succeeds) instead of stdout")
	for _, name := range []string{"data", "since", "until"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}

func parseFlagTime(name, value string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, value)
	if err != nil {
		return time.Time{}, fmt.Errorf("--%s: want an RFC 3339 time such as 2026-03-01T12:00:00Z, got %q", name, value)
	}
	return t, nil
}

// runTraceExport exports the trace opts select to stdout, or to
// opts.Output through a temporary file renamed over it on success. It
// returns the number of lines.
func runTraceExport(ctx context.Context, opts traceExportOptions, stdout io.Writer) (n int, err error) {
	// Open would create a missing store: a mistyped --data must not
	// export an empty trace.
	if _, err := os.Stat(filepath.Join(opts.Data, store.FileName)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, fmt.Errorf("--data %s: no event store (%s) there", opts.Data, store.FileName)
		}
		return 0, err
	}
	s, err := store.Open(ctx, opts.Data, store.Options{})
	if err != nil {
		return 0, err
	}
	defer func() { err = errors.Join(err, s.Close()) }()

	filter := store.TraceFilter{Source: opts.Source, Node: opts.Node, Since: opts.Since, Until: opts.Until}
	if opts.Output == "" {
		return s.ExportTrace(ctx, stdout, filter)
	}
	return writeFileAtomically(opts.Output, func(w io.Writer) (int, error) {
		return s.ExportTrace(ctx, w, filter)
	})
}

// writeFileAtomically writes path through a temporary file in its
// directory, synced and renamed over path only when write succeeds: path is
// never left half written.
func writeFileAtomically(path string, write func(io.Writer) (int, error)) (n int, err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if n, err = write(tmp); err != nil {
		return n, err
	}
	if err = tmp.Chmod(0o644); err != nil {
		return n, err
	}
	if err = tmp.Sync(); err != nil {
		return n, fmt.Errorf("write %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return n, fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return n, err
	}
	return n, nil
}
