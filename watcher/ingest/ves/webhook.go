package ves

import (
	"container/heap"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The HMAC webhook is the plan's contract for producers that cannot speak
// VES auth (VES itself has no HMAC): POST PathWebhook with a VES body
// ({"event":..} or {"eventList":[..]}), signed with a shared secret:
//
//	X-Nephoran-Timestamp: <unix seconds>
//	X-Nephoran-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//
// The signature is the webhook's authentication (Options.Auth does not
// apply to it). A request whose headers are missing or malformed, whose
// timestamp is more than WebhookMaxSkew from the listener's clock, whose
// signature does not match, or whose signature was already used within the
// window is answered 401 POL2000, the same body as every auth failure; the
// reason is logged at debug level without the secret or the signature.
// After that, the body goes through the same validation (strict or
// lenient), Sink and answers as the VES endpoints.

// PathWebhook is the HMAC webhook's path; only POST is served there (GET
// belongs to the event query API).
const PathWebhook = "/api/v1/fcaps/events"

// Headers of a signed webhook request.
const (
	HeaderTimestamp = "X-Nephoran-Timestamp"
	HeaderSignature = "X-Nephoran-Signature"
)

// WebhookMaxSkew is how far a request's timestamp may be from the
// listener's clock, either way; it is also how long a used signature is
// remembered past its timestamp.
const WebhookMaxSkew = 5 * time.Minute

// signaturePrefix starts the X-Nephoran-Signature value.
const signaturePrefix = "sha256="

// maxReplayEntries bounds the replay cache. Only correctly signed requests
// enter it, so it fills only with genuine traffic: 2^20 signatures in ten
// minutes is over 1,700 signed requests a second; beyond that the webhook
// answers 503 rather than forget a signature that is still valid.
const maxReplayEntries = 1 << 20

// Sign returns the webhook headers for body sent at ts: the timestamp
// (unix seconds) and "sha256=" + the hex HMAC-SHA256 of
// timestamp + "." + body under secret.
func Sign(secret []byte, ts time.Time, body []byte) (timestampHeader, signatureHeader string) {
	timestampHeader = strconv.FormatInt(ts.Unix(), 10)
	mac := signature(secret, timestampHeader, body)
	return timestampHeader, signaturePrefix + hex.EncodeToString(mac[:])
}

func signature(secret []byte, timestamp string, body []byte) [sha256.Size]byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	var sum [sha256.Size]byte
	m.Sum(sum[:0])
	return sum
}

// webhook is the listener's HMAC front door; nil when no secret is set.
type webhook struct {
	secret []byte
	replay *replayCache
}

func newWebhook(secret []byte) *webhook {
	if len(secret) == 0 {
		return nil
	}
	return &webhook{
		secret: append([]byte(nil), secret...),
		replay: &replayCache{seen: map[[sha256.Size]byte]struct{}{}, max: maxReplayEntries},
	}
}

// serveWebhook authenticates one webhook request and hands its body to
// accept; it returns the error to answer, nil for 202.
func (l *Listener) serveWebhook(w http.ResponseWriter, r *http.Request) *apiError {
	refuse := func(reason string) *apiError {
		l.log.Debug("webhook request not authenticated", "reason", reason, "remote", r.RemoteAddr)
		l.metrics.countEvent(invalidDomain, resultRejected)
		return errUnauthorized()
	}
	tsHeader, ts, sig, reason := signatureHeaders(r.Header)
	if reason != "" {
		return refuse(reason)
	}
	now := l.now()
	if skew := now.Sub(ts); skew > WebhookMaxSkew || skew < -WebhookMaxSkew {
		return refuse("timestamp " + tsHeader + " is " + skew.Round(time.Second).String() + " from the listener's clock (more than " + WebhookMaxSkew.String() + ")")
	}
	body, e := l.readBody(w, r)
	if e != nil {
		l.metrics.countEvent(invalidDomain, resultRejected)
		return e
	}
	want := signature(l.webhook.secret, tsHeader, body)
	if !hmac.Equal(want[:], sig[:]) {
		return refuse("signature does not match the body and timestamp")
	}
	switch l.webhook.replay.add(sig, ts.Add(WebhookMaxSkew), now) {
	case replayUsed:
		return refuse("signature already used within " + WebhookMaxSkew.String())
	case replayFull:
		l.log.Warn("webhook replay cache full; answering 503", "entries", maxReplayEntries)
		l.metrics.countEvent(invalidDomain, resultRejected)
		return errUnavailable()
	}
	if ct := r.Header.Get("Content-Type"); !isJSON(ct) {
		l.metrics.countEvent(invalidDomain, resultRejected)
		return errContentType(ct)
	}
	e = l.accept(r.Context(), endpointWebhook, body)
	if e != nil && e.status == http.StatusServiceUnavailable {
		// Nothing was stored: the producer may retry the same request.
		l.webhook.replay.forget(sig)
	}
	return e
}

