package watcher_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const linkDownRules = `rules:
  - name: link-down-migration
    eventDomain: fault
    severity: CRITICAL
    condition: "event.faultFields.alarmCondition == 'LINK_DOWN'"
    action: migrate
    intentTemplate: "Migrate {.SourceName} due to link failure"
    cooldown: 300s
`

const duPackage = `apiVersion: nephoran.com/v1
kind: CNFDeployment
metadata:
  name: du-1
spec:
  nfType: du
  image: registry.example.com/ran/du:2.1.0
  replicas: 1
  scaling: {minReplicas: 1, maxReplicas: 4}
  placement: {sites: [edge-1, edge-2]}
  ves: {sourceNames: [odu-1]}
`

// linkDown is a strict-valid LINK_DOWN fault of odu-1 on interface iface.
func linkDown(id string, seq int, iface string) []byte {
	now := time.Now().UnixMicro()
	return fmt.Appendf(nil, `{"event":{"commonEventHeader":{"domain":"fault","eventId":%q,"eventName":"Fault_LINK_DOWN",
"sequence":%d,"priority":"High","reportingEntityName":"odu-1","sourceName":"odu-1","version":"4.1",
"vesEventListenerVersion":"7.2.1","startEpochMicrosec":%d,"lastEpochMicrosec":%d},
"faultFields":{"faultFieldsVersion":"4.0","alarmCondition":"LINK_DOWN","alarmInterfaceA":%q,"eventSourceType":"O-DU",
"specificProblem":"link down","eventSeverity":"CRITICAL","vfStatus":"Active",
"alarmAdditionalInformation":{"site":"edge-1","node":"worker-3"}}}}`, id, seq, now, now, iface)
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
	return string(b)
}

type decisionItem struct {
	ID, CNF, Action, Rule, Reason, Suppressed, Detail string
	Intent                                            *struct {
		Spec struct {
			Avoid struct{ Sites, Nodes []string }
		}
	}
}

func decisions(t *testing.T, base, query string) []decisionItem {
	t.Helper()
	var page struct{ Items []decisionItem }
	require.NoError(t, json.Unmarshal([]byte(get(t, base+"/api/v1/decisions?"+query)), &page))
	return page.Items
}

// TestWatchDecidesHotReloadsAndRestoresAcrossRestart runs the whole loop
// through the binary: rules added to a running watcher apply without a
// restart, a LINK_DOWN becomes a recorded migrate decision, a broken rule
// file keeps the last good set running and shows in /readyz and /metrics,
// and after a restart the dedup state comes back from the store.
func TestWatchDecidesHotReloadsAndRestoresAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	rules, packages, data := filepath.Join(dir, "rules"), filepath.Join(dir, "packages"), filepath.Join(dir, "data")
	require.NoError(t, os.MkdirAll(packages, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(packages, "du.yaml"), []byte(duPackage), 0o644))
	cmd, base := watch(t, data, "--rules", rules, "--packages", packages)

	// No rule directory yet: an empty rule set, events are stored, nothing is decided.
	post(t, base+"/eventListener/v7", string(linkDown("ev-1", 1, "f1-u")), http.StatusAccepted)
	require.Empty(t, decisions(t, base, ""))

	// Rules appear: applied without a restart.
	require.NoError(t, os.MkdirAll(rules, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(rules, "fcaps-rules.yaml"), []byte(linkDownRules), 0o644))
	require.Eventually(t, func() bool {
		return strings.Contains(get(t, base+"/metrics"), `planner_rules_loaded{kind="FCAPSRule"} 1`)
	}, 30*time.Second, 100*time.Millisecond, "the new rule file was not loaded")

	post(t, base+"/eventListener/v7", string(linkDown("ev-2", 2, "f1-c")), http.StatusAccepted)
	var ds []decisionItem
	require.Eventually(t, func() bool { ds = decisions(t, base, "suppressed=none"); return len(ds) == 1 }, 10*time.Second, 50*time.Millisecond)
	require.Equal(t, "du-1", ds[0].CNF)
	require.Equal(t, "migrate", ds[0].Action)
	require.Equal(t, "Migrate odu-1 due to link failure", ds[0].Reason)
	require.NotNil(t, ds[0].Intent)
	require.Equal(t, []string{"edge-1"}, ds[0].Intent.Spec.Avoid.Sites)
	require.Contains(t, get(t, base+"/metrics"), `planner_intents_generated_total{action="migrate"} 1`)

	// A broken rule file: the last good set keeps running, reported.
	require.NoError(t, os.WriteFile(filepath.Join(rules, "broken.yaml"), []byte("apiVersion: nephoran.com/v1\nkind: FCAPSRule\nmetadata: {name: x}\nspec: {eventDomain: fault, action: migrate, condition: \"event.faultFields.\"}\n"), 0o644))
	require.Eventually(t, func() bool {
		return strings.Contains(get(t, base+"/readyz"), "rules: the last reload failed")
	}, 30*time.Second, 100*time.Millisecond)
	require.Contains(t, get(t, base+"/metrics"), "planner_rules_last_reload_failed 1")
	require.NoError(t, os.Remove(filepath.Join(rules, "broken.yaml")))

	// Restart on the same state directory: the retransmitted ev-2 is a duplicate.
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait())
	_, base = watch(t, data, "--rules", rules, "--packages", packages)
	post(t, base+"/eventListener/v7", string(linkDown("ev-2", 2, "f1-c")), http.StatusAccepted)
	require.Eventually(t, func() bool { return len(decisions(t, base, "suppressed=Duplicate")) == 1 }, 10*time.Second, 50*time.Millisecond)
	require.Len(t, decisions(t, base, "suppressed=none"), 1, "the restart must not decide the same incident again")
}
