// Package ric is the watcher's E2 side towards an O-RAN SC Near-RT RIC: it
// asks the RIC for the KPM reports the kpm ingest stage consumes, and tells
// the watcher which E2 nodes are connected.
//
//	inventory ([]inventory.CNF with spec.kpm) --> Reconciler --> SubscriptionClient --> submgr  POST/GET/DELETE /ric/v1/subscriptions
//	                                                    Poller --> E2MgrClient      --> e2mgr   GET /v1/nodeb/states
//	Poller.Connected(nodeId) == false --> the watcher marks that node's KPM data stale
//
// It sits beside the push endpoint and the Prometheus pull of package kpm
// (its parent directory) and imports no other stage; the watcher wires it,
// feeds it the inventory and exports Health as metrics.
//
// # Subscriptions
//
// Reconciler keeps exactly one subscription per inventory CNF whose
// spec.kpm.nodeId is set (KPMSubscription.Params builds it):
//   - Meid = spec.kpm.nodeId, the RAN name the E2 node got at E2 Setup.
//   - RANFunctionID = KPMRANFunctionID (2, as O-RAN SC kpimon and e2sim use),
//     overridable because each E2 node numbers its own RAN functions.
//   - One SubscriptionDetail, XappEventInstanceId handed out 1..65535 per
//     CNF; EventTriggers carries the reporting period, spec.kpm.granularityPeriod
//     in ms (1s when unset).
//   - One "report" action, ActionID 1, whose ActionDefinition carries an
//     E2SM-KPM Action Definition Format 1: the measurement names
//     KPMMeasurements, the granularity period and spec.kpm.cellIds.
//
// The API types ActionDefinition and EventTriggers as arrays of integers
// (E2SM octets the manager forwards unchanged); Octets marshals so. The
// default JSONEncoder puts compact JSON of KPMEventTrigger and
// KPMActionDefinition in those octets.
//
// Each pass lists the manager's subscriptions first (a liveness check; a
// held subscription whose Meid is no longer listed is recreated), deletes
// the subscriptions of CNFs that left or changed, and creates the missing
// ones, tracked by the SubscriptionId returned. Every call is retried with
// a capped, jittered exponential Backoff; SleepFunc and the clock are
// injected so tests run on a fake clock. A retried POST after a dropped
// connection may create a duplicate on the manager if the first one got
// through; the manager merges identical subscriptions.
//
// # Node states
//
// Poller reads GET /v1/nodeb/states on an interval (backoff after failures)
// and answers Connected(nodeId): spec.kpm.nodeId is matched against e2mgr's
// inventoryName, and only connectionStatus CONNECTED is connected. A node
// e2mgr does not list, or states older than three intervals, are not known.
//
// # Not done here
//
//   - The ASN.1 (APER) encoding of the E2SM-KPM event trigger and action
//     definition: JSONEncoder is a stand-in a standard E2 node will not
//     decode; plug an ASN.1 Encoder in through KPMSubscription.Encoder. (In
//     ASN.1, Format 1 names at most one cell, so such an encoder would
//     split the cells into one action each, or use Format 3.)
//   - The E2 indications themselves (RMR) are not received here, nor the
//     manager's HTTP notifications to ClientEndpoint: KPM reports reach
//     the watcher through the push endpoint (POST /api/v1/kpm/reports) or
//     the Prometheus pull of a kpimon-style exporter.
//   - Adopting subscriptions a previous watcher process left: the manager
//     lists E2 instance ids, not the REST SubscriptionId, so they cannot be
//     matched; call Reconciler.Unsubscribe on shutdown.
//
// The API descriptions the tests validate every request against are in
// testdata/ (see testdata/SOURCES.md).
package ric
