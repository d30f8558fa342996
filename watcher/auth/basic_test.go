package auth_test

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/nephoran/nephoran/watcher/auth"
)

// hashOf hashes at bcrypt's minimum cost so tests stay fast; the cost is
// part of the hash, so nothing else changes.
func hashOf(t testing.TB, pw string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	require.NoError(t, err)
	return string(h)
}

func newAuth(t testing.TB, cfg auth.Config) *auth.Authenticator {
	t.Helper()
	a, err := auth.New(cfg)
	require.NoError(t, err)
	return a
}

func basicConfig(t testing.TB) auth.Config {
	return auth.Config{Mode: auth.ModeBasic, Users: []auth.User{
		{Username: "ran-sim", PasswordHash: hashOf(t, "s3cret-ran")},
		{Username: "onap-ves", PasswordHash: hashOf(t, "ves-pass")},
	}}
}

func withAuthorization(value string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/eventListener/v7", nil)
	if value != "" {
		r.Header.Set("Authorization", value)
	}
	return r
}

func basic(user, pw string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pw))
}

// requireRefused checks a refusal is ErrBadCredentials with the reason
// given, and that its text is "bad credentials" and nothing more.
func requireRefused(t *testing.T, err error, reason auth.Reason) {
	t.Helper()
	require.ErrorIs(t, err, auth.ErrBadCredentials)
	require.EqualError(t, err, "bad credentials")
	var refusal *auth.Refusal
	require.True(t, errors.As(err, &refusal))
	require.Equal(t, reason, refusal.Reason)
}

func TestBasic(t *testing.T) {
	a := newAuth(t, basicConfig(t))
	long := strings.Repeat("p", 72)
	longCfg := auth.Config{Mode: auth.ModeBasic, Users: []auth.User{{Username: "long", PasswordHash: hashOf(t, long)}}}
	aLong := newAuth(t, longCfg)

	tests := []struct {
		name   string
		a      *auth.Authenticator
		header string
		refuse auth.Reason // "" means admitted
	}{
		{"first user with the right password", a, basic("ran-sim", "s3cret-ran"), ""},
		{"another user with the right password: every user is checked", a, basic("onap-ves", "ves-pass"), ""},
		{"scheme is case-insensitive (RFC 7617)", a, "basic " + base64.StdEncoding.EncodeToString([]byte("ran-sim:s3cret-ran")), ""},
		{"wrong password", a, basic("ran-sim", "s3cret-RAN"), auth.ReasonMismatch},
		{"one user's password for another user", a, basic("ran-sim", "ves-pass"), auth.ReasonMismatch},
		{"unknown user gets the same reason as a wrong password", a, basic("nobody", "s3cret-ran"), auth.ReasonMismatch},
		{"usernames are case-sensitive", a, basic("RAN-SIM", "s3cret-ran"), auth.ReasonMismatch},
		{"empty password", a, basic("ran-sim", ""), auth.ReasonMismatch},
		{"missing header", a, "", auth.ReasonMissing},
		{"not base64", a, "Basic !!!not-base64!!!", auth.ReasonMalformed},
		{"no colon between user and password", a, "Basic " + base64.StdEncoding.EncodeToString([]byte("ran-sims3cret-ran")), auth.ReasonMalformed},
		{"another scheme", a, "Bearer eyJhbGciOi.x.y", auth.ReasonMalformed},
		{"scheme only", a, "Basic", auth.ReasonMalformed},
		{"72-byte password is bcrypt's maximum and works", aLong, basic("long", long), ""},
		{"bytes past 72 are not ignored as bcrypt would", aLong, basic("long", long+"x"), auth.ReasonMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.a.Authenticate(withAuthorization(tt.header))
			if tt.refuse == "" {
				require.NoError(t, err)
				return
			}
			requireRefused(t, err, tt.refuse)
		})
	}
}

// The three bcrypt prefixes that tools write ($2a$ Go and older tools,
// $2b$ OpenBSD and Python's bcrypt, $2y$ htpasswd -B and PHP) compute the
// same function for passwords up to 72 bytes, so a $2a$ hash with its
// prefix rewritten is a genuine $2b$ or $2y$ hash of the same password.
func TestBasicAcceptsEveryBcryptPrefix(t *testing.T) {
	h := hashOf(t, "pw-for-all-prefixes")
	require.True(t, strings.HasPrefix(h, "$2a$"))
	for _, prefix := range []string{"$2a$", "$2b$", "$2y$"} {
		t.Run(prefix, func(t *testing.T) {
			cfg := auth.Config{Mode: auth.ModeBasic, Users: []auth.User{{Username: "u", PasswordHash: prefix + h[4:]}}}
			require.NoError(t, cfg.Validate())
			a := newAuth(t, cfg)
			require.NoError(t, a.Authenticate(withAuthorization(basic("u", "pw-for-all-prefixes"))))
			requireRefused(t, a.Authenticate(withAuthorization(basic("u", "other"))), auth.ReasonMismatch)
		})
	}
}

