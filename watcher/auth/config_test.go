package auth_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/watcher/auth"
)

func TestValidate(t *testing.T) {
	good := hashOf(t, "pw")
	users := []auth.User{{Username: "u", PasswordHash: good}}
	tlsFiles := func(c auth.Config) auth.Config {
		c.CertFile, c.KeyFile = "tls.crt", "tls.key"
		return c
	}
	mtls := func(c auth.Config) auth.Config {
		c = tlsFiles(c)
		c.ClientCAFile = "ca.crt"
		return c
	}

	valid := map[string]auth.Config{
		"zero config is noAuth over plain HTTP":  {},
		"noAuth with server TLS":                 tlsFiles(auth.Config{Mode: auth.ModeNone}),
		"basicAuth over plain HTTP (loopback)":   {Mode: auth.ModeBasic, Users: users},
		"basicAuth with server TLS":              tlsFiles(auth.Config{Mode: auth.ModeBasic, Users: users}),
		"certOnly":                               mtls(auth.Config{Mode: auth.ModeCert}),
		"certOnly with an allow-list":            mtls(auth.Config{Mode: auth.ModeCert, AllowedSubjects: []string{"a"}}),
		"certBasicAuth with users and allowlist": mtls(auth.Config{Mode: auth.ModeCertBasic, Users: users, AllowedSubjects: []string{"a"}}),
	}
	for name, cfg := range valid {
		t.Run("valid/"+name, func(t *testing.T) { require.NoError(t, cfg.Validate()) })
	}

	invalid := []struct {
		name string
		cfg  auth.Config
		want []string // each must appear in the error
	}{
		{"unknown mode names the values", auth.Config{Mode: "basic"},
			[]string{`auth.mode: "basic" is not one of noAuth, basicAuth, certOnly, certBasicAuth`}},
		{"basicAuth without users", auth.Config{Mode: auth.ModeBasic},
			[]string{"auth.users: at least one user is required with mode basicAuth"}},
		{"users given but the mode ignores them", mtls(auth.Config{Mode: auth.ModeCert, Users: users}),
			[]string{"auth.users: only used with mode basicAuth or certBasicAuth, not certOnly"}},
		{"hash is a plain password", auth.Config{Mode: auth.ModeBasic, Users: []auth.User{users[0], {Username: "v", PasswordHash: "hunter2"}}},
			[]string{"auth.users[1].passwordHash: not a bcrypt hash"}},
		{"hash of the $2x$ variant", auth.Config{Mode: auth.ModeBasic, Users: []auth.User{{Username: "u", PasswordHash: "$2x$" + good[4:]}}},
			[]string{"auth.users[0].passwordHash: not a bcrypt hash (must start with $2a$, $2b$ or $2y$)"}},
		{"truncated hash", auth.Config{Mode: auth.ModeBasic, Users: []auth.User{{Username: "u", PasswordHash: good[:50]}}},
			[]string{"auth.users[0].passwordHash: not a bcrypt hash (wrong length or characters)"}},
		{"cost out of range", auth.Config{Mode: auth.ModeBasic, Users: []auth.User{{Username: "u", PasswordHash: "$2a$99" + good[6:]}}},
			[]string{"auth.users[0].passwordHash: not a bcrypt hash (malformed cost)"}},
		{"empty hash", auth.Config{Mode: auth.ModeBasic, Users: []auth.User{{Username: "u"}}},
			[]string{"auth.users[0].passwordHash: empty"}},
		{"empty username", auth.Config{Mode: auth.ModeBasic, Users: []auth.User{{PasswordHash: good}}},
			[]string{"auth.users[0].username: empty"}},
		{"colon in username cannot be sent", auth.Config{Mode: auth.ModeBasic, Users: []auth.User{{Username: "a:b", PasswordHash: good}}},
			[]string{"auth.users[0].username: contains ':'"}},
		{"duplicate username", auth.Config{Mode: auth.ModeBasic, Users: []auth.User{users[0], users[0]}},
			[]string{"auth.users[1].username: duplicate of auth.users[0]"}},
		{"certOnly without files", auth.Config{Mode: auth.ModeCert},
			[]string{"auth.clientCAFile: required with mode certOnly", "auth.certFile: required", "auth.keyFile: required"}},
		{"certFile without keyFile", auth.Config{Mode: auth.ModeBasic, Users: users, CertFile: "tls.crt"},
			[]string{"auth.keyFile: required when auth.certFile is set"}},
		{"keyFile without certFile", auth.Config{KeyFile: "tls.key"},
			[]string{"auth.certFile: required when auth.keyFile is set"}},
		{"client CA but no certificate mode", auth.Config{Mode: auth.ModeBasic, Users: users, ClientCAFile: "ca.crt"},
			[]string{"auth.clientCAFile: only used with mode certOnly or certBasicAuth, not basicAuth"}},
		{"allow-list but no certificate mode", auth.Config{AllowedSubjects: []string{"a"}},
			[]string{"auth.allowedSubjects: only used with mode certOnly or certBasicAuth, not noAuth"}},
		{"empty allow-list entry", mtls(auth.Config{Mode: auth.ModeCert, AllowedSubjects: []string{"a", " "}}),
			[]string{"auth.allowedSubjects[1]: empty"}},
		{"every problem is reported at once", auth.Config{Mode: auth.ModeCertBasic, Users: []auth.User{{Username: "", PasswordHash: "x"}}},
			[]string{"auth.users[0].username", "auth.users[0].passwordHash", "auth.clientCAFile", "auth.certFile", "auth.keyFile"}},
	}
	for _, tt := range invalid {
		t.Run("invalid/"+tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			require.Error(t, err)
			for _, w := range tt.want {
				require.Contains(t, err.Error(), w)
			}
			for _, u := range tt.cfg.Users {
				if len(u.PasswordHash) > 8 {
					require.NotContains(t, err.Error(), u.PasswordHash[7:], "a hash must never be quoted")
				}
			}
			_, err = auth.New(tt.cfg)
			require.Error(t, err, "New validates too")
		})
	}
}

