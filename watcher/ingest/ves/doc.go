// Package ves is the watcher's VES Event Listener 7.2.1: the front door
// through which O1/ONAP-style producers (PNFs, VNFs, SDN-R, an ONAP DCAE
// chain) push fault, measurement, TCA, heartbeat, stndDefined and the other
// VES 7 events.
//
// Where it sits in the flow:
//
//	producer --POST /eventListener/v7[/eventBatch]--> ves.Listener
//	producer --POST /api/v1/fcaps/events (HMAC-signed)--^
//	    decode (bytes as received) -> validate (strict|lenient) -> Sink.Append (durable) -> 202
//	                                                          |
//	                              store (implements Sink) -> rules -> decide -> propose
//
// It is one stage of the watcher: it produces model.Event values and nothing
// else, imports no other stage, and declares the Sink it needs; watcher.go
// wires the store into it. A 202 means the Sink has made every event of the
// request durable; a Sink failure is a 503 and never a 202.
//
// Strict mode (the default) validates the whole request body
// against the official CommonEventFormat_30.2.1_ONAP.json (embedded; draft-04
// with format assertions; compiled once in New) and then applies the ONAP
// collector's rules the schema cannot express: the endpoint's envelope,
// stndDefinedNamespace present and non-empty (SVC2006), one domain and one
// stndDefined namespace per batch (SVC0001). stndDefined data is not checked
// against 3GPP schemas (none are shipped): such events are accepted as
// model.StndDefinedUnvalidated. Refusals are the spec's requestError bodies
// (SVC0001, SVC0002, SVC2006, POL9003, ...) whose text and variables name the
// failing field by JSON pointer; every response carries X-MinorVersion,
// X-PatchVersion and X-LatestVersion.
//
// Lenient mode (Options.Lenient), for VES 5-era producers, normalizes a copy
// of each commonEventHeader (epochs to integer microseconds, also from
// strings and 13-digit milliseconds; numeric versions to strings; a missing
// vesEventListenerVersion to 7.2.1; the VES 5 domain measurementsForVfScaling
// allowed), validates only that header against the schema, reads the
// domain block best-effort and never refuses for it, and records every
// change in model.Event.Deviations; such events carry model.Lenient. Raw is
// still the event as received. See lenient.go.
//
// The HMAC webhook (POST PathWebhook, on when Options.WebhookSecret is set)
// is the plan's contract for producers that sign with a shared secret: it
// checks X-Nephoran-Timestamp and X-Nephoran-Signature (HMAC-SHA256 over
// timestamp "." body, 5 minutes of skew, each signature once), then calls
// the same accept core as the VES paths. See webhook.go and README.md.
//
// Seam for what is not built yet: Options.Auth (an Authenticator) is where
// HTTP Basic and mutual TLS plug in.
//
// Files: listener.go (HTTP, Sink, Options), decode.go (one-pass JSON decode
// that keeps each event's bytes), validate.go (schema and collector rules),
// fastpath.go (strict mode's fast accept path: the schema compiled to Go
// checks that only ever accept; anything else goes to the library),
// lenient.go (lenient mode), webhook.go (the HMAC webhook), errors.go (the
// spec's error bodies), metrics.go (every Prometheus family).
package ves