// signatureHeaders reads the two webhook headers; reason is non-empty when
// they are missing, repeated or malformed.
func signatureHeaders(h http.Header) (tsHeader string, ts time.Time, sig [sha256.Size]byte, reason string) {
	tsValues, sigValues := h.Values(HeaderTimestamp), h.Values(HeaderSignature)
	switch {
	case len(tsValues) == 0:
		return "", ts, sig, HeaderTimestamp + " is missing"
	case len(tsValues) > 1:
		return "", ts, sig, HeaderTimestamp + " is repeated"
	case len(sigValues) == 0:
		return "", ts, sig, HeaderSignature + " is missing"
	case len(sigValues) > 1:
		return "", ts, sig, HeaderSignature + " is repeated"
	}
	tsHeader = tsValues[0]
	if tsHeader == "" || len(tsHeader) > 12 || strings.Trim(tsHeader, "0123456789") != "" {
		return "", ts, sig, HeaderTimestamp + " is not unix seconds"
	}
	secs, err := strconv.ParseInt(tsHeader, 10, 64)
	if err != nil {
		return "", ts, sig, HeaderTimestamp + " is not unix seconds"
	}
	hexSig, ok := strings.CutPrefix(sigValues[0], signaturePrefix)
	if !ok || len(hexSig) != hex.EncodedLen(sha256.Size) {
		return "", ts, sig, HeaderSignature + ` is not "sha256=" and 64 hex digits`
	}
	if _, err := hex.Decode(sig[:], []byte(hexSig)); err != nil {
		return "", ts, sig, HeaderSignature + ` is not "sha256=" and 64 hex digits`
	}
	return tsHeader, time.Unix(secs, 0), sig, ""
}

// replayCache remembers each used signature until its timestamp is out of
// the window, when the skew check refuses it anyway. It is bounded by max
// and pruned on every add.
type replayCache struct {
	mu       sync.Mutex
	seen     map[[sha256.Size]byte]struct{}
	byExpiry expiryHeap
	max      int
}

// replayResult is the outcome of replayCache.add.
type replayResult int

const (
	replayNew replayResult = iota
	replayUsed
	replayFull
)

// add records sig as used until expires, first dropping what expired
// before now.
func (c *replayCache) add(sig [sha256.Size]byte, expires, now time.Time) replayResult {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.byExpiry) > 0 && c.byExpiry[0].expires.Before(now) {
		delete(c.seen, heap.Pop(&c.byExpiry).(expiring).sig)
	}
	if _, used := c.seen[sig]; used {
		return replayUsed
	}
	if len(c.byExpiry) >= c.max {
		return replayFull
	}
	c.seen[sig] = struct{}{}
	heap.Push(&c.byExpiry, expiring{sig: sig, expires: expires})
	return replayNew
}

// forget drops sig so the same request can be sent again. Its heap entry
// stays (and counts against max) until it expires; deleting the key then is
// harmless, and a re-added sig has the same expiry.
func (c *replayCache) forget(sig [sha256.Size]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.seen, sig)
}

// len is how many signatures are remembered.
func (c *replayCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

type expiring struct {
	sig     [sha256.Size]byte
	expires time.Time
}

// expiryHeap is a min-heap of signatures by expiry.
type expiryHeap []expiring

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].expires.Before(h[j].expires) }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(expiring)) }
func (h *expiryHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
