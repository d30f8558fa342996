// Package decide is the watcher's decision stage: pure functions of
// (state, observation, now) that turn the rules matching a closed KPM window
// or a VES event into decisions (a CNFIntent to propose) or suppressions
// (the one reason it was not proposed).
//
//	ingest/kpm --closed Window--\
//	                             +--> (*State).Window / Event --> []model.Decision --> store, propose
//	ingest/ves --Event----------/            ^
//	                  rules (CEL) -> SetRules | SetInventory (CNFDeployments) | SetProposals (proposer)
//
// No goroutines, no I/O, no clock (now is an argument), no logging and no
// metrics: every outcome is a return value the caller records and counts.
// A *State is not safe for concurrent use; the caller serializes. The same
// calls give the same outputs in the same order: CNFs by name, then rules by
// name.
//
// # Mapping
//
// A CNF is identified by its name, as CNFIntent.spec.target names it.
// A Window maps to every CNF whose spec.kpm.nodeId is its node (Input.Cells
// restricted to spec.kpm.cellIds when listed; Metrics stay the node's). An
// Event maps to every CNF whose VESSourceNames() contain its sourceName. A
// rule's target narrows further (nfType, names, label selector; every set
// field must match). Metric rules see only windows; event rules only events
// whose domain is exactly their eventDomain (no aliasing of measurement and
// measurementsForVfScaling) and whose severity reaches their minimum (NORMAL
// never matches; no minimum matches any other severity, or none). A signal
// that maps to no CNF produces nothing.
//
// Outputs exist only for rules whose condition held (a suppression is "a
// rule that matched did not become a decision"), with one exception: a CLEAR
// is recorded as Cleared for every rule of its domain that maps, so the
// audit shows the incident closing. A false condition produces nothing.
//
// # Windows, staleness, hysteresis
//
// Each Window call is one closed window, evaluated once; a window that does
// not start after the last one evaluated for its node is ignored. A node
// that sends nothing produces no window, and that is a no-op: it neither
// counts nor breaks a count. A window is Stale when it is Disconnected or
// now - Newest > Staleness (90 s: 90 s acts, 91 s is Stale); its matching
// rules are Stale, and, as in Prometheus, a stale window breaks every
// consecutive count. Clear latches are not released by a stale window.
//
// A rule with for: N fires when its condition held on N consecutive closed
// windows of the node; before that it is Hysteresis ("held on 2 of 3"). It
// keeps counting while the condition holds, so later windows fire again and
// the cooldown suppresses them. A false condition, an evaluation error or a
// stale window resets the count. Counters are not restored after a restart
// (windows are not stored).
//
// After a metric rule with a clearCondition made a scale_out (scale_in)
// decision for a CNF, every rule's scale_in (scale_out) for that CNF is
// Hysteresis until that clearCondition held on a fresh closed window of the
// CNF's node; the clearConditions are evaluated before the rules on each
// window, so the window that clears may already fire the opposite action.
// A signal hovering at a threshold therefore never alternates scale_out and
// scale_in. Restore re-latches from the recorded decisions.
//
// # Events: dedup, incidents, bursts, CLEAR
//
// Events are timed by their ReceivedAt (now when unset), at the store's
// microsecond precision, so Restore from the store rebuilds exactly what
// live evaluation built. The exact key (sourceName, eventId, sequence) seen
// again within Dedup (5 min) of its last sighting is Duplicate, whatever
// else applies.
//
// A fault's fingerprint is (sourceName, alarmCondition, alarmInterfaceA), a
// thresholdCrossingAlert's (sourceName, alertDescription or eventName). The
// first event of a fingerprint opens an incident and is evaluated; further
// events while it is open (within Dedup of its last event) are Duplicate,
// and once more than BurstThreshold (5) events of the fingerprint arrived
// within BurstPeriod (1 min) they are Burst, with the incident's event count
// in Detail. A burst also reopens an incident a CLEAR closed, so a flapping
// alarm is one incident. A CLEAR (fault eventSeverity NORMAL; TCA alertAction
// CLEAR or eventSeverity NORMAL) closes the incident and is Cleared; the
// next raise opens a new incident. Other domains have exact-key dedup only.
// An incident is acted on at its first event: if that one is suppressed
// (cooldown, an open proposal), the incident's later events stay Duplicate
// until it closes. The incident id ("<sourceName>/<eventId>/<time>" of its
// first event) is the correlation id.
//
// # Priority, proposer, cooldown, bounds
//
// At most one decision per CNF per moment (one Window or Event call): among
// the rules still in play the highest priority wins, a tie goes to the first
// rule name, the others are LowerPriority. The winner is ProposalOpen when
// the proposer has an open proposal for the CNF (with Options.Supersede,
// as with pull requests: of the same action or an unknown one; a decision
// of another action supersedes it), Rejected when its decision
// id was rejected or a proposal of the same action for the CNF was rejected
// less than the rule's cooldown ago, CooldownActive while (CNF, action) cools down, AtBound
// when it cannot change anything. A winner whose avoid templates fail is
// reported and produces no output; the others stay LowerPriority.
//
// The cooldown is per (CNF, action). It starts at a decision (now); after a
// restart its start is the latest of the CNFDeployment's last-intent-at for
// its last-intent-action (SetInventory) and the recorded decisions
// (Restore). Its length is the cooldown of the rule now asking (default
// 5 min): the annotation does not say which rule started it.
//
// Bounds are the tighter of the rule's min/maxReplicas and the CNF's
// spec.scaling: scale_out at or above the maximum, scale_in at or below the
// minimum, scale_to outside the bounds or at the current replicas, a migrate
// with nothing to avoid that is not already excluded (or that would leave
// the CNF no site), are AtBound. decide never changes replicas itself: the
// watcher re-reads the inventory after a merge, and replay calls
// SetInventory with the CNFDeployments it updated.
//
// When several reasons apply, the first in model.Suppressions wins: Stale,
// Duplicate, Burst, Cleared, Hysteresis, LowerPriority, ProposalOpen,
// Rejected, CooldownActive, AtBound.
//
// # Outputs
//
// A decision's ID is the first 16 hex digits of a sha256 over CNF, action,
// rule and the window (node, start) or incident (fingerprint, first-event
// time); its correlation id is "<nodeId>/<windowStart RFC 3339>" or the
// incident id; its Reason the rendered intentTemplate (a default when the
// template is empty or fails). Its Intent is a complete CNFIntent named
// "<cnf>-<action>-<id[:10]>" with delta 1 (scale_out, scale_in), replicas
// (scale_to) or avoid (migrate), source = the rule, at = now, and evidence
// {"window", "metrics"} or {"eventIds", "count", "severity"} (severity when
// the event has one). A suppression carries the
// same ID, CNF, action, rule and reason, plus Suppressed and Detail, and no
// Intent. Rule function errors (condition, clearCondition, templates) are
// returned as RuleErrors; the rule is skipped for that CNF at that moment.
package decide
