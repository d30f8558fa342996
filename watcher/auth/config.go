package auth

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// Mode is how requests are authenticated; the values are the ONAP VES
// collector's auth.method values.
type Mode string

const (
	// ModeNone checks nothing. The empty Mode means ModeNone.
	ModeNone Mode = "noAuth"
	// ModeBasic requires HTTP Basic credentials matching a configured user.
	ModeBasic Mode = "basicAuth"
	// ModeCert requires a client certificate signed by ClientCAFile (mutual
	// TLS) and, when AllowedSubjects is set, a subject on that list.
	ModeCert Mode = "certOnly"
	// ModeCertBasic admits a request that has either a verified, allowed
	// client certificate or valid Basic credentials (the collector's
	// "certificate and/or basic auth").
	ModeCertBasic Mode = "certBasicAuth"
)

var modes = []Mode{ModeNone, ModeBasic, ModeCert, ModeCertBasic}

// basic reports whether the mode checks Basic credentials.
func (m Mode) basic() bool { return m == ModeBasic || m == ModeCertBasic }

// cert reports whether the mode checks client certificates.
func (m Mode) cert() bool { return m == ModeCert || m == ModeCertBasic }

// Config is the `auth` block of the watcher's config.
//
//	auth:
//	  mode: certBasicAuth
//	  users:
//	  - username: ran-sim
//	    passwordHash: $2a$10$...        # nephoran hash-password
//	  certFile: /etc/nephoran/tls/tls.crt
//	  keyFile: /etc/nephoran/tls/tls.key
//	  clientCAFile: /etc/nephoran/tls/client-ca.crt
//	  allowedSubjects: [ves-producer-1.ran.example]
type Config struct {
	// Mode is noAuth (the default), basicAuth, certOnly or certBasicAuth.
	Mode Mode `json:"mode,omitempty"`
	// Users are the Basic credentials (basicAuth, certBasicAuth).
	Users []User `json:"users,omitempty"`
	// ClientCAFile is a PEM bundle of the CAs that sign client certificates
	// (required for certOnly and certBasicAuth).
	ClientCAFile string `json:"clientCAFile,omitempty"`
	// CertFile and KeyFile are the server's PEM certificate (chain) and key.
	// Required for certOnly and certBasicAuth; with noAuth or basicAuth they
	// turn on server-only TLS, and without them the server is plain HTTP.
	CertFile string `json:"certFile,omitempty"`
	KeyFile  string `json:"keyFile,omitempty"`
	// AllowedSubjects, if set, limits certificate auth to client
	// certificates whose subject CN or a SAN equals one of its entries.
	AllowedSubjects []string `json:"allowedSubjects,omitempty"`
}

// User is one set of Basic credentials.
type User struct {
	Username string `json:"username"`
	// PasswordHash is a bcrypt hash ($2a$, $2b$ or $2y$); never the password.
	PasswordHash string `json:"passwordHash"`
}

// field is the config path of a field, for error messages.
func field(format string, args ...any) string { return "auth." + fmt.Sprintf(format, args...) }

// Validate checks the config without reading files and reports every
// problem, each naming its field (auth.users[1].passwordHash: ...). It never
// quotes a password hash.
func (c Config) Validate() error {
	var errs []error
	bad := func(f, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", f, fmt.Sprintf(format, args...)))
	}
	mode := c.Mode
	if mode == "" {
		mode = ModeNone
	}
	known := false
	for _, m := range modes {
		known = known || m == mode
	}
	if !known {
		names := make([]string, len(modes))
		for i, m := range modes {
			names[i] = string(m)
		}
		bad(field("mode"), "%q is not one of %s", c.Mode, strings.Join(names, ", "))
		return errors.Join(errs...) // the other checks depend on the mode
	}

	switch {
	case mode.basic() && len(c.Users) == 0:
		bad(field("users"), "at least one user is required with mode %s", mode)
	case !mode.basic() && len(c.Users) > 0:
		bad(field("users"), "only used with mode %s or %s, not %s", ModeBasic, ModeCertBasic, mode)
	}
	seen := make(map[string]int, len(c.Users))
	for i, u := range c.Users {
		switch {
		case u.Username == "":
			bad(field("users[%d].username", i), "empty")
		case strings.Contains(u.Username, ":"):
			bad(field("users[%d].username", i), "contains ':', which HTTP Basic cannot carry")
		case strings.ContainsFunc(u.Username, isControl):
			bad(field("users[%d].username", i), "contains a control character")
		default:
			if j, dup := seen[u.Username]; dup {
				bad(field("users[%d].username", i), "duplicate of auth.users[%d]", j)
			}
			seen[u.Username] = i
		}
		if err := checkHash(u.PasswordHash); err != nil {
			bad(field("users[%d].passwordHash", i), "%v", err)
		}
	}

	if mode.cert() {
		if c.ClientCAFile == "" {
			bad(field("clientCAFile"), "required with mode %s", mode)
		}
		if c.CertFile == "" {
			bad(field("certFile"), "required with mode %s (mutual TLS needs a server certificate)", mode)
		}
		if c.KeyFile == "" {
			bad(field("keyFile"), "required with mode %s (mutual TLS needs a server key)", mode)
		}
	} else {
		if c.ClientCAFile != "" {
			bad(field("clientCAFile"), "only used with mode %s or %s, not %s", ModeCert, ModeCertBasic, mode)
		}
		if len(c.AllowedSubjects) > 0 {
			bad(field("allowedSubjects"), "only used with mode %s or %s, not %s", ModeCert, ModeCertBasic, mode)
		}
		switch {
		case c.CertFile != "" && c.KeyFile == "":
			bad(field("keyFile"), "required when auth.certFile is set")
		case c.CertFile == "" && c.KeyFile != "":
			bad(field("certFile"), "required when auth.keyFile is set")
		}
	}
	for i, s := range c.AllowedSubjects {
		if strings.TrimSpace(s) == "" {
			bad(field("allowedSubjects[%d]", i), "empty")
		}
	}
	return errors.Join(errs...)
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// bcryptPrefixes are the bcrypt variants accepted. $2a$, $2b$ and $2y$
// compute the same hash for every password bcrypt takes (up to 72 bytes);
// $2x$ (crypt_blowfish's buggy 8-bit handling) is refused.
var bcryptPrefixes = []string{"$2a$", "$2b$", "$2y$"}

// checkHash says why h is not a usable bcrypt hash; its messages never quote h.
func checkHash(h string) error {
	if h == "" {
		return errors.New("empty (a bcrypt hash from `nephoran hash-password` or htpasswd -nB)")
	}
	ok := false
	for _, p := range bcryptPrefixes {
		ok = ok || strings.HasPrefix(h, p)
	}
	if !ok {
		return errors.New("not a bcrypt hash (must start with $2a$, $2b$ or $2y$)")
	}
	// $2a$10$ then 22 characters of salt and 31 of hash, in bcrypt's base64.
	if len(h) != bcryptHashLen || strings.ContainsFunc(h[7:], notBcryptBase64) {
		return errors.New("not a bcrypt hash (wrong length or characters)")
	}
	if _, err := bcrypt.Cost([]byte(h)); err != nil {
		return errors.New("not a bcrypt hash (malformed cost)")
	}
	return nil
}

const bcryptHashLen = 60

func notBcryptBase64(r rune) bool {
	return !(r == '.' || r == '/' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
}
