// Package auth decides who may talk to the watcher's HTTP endpoints: the VES
// Event Listener (watcher/ingest/ves), and everything that must sit behind
// the same check, such as the event query API
// (GET /api/v1/fcaps/events).
//
// It offers what the ONAP VES collector (dcaegen2-collectors-ves) offers, in
// the collector's own words for auth.method:
//
//	noAuth         no check (plain HTTP, or server-only TLS if certFile/keyFile are set)
//	basicAuth      HTTP Basic against bcrypt hashes in the config (server TLS optional, advised)
//	certOnly       mutual TLS: the handshake requires a client certificate signed by clientCAFile
//	certBasicAuth  TLS; a verified client certificate OR valid Basic credentials admit a request
//
// Where it sits: the watcher builds one Authenticator from the `auth` block
// of its config (New), serves HTTPS with TLSConfig when that is non-nil,
// passes the Authenticator as ves.Options.Auth (the listener answers a
// refusal 401 POL2000), and wraps the other guarded handlers with Require.
// The package reads its files once, in New; it never logs, and its errors
// never carry a password, a hash or a header: a refusal is "bad credentials"
// with a Reason drawn from a small fixed set, usable as a metric label.
//
// # Basic credentials
//
// Passwords are stored as bcrypt hashes ($2a$, $2b$ or $2y$, as htpasswd -B,
// Python's bcrypt or HashPassword write them). A check hashes the presented
// username with SHA-256 and compares it, in constant time, with every
// configured username (no early exit), then runs bcrypt against the matching
// user's hash or, for an unknown user, against a dummy hash at the highest
// configured cost, so (with one cost for all users, as HashPassword gives)
// the answer takes as long whether or not the user exists.
//
// bcrypt is slow on purpose (about 50-100 ms at the default cost 10), which
// would cap a producer that sends Basic credentials with every event at a
// few dozen requests per second per core. An Authenticator therefore
// remembers recent successes: the cache key is HMAC-SHA256 under a random
// per-Authenticator key of (username, password), so the cache holds no
// password and no unkeyed fast hash of one, and its lookups time only values
// an attacker cannot compute. An entry lives for CacheTTL, the cache holds at
// most CacheSize entries, and failures are never cached (guessing stays at
// bcrypt speed). A config change builds a new Authenticator, with an empty
// cache, so a changed or removed password stops working at once.
//
// # Client certificates
//
// Certificate checks happen in the TLS handshake (chain to clientCAFile,
// validity period, client-auth key usage): a client without a certificate,
// with one from another CA or with an expired one never gets an HTTP
// response in certOnly mode. In certBasicAuth mode a client that offers a
// bad certificate is refused the same way, even with good Basic credentials:
// offering no certificate is what lets Basic decide. Authenticate then
// requires a verified chain and, when allowedSubjects is set, that the
// leaf's subject common name or one of its subject alternative names (DNS,
// IP, email, URI) equals an entry (DNS names compare case-insensitively). The ONAP collector matches
// regular expressions against the subject DN instead; exact names are easier
// to review.
//
// # Hashing passwords
//
// HashPassword is what the CLI's `nephoran hash-password` will call: it reads
// a password and prints the hash to paste into auth.users[].passwordHash.
package auth
