package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"hash"
	"io"
	"sync"
	"time"
)

// CacheTTL is how long a successful Basic check is remembered. A producer
// that keeps sending the same credentials pays for bcrypt once per CacheTTL.
const CacheTTL = time.Minute

// CacheSize bounds the remembered successes; past it the expired ones are
// swept and, if none expired, one entry is dropped.
const CacheSize = 1024

// digest is HMAC-SHA256(cache key, len(username) || username || password).
type digest [sha256.Size]byte

// cache remembers recent successful Basic checks. It is keyed by a keyed
// MAC of the credentials, never by the credentials: the MAC key is random,
// made in newCache and never leaves the process, so the cache holds nothing
// an attacker could test guesses against offline, and the timing of a map
// lookup depends only on values the attacker cannot compute. Only
// successes are added, so a guess always costs a bcrypt comparison.
type cache struct {
	macs sync.Pool // of hash.Hash: HMAC-SHA256 under the cache key
	size int
	ttl  time.Duration
	now  func() time.Time

	mu      sync.Mutex
	entries map[digest]entry
}

type entry struct {
	sum     digest // the key again, compared in constant time on a hit
	expires time.Time
}

func newCache(size int, ttl time.Duration, now func() time.Time) (*cache, error) {
	key := make([]byte, sha256.Size)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("make cache key: %w", err)
	}
	c := &cache{size: size, ttl: ttl, now: now, entries: make(map[digest]entry, size)}
	c.macs.New = func() any { return hmac.New(sha256.New, key) }
	return c, nil
}

// key is the cache key of one username and password. The username's length
// goes first so that ("ab","c") and ("a","bc") differ.
func (c *cache) key(username, password string) digest {
	m := c.macs.Get().(hash.Hash)
	defer c.macs.Put(m)
	m.Reset()
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(username)))
	m.Write(n[:])
	io.WriteString(m, username)
	io.WriteString(m, password)
	var d digest
	m.Sum(d[:0])
	return d
}

// hit reports whether k is remembered and unexpired; an expired entry is
// removed.
func (c *cache) hit(k digest) bool {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok {
		return false
	}
	if !now.Before(e.expires) {
		delete(c.entries, k)
		return false
	}
	return subtle.ConstantTimeCompare(e.sum[:], k[:]) == 1
}

// add remembers k for ttl.
func (c *cache) add(k digest) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[k]; !ok && len(c.entries) >= c.size {
		for d, e := range c.entries {
			if !now.Before(e.expires) {
				delete(c.entries, d)
			}
		}
		if len(c.entries) >= c.size {
			for d := range c.entries { // Go's map order is random: any one entry
				delete(c.entries, d)
				break
			}
		}
	}
	c.entries[k] = entry{sum: k, expires: now.Add(c.ttl)}
}

// len is the number of entries, expired or not.
func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
