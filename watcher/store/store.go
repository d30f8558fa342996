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
	// DefaultKPMRetention is shorter than DefaultRetention because of
	// volume: 10,000 cells reporting every second are 864 million rows a
	// day, about 290 bytes each with five measurements (250 GB), where VES
	// events number thousands. A day covers the trace an operator exports
	// to replay an incident; a fleet that large wants less.
	DefaultKPMRetention = 24 * time.Hour
	// DefaultKPMBuffer is five seconds of 10,000 reports a second (a few
	// MB): enough to ride out a slow fsync or a prune.
	DefaultKPMBuffer = 50_000
)

// ErrClosed is returned by calls on a Store after Close.
var ErrClosed = errors.New("store closed")

// schemaVersion is PRAGMA user_version of a database this code created:
// len(migrations).
const schemaVersion = 3

// migrations[v] takes a database from schema version v to v+1. They are
// applied in order in one transaction, so a database is never left between
// two versions. Append only: a released migration never changes.
var migrations = []string{
	// v1: the VES event audit.
	`
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
`,
	// v2: the watcher's decisions and suppressions, and the KPM reports
	// kept for trace export.
	`
CREATE TABLE decisions (
	id             INTEGER PRIMARY KEY AUTOINCREMENT,
	decision_id    TEXT    NOT NULL, -- model.Decision.ID (not unique: a decision may be recorded again)
	at             INTEGER NOT NULL, -- unix microseconds
	cnf            TEXT    NOT NULL,
	action         TEXT    NOT NULL,
	rule           TEXT    NOT NULL,
	reason         TEXT    NOT NULL,
	suppressed     TEXT    NOT NULL, -- '' for a decision
	detail         TEXT    NOT NULL,
	correlation_id TEXT    NOT NULL,
	approval       TEXT    NOT NULL,
	intent         TEXT              -- the CNFIntent as JSON; NULL for a suppression
);
CREATE INDEX decisions_at            ON decisions (at);
CREATE INDEX decisions_cnf_at        ON decisions (cnf, at);
CREATE INDEX decisions_rule_at       ON decisions (rule, at);
CREATE INDEX decisions_suppressed_at ON decisions (suppressed, at);

-- No AUTOINCREMENT (it updates sqlite_sequence on every insert, 10,000 a
-- second): ids only break ties between reports received in the same
-- microsecond, and retention deletes the oldest rows, so they still grow.
CREATE TABLE kpm_reports (
	id             INTEGER PRIMARY KEY,
	received_at    INTEGER NOT NULL, -- unix microseconds
	node_id        TEXT    NOT NULL,
	cell_id        TEXT    NOT NULL,
	collect_start  INTEGER NOT NULL, -- unix nanoseconds
	granularity_ms INTEGER NOT NULL, -- 0 when the report had none
	measurements   TEXT    NOT NULL  -- compact JSON: [{"name":"RRU.PrbUsedDl","value":42},...]
);
CREATE INDEX kpm_reports_received      ON kpm_reports (received_at);
CREATE INDEX kpm_reports_node_received ON kpm_reports (node_id, received_at);
`,
	// v3: the proposal queue (see proposals.go). A decision recorded from
	// now on is queued in the same transaction. The decisions already
	// recorded are not queued: no version before this one delivered
	// anything, and proposing days-old decisions on upgrade would be wrong.
	`
-- id is the queue order (a rowid alias, stable across VACUUM; without
-- AUTOINCREMENT a new row still gets more than every row kept, since
-- pending rows are never deleted and pruning removes old settled ones).
CREATE TABLE proposals (
	id              INTEGER PRIMARY KEY,
	decision_id     TEXT    NOT NULL UNIQUE, -- model.Decision.ID: the proposal's id
	decision        TEXT    NOT NULL,        -- the model.Decision as JSON, intent included
	cnf             TEXT    NOT NULL,
	action          TEXT    NOT NULL,
	state           TEXT    NOT NULL,        -- pending, delivered, nochange
	attempts        INTEGER NOT NULL,        -- failed deliveries
	next_attempt_at INTEGER NOT NULL,        -- unix microseconds: due from then while pending
	ref             TEXT    NOT NULL,        -- where the backend keeps it (a branch), once delivered
	commit_id       TEXT    NOT NULL,        -- its commit (git backend), once delivered
	merged          INTEGER NOT NULL,        -- 1 once it is on the deployment branch
	last_error      TEXT    NOT NULL,        -- the last failure, or why it changes nothing
	created_at      INTEGER NOT NULL,        -- unix microseconds
	updated_at      INTEGER NOT NULL         -- unix microseconds
);
CREATE INDEX proposals_state_cnf     ON proposals (state, cnf, id);
CREATE INDEX proposals_state_updated ON proposals (state, updated_at);
`,
}