func TestNoAuthAdmitsEverything(t *testing.T) {
	for _, mode := range []auth.Mode{"", auth.ModeNone} {
		a := newAuth(t, auth.Config{Mode: mode})
		require.Equal(t, auth.ModeNone, a.Mode())
		require.NoError(t, a.Authenticate(withAuthorization("")))
		require.NoError(t, a.Authenticate(withAuthorization(basic("x", "y"))))
		cfg, err := a.TLSConfig()
		require.NoError(t, err)
		require.Nil(t, cfg, "plain HTTP without certFile")
	}
}

// A changed password must not be served from the first Authenticator's
// cache: the watcher builds a new Authenticator on a config change, and the
// cache is per Authenticator.
func TestCacheDoesNotServeAChangedPassword(t *testing.T) {
	old := auth.Config{Mode: auth.ModeBasic, Users: []auth.User{{Username: "ran-sim", PasswordHash: hashOf(t, "old-password")}}}
	a1 := newAuth(t, old)
	for range 3 { // the first check fills the cache, the others hit it
		require.NoError(t, a1.Authenticate(withAuthorization(basic("ran-sim", "old-password"))))
	}
	requireRefused(t, a1.Authenticate(withAuthorization(basic("ran-sim", "new-password"))), auth.ReasonMismatch)

	changed := auth.Config{Mode: auth.ModeBasic, Users: []auth.User{{Username: "ran-sim", PasswordHash: hashOf(t, "new-password")}}}
	a2 := newAuth(t, changed)
	requireRefused(t, a2.Authenticate(withAuthorization(basic("ran-sim", "old-password"))), auth.ReasonMismatch)
	require.NoError(t, a2.Authenticate(withAuthorization(basic("ran-sim", "new-password"))))

	removed := auth.Config{Mode: auth.ModeBasic, Users: []auth.User{{Username: "someone-else", PasswordHash: hashOf(t, "old-password")}}}
	a3 := newAuth(t, removed)
	requireRefused(t, a3.Authenticate(withAuthorization(basic("ran-sim", "old-password"))), auth.ReasonMismatch)
}

// A cached success is for that username and password only: a wrong
// password, or the right password under another name, still goes to bcrypt
// and fails.
func TestCacheIsPerCredentials(t *testing.T) {
	cfg := auth.Config{Mode: auth.ModeBasic, Users: []auth.User{
		{Username: "a", PasswordHash: hashOf(t, "bc")},
		{Username: "ab", PasswordHash: hashOf(t, "other")},
	}}
	a := newAuth(t, cfg)
	require.NoError(t, a.Authenticate(withAuthorization(basic("a", "bc"))))
	requireRefused(t, a.Authenticate(withAuthorization(basic("a", "bC"))), auth.ReasonMismatch)
	requireRefused(t, a.Authenticate(withAuthorization(basic("ab", "c"))), auth.ReasonMismatch) // same bytes "abc"
	requireRefused(t, a.Authenticate(withAuthorization(basic("ab", "bc"))), auth.ReasonMismatch)
}

func TestHashPassword(t *testing.T) {
	h, err := auth.HashPassword("correct horse battery staple")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(h, "$2a$"))
	cost, err := bcrypt.Cost([]byte(h))
	require.NoError(t, err)
	require.Equal(t, bcrypt.DefaultCost, cost)
	a := newAuth(t, auth.Config{Mode: auth.ModeBasic, Users: []auth.User{{Username: "op", PasswordHash: h}}})
	require.NoError(t, a.Authenticate(withAuthorization(basic("op", "correct horse battery staple"))))

	for name, pw := range map[string]string{
		"empty password would admit an empty Basic password": "",
		"over 72 bytes would be truncated by bcrypt":         strings.Repeat("x", 73),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := auth.HashPassword(pw)
			require.Error(t, err)
			if pw != "" {
				require.NotContains(t, err.Error(), pw)
			}
		})
	}
}