// New reads the files; what goes wrong there names the field too.
func TestNewReportsFileProblemsByField(t *testing.T) {
	p := newPKI(t)
	dir := t.TempDir()
	notPEM := writeFile(t, filepath.Join(dir, "junk.pem"), []byte("not a certificate\n"))
	keyOnly := writeFile(t, filepath.Join(dir, "key-only.pem"), []byte(strings.Repeat("-", 5)+"BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"))
	missing := filepath.Join(dir, "missing.crt")

	tests := []struct {
		name string
		cfg  auth.Config
		want string
	}{
		{"server certificate missing", auth.Config{CertFile: missing, KeyFile: p.keyFile}, "auth.certFile, auth.keyFile: load server key pair"},
		{"key does not match the certificate", auth.Config{CertFile: p.caFile, KeyFile: p.keyFile}, "auth.certFile, auth.keyFile"},
		{"client CA file missing", auth.Config{Mode: auth.ModeCert, CertFile: p.certFile, KeyFile: p.keyFile, ClientCAFile: missing}, "auth.clientCAFile: open"},
		{"client CA file is not PEM", auth.Config{Mode: auth.ModeCert, CertFile: p.certFile, KeyFile: p.keyFile, ClientCAFile: notPEM}, "auth.clientCAFile: " + notPEM + ": no PEM CERTIFICATE blocks"},
		{"client CA file holds no certificate", auth.Config{Mode: auth.ModeCert, CertFile: p.certFile, KeyFile: p.keyFile, ClientCAFile: keyOnly}, "no PEM CERTIFICATE blocks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := auth.New(tt.cfg)
			require.ErrorContains(t, err, tt.want)
		})
	}
}
