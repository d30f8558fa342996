// Package store is the watcher's durable audit of accepted VES events and of
// its decisions, the queue of the decisions still to deliver as proposals,
// and the record of KPM reports that trace export reads: an
// embedded SQLite database (modernc.org/sqlite, no cgo) in the watcher's data
// directory, a time-bounded retention, and the query APIs operators read it
// through (GET /api/v1/fcaps/events, GET /api/v1/decisions).
//
// # Where it sits
//
//	VES producer -> ingest/ves (decode, validate) -> Sink.Append -> 202
//	                                                   |
//	                              watcher.go wires *store.Store in here
//
// Stages never import each other: ingest declares the small interface it
// needs (a Sink with Append(ctx, []model.Event) error) and watcher.go passes
// a *Store, which satisfies it. The store only knows model.Event. The
// watcher also mounts QueryHandler as "GET /api/v1/fcaps/events" (POST on
// that path is ingest's HMAC webhook), uses Ping for /readyz, and starts Run
// for retention.
//
// # Durability
//
// Append returns nil only after the transaction holding its events has been
// committed with SQLite in WAL mode and synchronous=FULL, that is after the
// write-ahead log was fsync'ed. A process crash (kill -9) or a power loss
// after Append returned loses none of those events (the latter as far as the
// disk honours fsync). The kill -9 test in this package checks this with a
// separate process that is killed while it appends. Open also fsyncs the data
// directory once the database files exist, so their directory entries
// survive a power loss too.
//
// An error from Append means the events may or may not be stored (the
// caller answers the producer with an error and the producer retries, so the
// store is at-least-once). When ctx ends before the single writer picked the
// request up, the events are not written; when it ends later, Append stops
// waiting and returns ctx's error, but the commit goes on and the events stay.
//
// # Group commit
//
// One writer goroutine owns the write connection. Append turns its events
// into rows in the caller's goroutine, sends a request (the rows and a done
// channel) on a buffered channel and waits. The writer takes the first
// request, then drains without blocking whatever else is queued (up to about
// 10,000 events), writes all of it in one transaction (prepared INSERTs of
// up to 32 rows each), commits once (one fsync) and answers every request of
// the batch. Under load many Appends
// share one fsync; an idle store commits a lone Append at once, with no timer
// adding latency. One Append is atomic: its events are all in one
// transaction.
//
// # Decisions, KPM reports, traces
//
// AppendDecisions records the watcher's decisions and suppressions
// (model.Decision) with the same durability as Append: its rows join the
// writer's next group commit. Decisions pages them newest first like Query
// (DecisionsHandler serves it), and RecentEvents and RecentDecisions return
// what the watcher reads after a restart to rebuild its dedup and cooldown
// state.
//
// # Proposal queue
//
// AppendDecisions also queues every decision (Suppressed empty, Intent set)
// in the proposals table, in the same transaction as its decisions row: a
// decision recorded is a decision queued, and a kill -9 cannot fall between
// the two (TestKill9KeepsAcknowledgedDecisionsQueued). The queue is keyed by
// the decision id (INSERT OR IGNORE), so a decision recorded twice is
// queued once. The delivery worker (watcher/deliver) reads PendingProposals
// (due ones in the order they were recorded; a CNF whose oldest pending
// proposal waits for a retry holds back the ones queued after it) and
// writes the outcome back with MarkDelivered, MarkNoChange or MarkFailed;
// these updates go through the same writer and group commit, durable when
// they return. OpenProposals (pending, or delivered and not merged) feeds
// the ProposalOpen suppression after a restart, ProposalCounts the pending
// gauge. A delivery's record and the queue's rows are model.Proposal and
// model.QueuedProposal, so the store and the worker import neither each
// other nor propose.
//
// RecordKPM is not on a durable path: KPM ingest acknowledges from memory.
// It queues the reports in a bounded buffer (Options.KPMBuffer; what does
// not fit is dropped and counted in Stats) and the same writer goroutine
// writes them in batches between its group commits, at synchronous=NORMAL
// (no fsync of their own; the next Append's commit syncs them). Appends go
// first, so 10,000 reports a second do not delay the 202s
// (BenchmarkAppendConcurrentWithKPM).
//
// ExportTrace writes the VES events and KPM reports of a time range as a
// replay trace (JSON Lines, each signal as ingest takes it), merging both
// tables in received-time order a chunk at a time; `nephoran trace export`
// runs it on the store of a running watcher (WAL lets a second process read
// while the watcher writes).
//
// # Schema
//
// PRAGMA user_version is the schema version; migrations holds one step per
// version. Open applies the missing steps in one transaction (a version 1
// database gains the decisions and kpm_reports tables in place, a version 2
// one the proposals table, without queueing the decisions it already
// holds), does nothing to a current database, and refuses a newer one.
//
// # Queries, retention
//
// Query filters on source, domain, severity and a [since, until) range of
// received time, and returns the newest events first: ordered by received
// time, then by the autoincrement id, with an opaque keyset cursor holding
// both. Retention (7 days by default) and since/until use model.Event's
// ReceivedAt, never the producer's clock; Append never refuses an event for
// its age, Prune removes it later. Decisions are kept as long as events (by
// their At), delivered and unchanged proposals as long after their last
// update, pending proposals until they are delivered, KPM reports for Options.KPMRetention (a day by default: at
// 10,000 cells a second they are by far the largest table). Run(ctx) is the
// background loop that prunes at start and then every
// Options.PruneInterval; the watcher starts it beside its other loops.
package store
