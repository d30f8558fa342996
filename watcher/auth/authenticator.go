package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// ErrBadCredentials is what every refusal is (errors.Is); its text is all a
// refusal says.
var ErrBadCredentials = errors.New("bad credentials")

// Reason says why a request was refused, from a fixed set, so it can label
// a metric or a debug log without quoting what the client sent.
type Reason string

const (
	// ReasonMissing: no Authorization header, and no client certificate
	// where one would have sufficed.
	ReasonMissing Reason = "missing"
	// ReasonMalformed: an Authorization header that is not Basic
	// base64(username:password).
	ReasonMalformed Reason = "malformed"
	// ReasonMismatch: unknown username or wrong password (deliberately one
	// reason for both).
	ReasonMismatch Reason = "mismatch"
	// ReasonNoClientCert: certOnly, and the connection has no verified
	// client certificate (only possible when the server does not use
	// TLSConfig).
	ReasonNoClientCert Reason = "noClientCert"
	// ReasonSubjectNotAllowed: a verified client certificate whose subject
	// is not on AllowedSubjects.
	ReasonSubjectNotAllowed Reason = "subjectNotAllowed"
)

// Refusal is the error Authenticate returns. Error() is "bad credentials"
// whatever the Reason.
type Refusal struct {
	Reason Reason
}

func (e *Refusal) Error() string { return ErrBadCredentials.Error() }

// Unwrap makes errors.Is(err, ErrBadCredentials) true.
func (e *Refusal) Unwrap() error { return ErrBadCredentials }

func refuse(r Reason) error { return &Refusal{Reason: r} }

// Authenticator checks requests against one Config. It is safe for
// concurrent use and immutable but for its cache of recent successes; build
// a new one when the config changes.
type Authenticator struct {
	mode     Mode
	users    []user
	hashes   [][]byte // users' bcrypt hashes, then a dummy for unknown names at their highest cost
	subjects []string
	cache    *cache
	tls      *tls.Config // nil: plain HTTP
}

// user is a configured user's SHA-256 of its name, so names compare in
// constant time whatever their lengths.
type user struct {
	nameSum [sha256.Size]byte
}

// New validates cfg, reads its files (server key pair, client CA bundle)
// and prepares the checks. Errors name the field at fault.
func New(cfg Config) (*Authenticator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &Authenticator{mode: cfg.Mode, subjects: cfg.AllowedSubjects}
	if a.mode == "" {
		a.mode = ModeNone
	}
	if a.mode.basic() {
		maxCost := bcrypt.MinCost
		for _, u := range cfg.Users {
			a.users = append(a.users, user{nameSum: sha256.Sum256([]byte(u.Username))})
			a.hashes = append(a.hashes, []byte(u.PasswordHash))
			if c, _ := bcrypt.Cost([]byte(u.PasswordHash)); c > maxCost { // Validate checked it
				maxCost = c
			}
		}
		dummy, err := bcrypt.GenerateFromPassword([]byte(rand.Text()), maxCost)
		if err != nil {
			return nil, fmt.Errorf("prepare Basic auth: %w", err)
		}
		a.hashes = append(a.hashes, dummy)
		if a.cache, err = newCache(CacheSize, CacheTTL, time.Now); err != nil {
			return nil, fmt.Errorf("prepare Basic auth: %w", err)
		}
	}
	var err error
	if a.tls, err = loadTLS(cfg); err != nil {
		return nil, err
	}
	return a, nil
}

// Mode is the mode in force (never empty).
func (a *Authenticator) Mode() Mode { return a.mode }

// Authenticate returns nil when r may proceed, or a *Refusal. It satisfies
// ves.Authenticator. It reads only the Authorization header and r.TLS.
func (a *Authenticator) Authenticate(r *http.Request) error {
	switch a.mode {
	case ModeBasic:
		return a.checkBasic(r)
	case ModeCert:
		return a.checkCert(r)
	case ModeCertBasic:
		certErr := a.checkCert(r)
		if certErr == nil {
			return nil
		}
		if _, _, present := basicHeader(r); !present {
			if hasVerifiedCert(r) {
				return certErr // a certificate, not allowed, and nothing else
			}
			return refuse(ReasonMissing)
		}
		return a.checkBasic(r)
	default:
		return nil
	}
}

// Require wraps next so that it runs only for requests Authenticate admits;
// others are answered by deny, which should write a 401 in the endpoint's
// own error format. In modes with Basic auth, Require first sets
// WWW-Authenticate (see Challenge) so browsers and curl know to send
// credentials; deny may change it. A nil deny answers a plain-text 401.
func (a *Authenticator) Require(next http.Handler, deny func(w http.ResponseWriter, r *http.Request)) http.Handler {
	if deny == nil {
		deny = func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, ErrBadCredentials.Error(), http.StatusUnauthorized)
		}
	}
	challenge := a.Challenge()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := a.Authenticate(r); err != nil {
			if challenge != "" {
				w.Header().Set("WWW-Authenticate", challenge)
			}
			deny(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Realm is the Basic auth realm in the WWW-Authenticate challenge.
const Realm = "nephoran"

// Challenge is the WWW-Authenticate value for a 401 (RFC 7617), or "" when
// the mode does not take Basic credentials.
func (a *Authenticator) Challenge() string {
	if !a.mode.basic() {
		return ""
	}
	return `Basic realm="` + Realm + `", charset="UTF-8"`
}

// maxPasswordBytes is the longest password bcrypt uses; it silently ignores
// bytes beyond it, so a longer password is refused rather than matched on
// its first 72 bytes. HashPassword refuses such passwords too.
const maxPasswordBytes = 72

// basicHeader is r.BasicAuth plus whether an Authorization header was sent.
func basicHeader(r *http.Request) (username, password string, present bool) {
	if r.Header.Get("Authorization") == "" {
		return "", "", false
	}
	username, password, _ = r.BasicAuth()
	return username, password, true
}

func (a *Authenticator) checkBasic(r *http.Request) error {
	if r.Header.Get("Authorization") == "" {
		return refuse(ReasonMissing)
	}
	username, password, ok := r.BasicAuth()
	if !ok {
		return refuse(ReasonMalformed)
	}
	if len(password) > maxPasswordBytes {
		return refuse(ReasonMismatch)
	}
	key := a.cache.key(username, password)
	if a.cache.hit(key) {
		return nil
	}
	if !a.verify(username, password) {
		return refuse(ReasonMismatch)
	}
	a.cache.add(key)
	return nil
}

// verify runs the slow check: every configured name is compared (no early
// exit, fixed-length digests), then exactly one bcrypt comparison, against
// the dummy hash when the name is unknown.
func (a *Authenticator) verify(username, password string) bool {
	sum := sha256.Sum256([]byte(username))
	found, idx := 0, len(a.users) // a.hashes[len(a.users)] is the dummy
	for i := range a.users {
		eq := subtle.ConstantTimeCompare(sum[:], a.users[i].nameSum[:])
		found |= eq
		idx = subtle.ConstantTimeSelect(eq, i, idx)
	}
	match := bcrypt.CompareHashAndPassword(a.hashes[idx], []byte(password)) == nil
	return found == 1 && match
}
