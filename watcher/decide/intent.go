package decide

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/watcher/model"
)

// Lengths of ids and names.
const (
	idHexLength       = 16 // a decision id
	nameIDHexLength   = 10 // the id's part of an intent name
	dnsLabelMaxLength = 63
)

// decisionID is deterministic: a short hex sha256 of the CNF, the action,
// the rule and the moment's basis (the window, or the incident), so a retry
// or a restart never makes a second proposal for the same cause.
func decisionID(cnf string, action nephv1.Action, rule, basis string) string {
	h := sha256.New()
	for _, s := range []string{cnf, string(action), rule, basis} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:idHexLength]
}

// intentName is the metadata.name of a decision's CNFIntent:
// "<cnf>-<action with - for _>-<first 10 hex of the id>", a DNS-1123 label
// (the CNF part is shortened to keep it within 63 characters).
func intentName(cnf string, action nephv1.Action, id string) string {
	suffix := "-" + strings.ReplaceAll(string(action), "_", "-") + "-" + id[:min(len(id), nameIDHexLength)]
	if room := dnsLabelMaxLength - len(suffix); len(cnf) > room {
		cnf = strings.TrimRight(cnf[:max(room, 0)], "-.")
	}
	return cnf + suffix
}

// buildIntent is the CNFIntent of a decision.
func buildIntent(c *cnf, r *rule, d *model.Decision, m *moment, avoid *nephv1.Avoid) *nephv1.CNFIntent {
	in := &nephv1.CNFIntent{
		TypeMeta:   metav1.TypeMeta{APIVersion: nephv1.APIVersion, Kind: nephv1.KindCNFIntent},
		ObjectMeta: metav1.ObjectMeta{Name: intentName(c.name, r.Action, d.ID)},
		Spec: nephv1.CNFIntentSpec{
			Target:        c.name,
			Action:        r.Action,
			Reason:        d.Reason,
			Source:        r.Name,
			CorrelationID: d.CorrelationID,
			At:            m.now.UTC().Format(time.RFC3339),
			Evidence:      m.evidence(),
		},
	}
	switch r.Action {
	case nephv1.ActionScaleOut, nephv1.ActionScaleIn:
		in.Spec.Delta = 1
	case nephv1.ActionScaleTo:
		n := *r.Replicas
		in.Spec.Replicas = &n
	case nephv1.ActionMigrate:
		in.Spec.Avoid = avoid
	}
	return in
}

// mustJSON marshals values that always marshal (strings, ints, finite
// floats).
func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage("null")
	}
	return b
}

// finite drops the values JSON cannot carry (NaN, ±Inf).
func finite(m map[string]float64) map[string]float64 {
	out := make(map[string]float64, len(m))
	for k, v := range m {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			out[k] = v
		}
	}
	return out
}
