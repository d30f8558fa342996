package auth

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
)

var (
	benchHashOnce sync.Once
	benchHash     string
)

// benchAuth has one user hashed at bcrypt.DefaultCost, what HashPassword
// writes, so the figures are the production ones.
func benchAuth(b *testing.B) *Authenticator {
	benchHashOnce.Do(func() {
		h, err := bcrypt.GenerateFromPassword([]byte("bench-password"), bcrypt.DefaultCost)
		require.NoError(b, err)
		benchHash = string(h)
	})
	a, err := New(Config{Mode: ModeBasic, Users: []User{
		{Username: "other", PasswordHash: benchHash},
		{Username: "ran-sim", PasswordHash: benchHash},
	}})
	require.NoError(b, err)
	return a
}

func BenchmarkBasicCached(b *testing.B) {
	a := benchAuth(b)
	r := request("ran-sim", "bench-password")
	require.NoError(b, a.Authenticate(r))
	b.ReportAllocs()
	for b.Loop() {
		if err := a.Authenticate(r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBasicCachedParallel(b *testing.B) {
	a := benchAuth(b)
	require.NoError(b, a.Authenticate(request("ran-sim", "bench-password")))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		r := request("ran-sim", "bench-password")
		for pb.Next() {
			if err := a.Authenticate(r); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkBasicUncached empties the cache before each check: every
// iteration pays for one bcrypt comparison at cost 10.
func BenchmarkBasicUncached(b *testing.B) {
	a := benchAuth(b)
	r := request("ran-sim", "bench-password")
	b.ReportAllocs()
	for b.Loop() {
		a.cache.mu.Lock()
		clear(a.cache.entries)
		a.cache.mu.Unlock()
		if err := a.Authenticate(r); err != nil {
			b.Fatal(err)
		}
	}
}
