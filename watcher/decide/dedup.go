package decide

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/nephoran/nephoran/watcher/model"
)

// sighting is when an exact event key was first and last seen.
type sighting struct {
	first, last time.Time
}

// incident is the events of one fingerprint: opened by a raise, kept open
// by further raises within Dedup of the last one, closed by a CLEAR.
type incident struct {
	// id is the correlation id: "<sourceName>/<eventId>/<time>" of the
	// event that opened it.
	id string
	// basis is what decision ids hash: fingerprint and first-event time.
	basis       string
	first, last time.Time
	count       int
	// eventIDs are the first maxEvidenceEventIDs event ids.
	eventIDs []string
	open     bool
	// recent are the times of the fingerprint's last BurstThreshold+1
	// raises, oldest first; they outlive a CLEAR, so a flapping alarm is
	// a burst too.
	recent []time.Time
}

// maxEvidenceEventIDs caps the event ids an incident keeps for evidence.
const maxEvidenceEventIDs = 20

// dedup is the exact-key dedup and the incidents by fingerprint.
type dedup struct {
	opts      Options
	seen      map[string]*sighting
	incidents map[string]*incident
	nextSweep time.Time
}

func newDedup(opts Options) dedup {
	return dedup{opts: opts, seen: map[string]*sighting{}, incidents: map[string]*incident{}}
}

// verdict is what dedup says about one event.
type verdict struct {
	// suppressed is Duplicate, Burst or Cleared, or "" for an event that
	// opens an incident (or has no fingerprint and is new).
	suppressed model.Suppression
	detail     string
	// clear is set for a CLEAR (also when it is a Duplicate).
	clear bool
	// incidentID is the correlation id; basis what decision ids hash.
	incidentID, basis string
	eventIDs          []string
	count             int
}

func (inc *incident) isOpen(t time.Time, dedup time.Duration) bool {
	return inc.open && t.Sub(inc.last) <= dedup
}

func incidentID(sig *signal, t time.Time) string {
	return sig.source + "/" + sig.eventID + "/" + t.UTC().Format(time.RFC3339Nano)
}

func basis(key string, t time.Time) string {
	return key + "@" + strconv.FormatInt(t.UnixMicro(), 10)
}

func (inc *incident) verdict(s model.Suppression, detail string, clear bool) verdict {
	return verdict{suppressed: s, detail: detail, clear: clear, incidentID: inc.id, basis: inc.basis,
		eventIDs: inc.eventIDs, count: inc.count}
}

// observe classifies one event at time t and records it.
func (d *dedup) observe(sig signal, t time.Time) verdict {
	d.sweep(t)
	key := sig.exactKey()
	sg, dup := d.seen[key]
	if dup && t.Sub(sg.last) <= d.opts.Dedup {
		sg.last = t
	} else {
		sg = &sighting{first: t, last: t}
		d.seen[key] = sg
		dup = false
	}
	dupDetail := func() string {
		return fmt.Sprintf("event %s/%s sequence %s was already seen at %s", sig.source, sig.eventID, sig.seq,
			sg.first.UTC().Format(time.RFC3339Nano))
	}

	if sig.fingerprint == "" {
		v := verdict{clear: sig.clear, incidentID: incidentID(&sig, sg.first), basis: basis("event\x00"+key, sg.first),
			eventIDs: []string{sig.eventID}, count: 1}
		if dup {
			v.suppressed, v.detail = model.Duplicate, dupDetail()
		}
		return v
	}

	inc := d.incidents[sig.fingerprint]
	if dup {
		if inc == nil {
			return verdict{suppressed: model.Duplicate, detail: dupDetail(), clear: sig.clear,
				incidentID: incidentID(&sig, sg.first), basis: basis(sig.fingerprint, sg.first),
				eventIDs: []string{sig.eventID}, count: 1}
		}
		return inc.verdict(model.Duplicate, dupDetail(), sig.clear)
	}

	if sig.clear {
		if inc != nil && inc.isOpen(t, d.opts.Dedup) {
			inc.open = false
			return inc.verdict(model.Cleared, fmt.Sprintf("CLEAR closes incident %s after %d events", inc.id, inc.count), true)
		}
		return verdict{suppressed: model.Cleared, detail: "CLEAR with no open incident", clear: true,
			incidentID: incidentID(&sig, t), basis: basis(sig.fingerprint, t), eventIDs: []string{sig.eventID}, count: 1}
	}

	if inc == nil {
		inc = &incident{}
		d.incidents[sig.fingerprint] = inc
	}
	inc.recent = append(inc.recent, t)
	if n := d.opts.BurstThreshold + 1; len(inc.recent) > n {
		inc.recent = slices.Delete(inc.recent, 0, len(inc.recent)-n)
	}
	burst := len(inc.recent) > d.opts.BurstThreshold && t.Sub(inc.recent[0]) <= d.opts.BurstPeriod
	open := inc.isOpen(t, d.opts.Dedup)
	switch {
	case burst && inc.id != "":
		// A burst joins the fingerprint's incident, reopening it when a
		// CLEAR closed it: a flapping alarm is one incident with a count.
		inc.join(sig.eventID, t)
		return inc.verdict(model.Burst, fmt.Sprintf("incident %s has %d events: more than %d within %s",
			inc.id, inc.count, d.opts.BurstThreshold, d.opts.BurstPeriod), false)
	case open:
		inc.join(sig.eventID, t)
		return inc.verdict(model.Duplicate, fmt.Sprintf("incident %s is open: event %d of it", inc.id, inc.count), false)
	}
	inc.id, inc.basis = incidentID(&sig, t), basis(sig.fingerprint, t)
	inc.first, inc.count, inc.eventIDs = t, 0, nil
	inc.join(sig.eventID, t)
	return inc.verdict("", "", false)
}

// join adds one raise to an incident and (re)opens it.
func (inc *incident) join(eventID string, t time.Time) {
	inc.open = true
	inc.last = t
	inc.count++
	if len(inc.eventIDs) < maxEvidenceEventIDs {
		inc.eventIDs = append(inc.eventIDs, eventID)
	}
}

// sweep forgets, once per Dedup period, the keys and incidents nothing can
// match any more. Lookups check expiry themselves, so when sweep runs never
// changes an outcome; it only bounds memory.
func (d *dedup) sweep(t time.Time) {
	if t.Before(d.nextSweep) {
		return
	}
	d.nextSweep = t.Add(d.opts.Dedup)
	keep := max(d.opts.Dedup, d.opts.BurstPeriod)
	for k, sg := range d.seen {
		if t.Sub(sg.last) > d.opts.Dedup {
			delete(d.seen, k)
		}
	}
	for k, inc := range d.incidents {
		if t.Sub(inc.last) > keep {
			delete(d.incidents, k)
		}
	}
}
