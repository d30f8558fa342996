package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// FileName is the database file Open creates in its directory (beside it
// SQLite keeps events.db-wal and events.db-shm).
const FileName = "events.db"

// Defaults of Options.
const (
	DefaultRetention     = 7 * 24 * time.Hour
	DefaultPruneInterval = time.Hour
)

// ErrClosed is returned by calls on a Store after Close.
var ErrClosed = errors.New("store closed")

// schemaVersion is PRAGMA user_version of a database this code created.
const schemaVersion = 1

const schema = `
CREATE TABLE IF NOT EXISTS events (
	id                     INTEGER PRIMARY KEY AUTOINCREMENT,
	received_at            INTEGER NOT NULL, -- unix microseconds
	domain                 TEXT    NOT NULL,
	event_id               TEXT    NOT NULL,
	event_name             TEXT    NOT NULL,
	source_name            TEXT    NOT NULL,
	reporting_entity_name  TEXT    NOT NULL,
	priority               TEXT    NOT NULL,
	severity               TEXT    NOT NULL,
	stnd_defined_namespace TEXT    NOT NULL,
	start_epoch_microsec   INTEGER NOT NULL,
	last_epoch_microsec    INTEGER NOT NULL,
	result                 TEXT    NOT NULL,
	deviations             TEXT,             -- JSON array of strings, NULL when none
	raw                    TEXT    NOT NULL  -- the event object as received
);
CREATE INDEX IF NOT EXISTS events_source_received ON events (source_name, received_at);
CREATE INDEX IF NOT EXISTS events_domain_received ON events (domain, received_at);
CREATE INDEX IF NOT EXISTS events_received        ON events (received_at);
`

// Options configure a Store. The zero value is usable.
type Options struct {
	// Retention is how long an event is kept after it was received
	// (DefaultRetention when zero).
	Retention time.Duration
	// PruneInterval is how often Run prunes (DefaultPruneInterval when zero).
	PruneInterval time.Duration
	// Now is the clock used for retention and for events without a
	// ReceivedAt (time.Now when nil).
	Now func() time.Time
	// Logger receives what Run and the query handler cannot return
	// (discarded when nil).
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Retention <= 0 {
		o.Retention = DefaultRetention
	}
	if o.PruneInterval <= 0 {
		o.PruneInterval = DefaultPruneInterval
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return o
}

// Store is the event store. Its methods are safe for concurrent use.
type Store struct {
	opts Options
	dir  string

	// w has exactly one connection, used by the writer goroutine and Prune;
	// r is the pool of read-only connections used by Query.
	w, r *sql.DB

	// inserts are the prepared INSERTs by row count; args is the writer
	// goroutine's reused argument slice.
	inserts []*sql.Stmt
	args    []any

	reqs       chan *appendReq // Append -> writer
	quit       chan struct{}   // closed by Close
	writerDone chan struct{}   // closed when the writer has exited

	// pruneChunk is defaultPruneChunk; tests make it small.
	pruneChunk int64

	transactions atomic.Uint64
	events       atomic.Uint64

	// beforeCommit, when set (by tests, before the first Append), is called
	// by the writer with the number of requests of a batch before it begins
	// the batch's transaction.
	beforeCommit func(requests int)

	closeOnce sync.Once
	closeErr  error
}

// Stats are counters since Open, for metrics and tests.
type Stats struct {
	// Transactions is the number of committed Append transactions.
	Transactions uint64
	// Events is the number of events they held.
	Events uint64
}

// Stats returns the counters of committed appends.
func (s *Store) Stats() Stats {
	return Stats{Transactions: s.transactions.Load(), Events: s.events.Load()}
}

// Open opens the store in dir, creating dir and the database file if they
// are missing, and starts the writer goroutine. It does not start the
// retention loop: call Run for that.
func Open(ctx context.Context, dir string, opts Options) (*Store, error) {
	opts = opts.withDefaults()
	if strings.ContainsAny(dir, "?#") {
		return nil, fmt.Errorf("open store: directory %q contains '?' or '#'", dir)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	path := filepath.Join(dir, FileName)

	// The writer connection: WAL so readers never block it, synchronous=FULL
	// so a commit returns only after the WAL is fsync'ed, a 32 MB page cache
	// (SQLite's default is 2 MB) so inserts into the per-source index do not
	// reread its pages, BEGIN IMMEDIATE so a transaction takes the write
	// lock up front instead of failing on upgrade.
	w, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=cache_size(-32768)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := migrate(ctx, w); err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := syncDir(dir); err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}

	r, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)&_pragma=query_only(1)")
	if err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	readers := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(readers)
	r.SetMaxIdleConns(readers)
	if err := r.PingContext(ctx); err != nil {
		_ = errors.Join(r.Close(), w.Close())
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}

	inserts, err := prepareInserts(ctx, w)
	if err != nil {
		_ = errors.Join(r.Close(), w.Close())
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}

	s := &Store{
		opts:       opts,
		dir:        dir,
		w:          w,
		r:          r,
		inserts:    inserts,
		reqs:       make(chan *appendReq, 4096),
		quit:       make(chan struct{}),
		writerDone: make(chan struct{}),
		pruneChunk: defaultPruneChunk,
	}
	go s.writeLoop()
	return s, nil
}

// Close stops accepting appends, commits what is already queued, and closes
// the database. It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.quit)
		<-s.writerDone
		s.closeErr = errors.Join(closeStmts(s.inserts), s.r.Close(), s.w.Close())
		if s.closeErr != nil {
			s.closeErr = fmt.Errorf("close store: %w", s.closeErr)
		}
	})
	return s.closeErr
}

// Ping reports whether the store is open and its database answers: the
// watcher's /readyz.
func (s *Store) Ping(ctx context.Context) error {
	if s.closed() {
		return ErrClosed
	}
	select {
	case <-s.writerDone:
		return fmt.Errorf("ping store: writer stopped")
	default:
	}
	var one int
	if err := s.r.QueryRowContext(ctx, "SELECT 1 FROM sqlite_schema LIMIT 1").Scan(&one); err != nil {
		return fmt.Errorf("ping store: %w", err)
	}
	return nil
}

func (s *Store) closed() bool {
	select {
	case <-s.quit:
		return true
	default:
		return false
	}
}

// migrate creates the schema in a new database and refuses one written by a
// newer version of this code.
func migrate(ctx context.Context, db *sql.DB) error {
	var version int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	switch {
	case version == schemaVersion:
		return nil
	case version > schemaVersion:
		return fmt.Errorf("schema version %d is newer than this build's %d", version, schemaVersion)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("create schema: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, schema); err != nil {
		return fmt.Errorf("create schema: %w", err)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion)); err != nil {
		return fmt.Errorf("create schema: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("create schema: %w", err)
	}
	return nil
}

// syncDir fsyncs a directory so the entries of files created in it survive
// a power loss.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}
