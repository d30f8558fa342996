package auth

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func request(user, pw string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+pw)))
	return r
}

func minCostHash(t testing.TB, pw string) string {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	require.NoError(t, err)
	return string(h)
}

// withClock builds a basicAuth Authenticator whose cache runs on a fake clock.
func withClock(t *testing.T, users ...User) (*Authenticator, *fakeClock) {
	a, err := New(Config{Mode: ModeBasic, Users: users})
	require.NoError(t, err)
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	a.cache.now = clock.now
	return a, clock
}

// A hit skips bcrypt for CacheTTL and no longer: the test swaps the stored
// hash so that only the cache can admit the old password, then lets the
// entry expire.
func TestCacheServesSuccessesForTTL(t *testing.T) {
	a, clock := withClock(t, User{Username: "u", PasswordHash: minCostHash(t, "pw")})
	require.NoError(t, a.Authenticate(request("u", "pw")))
	require.Equal(t, 1, a.cache.len())

	a.hashes[0] = []byte(minCostHash(t, "something else"))
	clock.advance(CacheTTL - time.Second)
	require.NoError(t, a.Authenticate(request("u", "pw")), "served from the cache")

	clock.advance(time.Second)
	require.ErrorIs(t, a.Authenticate(request("u", "pw")), ErrBadCredentials, "expired: bcrypt again")
	require.Equal(t, 0, a.cache.len(), "the expired entry is gone")
}

// Failures are never remembered, so guessing always pays for bcrypt.
func TestCacheKeepsNoFailures(t *testing.T) {
	a, _ := withClock(t, User{Username: "u", PasswordHash: minCostHash(t, "pw")})
	for _, creds := range [][2]string{{"u", "a"}, {"u", "pw-"}, {"nobody", "pw"}} {
		require.ErrorIs(t, a.Authenticate(request(creds[0], creds[1])), ErrBadCredentials)
	}
	require.Equal(t, 0, a.cache.len())
}

func TestCacheIsBounded(t *testing.T) {
	clock := &fakeClock{t: time.Unix(0, 0)}
	c, err := newCache(4, time.Minute, clock.now)
	require.NoError(t, err)
	keys := make([]digest, 6)
	for i := range keys {
		keys[i] = c.key("u", string(rune('a'+i)))
	}

	for _, k := range keys[:4] {
		c.add(k)
	}
	require.Equal(t, 4, c.len())
	clock.advance(30 * time.Second)
	c.add(keys[4]) // full, nothing expired: one entry makes room
	require.Equal(t, 4, c.len())
	require.True(t, c.hit(keys[4]))

	clock.advance(45 * time.Second) // keys[0..3] expired, keys[4] has 15 s left
	c.add(keys[5])                  // full: the sweep drops every expired entry
	require.Equal(t, 2, c.len())
	require.True(t, c.hit(keys[4]))
	require.True(t, c.hit(keys[5]))
	c.add(keys[5]) // re-adding refreshes, never grows
	require.Equal(t, 2, c.len())
}

// The cache key separates username from password and depends on a key
// unique to each cache.
func TestCacheKey(t *testing.T) {
	c1, err := newCache(1, time.Minute, time.Now)
	require.NoError(t, err)
	c2, err := newCache(1, time.Minute, time.Now)
	require.NoError(t, err)
	require.NotEqual(t, c1.key("a", "bc"), c1.key("ab", "c"))
	require.Equal(t, c1.key("a", "bc"), c1.key("a", "bc"))
	require.NotEqual(t, c1.key("a", "bc"), c2.key("a", "bc"))
}