// Options configure a Store. The zero value is usable.
type Options struct {
	// Retention is how long an event is kept after it was received, a
	// decision after it was made, and a delivered or unchanged proposal
	// after it was last updated; a pending proposal is kept until it is
	// delivered (DefaultRetention when zero).
	Retention time.Duration
	// KPMRetention is how long a KPM report is kept after it was received
	// (DefaultKPMRetention when zero).
	KPMRetention time.Duration
	// KPMBuffer is how many reports RecordKPM queues for the writer before
	// it drops them (DefaultKPMBuffer when zero).
	KPMBuffer int
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
	if o.KPMRetention <= 0 {
		o.KPMRetention = DefaultKPMRetention
	}
	if o.KPMBuffer <= 0 {
		o.KPMBuffer = DefaultKPMBuffer
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
	// r is the pool of read-only connections used by the queries.
	w, r *sql.DB

	// inserts and kpmInserts are the prepared INSERTs by row count,
	// decisionInsert the one-row INSERT of a decision, proposalInsert its
	// queueing and markStmts the updates of a queued proposal; args is the
	// writer goroutine's reused argument slice.
	inserts, kpmInserts []*sql.Stmt
	decisionInsert      *sql.Stmt
	proposalInsert      *sql.Stmt
	markStmts           [numMarks]*sql.Stmt
	args                []any
	// syncNormal says the write connection is at synchronous=NORMAL, as
	// writeKPM leaves it when it cannot restore FULL. Writer goroutine only,
	// like kpmBatch, the rows of the KPM batch being written.
	syncNormal bool
	kpmBatch   []kpmRow

	reqs       chan *appendReq // Append, AppendDecisions -> writer
	quit       chan struct{}   // closed by Close
	writerDone chan struct{}   // closed when the writer has exited

	// kpm is RecordKPM's queue (see kpm.go); kpmWake tells the writer it
	// has reports.
	kpm     kpmQueue
	kpmWake chan struct{}

	// pruneChunk is defaultPruneChunk; tests make it small.
	pruneChunk int64

	transactions atomic.Uint64
	events       atomic.Uint64
	decisions    atomic.Uint64
	kpmTx        atomic.Uint64
	kpmWritten   atomic.Uint64
	kpmDropped   atomic.Uint64
	kpmFailed    atomic.Uint64

	// beforeCommit, when set (by tests, before the first Append), is called
	// by the writer with the number of requests of a batch before it begins
	// the batch's transaction.
	beforeCommit func(requests int)

	closeOnce sync.Once
	closeErr  error
}

// Stats are counters since Open, for metrics and tests.
type Stats struct {
	// Transactions is the number of committed Append and AppendDecisions
	// transactions (shared by group commit).
	Transactions uint64
	// Events is the number of events they held.
	Events uint64
	// Decisions is the number of decisions and suppressions they held.
	Decisions uint64

	// KPMTransactions is the number of committed RecordKPM batches.
	KPMTransactions uint64
	// KPMReports is the number of KPM reports they held.
	KPMReports uint64
	// KPMDropped is the number of reports RecordKPM dropped because its
	// buffer was full or the store closed: export it as a counter such as
	// nephoran_store_kpm_reports_dropped_total{reason="buffer_full"}.
	KPMDropped uint64
	// KPMWriteFailed is the number of reports lost because the transaction
	// of their batch failed (the error is logged):
	// nephoran_store_kpm_reports_dropped_total{reason="write_failed"}.
	KPMWriteFailed uint64
}

// Stats returns the counters of committed writes and dropped KPM reports.
func (s *Store) Stats() Stats {
	return Stats{
		Transactions:    s.transactions.Load(),
		Events:          s.events.Load(),
		Decisions:       s.decisions.Load(),
		KPMTransactions: s.kpmTx.Load(),
		KPMReports:      s.kpmWritten.Load(),
		KPMDropped:      s.kpmDropped.Load(),
		KPMWriteFailed:  s.kpmFailed.Load(),
	}
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

	s := &Store{
		opts:       opts,
		dir:        dir,
		w:          w,
		r:          r,
		reqs:       make(chan *appendReq, 4096),
		quit:       make(chan struct{}),
		writerDone: make(chan struct{}),
		kpm:        kpmQueue{capacity: opts.KPMBuffer},
		kpmWake:    make(chan struct{}, 1),
		pruneChunk: defaultPruneChunk,
	}
	if err := s.prepare(ctx); err != nil {
		_ = errors.Join(s.closeStmts(), r.Close(), w.Close())
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	go s.writeLoop()
	return s, nil
}

// Close stops accepting appends, commits what is already queued (appends,
// decisions and the KPM reports RecordKPM buffered), and closes the
// database. It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.quit)
		<-s.writerDone
		s.closeErr = errors.Join(s.closeStmts(), s.r.Close(), s.w.Close())
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

// migrate brings the schema up to schemaVersion: it creates it in a new
// database, applies the missing migrations to an older one (in place, in
// one transaction), leaves a current one alone (so opening a store another
// process has open, such as the CLI beside a running watcher, writes
// nothing) and refuses one written by a newer version of this code.
func migrate(ctx context.Context, db *sql.DB) error {
	version, err := userVersion(ctx, db)
	if err != nil {
		return err
	}
	switch {
	case version == schemaVersion:
		return nil
	case version > schemaVersion:
		return fmt.Errorf("schema version %d is newer than this build's %d", version, schemaVersion)
	case version < 0:
		return fmt.Errorf("schema version %d is not one this build knows", version)
	}
	// BEGIN IMMEDIATE (the write pool's _txlock): two processes opening an
	// old database at once take turns, and the second finds it migrated.
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate schema: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("migrate schema: read version: %w", err)
	}
	switch {
	case version == schemaVersion:
		return nil // another process migrated it meanwhile
	case version > schemaVersion:
		return fmt.Errorf("schema version %d is newer than this build's %d", version, schemaVersion)
	}
	for v := version; v < schemaVersion; v++ {
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			return fmt.Errorf("migrate schema from version %d to %d: %w", v, v+1, err)
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion)); err != nil {
		return fmt.Errorf("migrate schema: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate schema: %w", err)
	}
	return nil
}

func userVersion(ctx context.Context, db *sql.DB) (int, error) {
	var version int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return version, nil
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
