package demo

import (
	"os"
	"path/filepath"
)

// demoRules are the plan's example rules (../shared/contracts/seed-examples.md)
// with approval manual. The AutomationRule gains `target: {nfType: upf}`:
// as written it would act on every CNF measured on gnb-001 (the DU and the
// CU-UP too).
var demoRules = map[string]string{
	"upf-prb-scaling.yaml": `apiVersion: nephoran.com/v1
kind: AutomationRule
metadata:
  name: upf-prb-scaling
spec:
  metricSource: kpm
  target:
    nfType: upf
  condition: "metrics['kpm.prb_utilization'] > 0.85"
  action: scale_out
  cooldown: 300s
  minReplicas: 2
  maxReplicas: 10
  priority: 10
  intentTemplate: "Scale out UPF due to PRB utilization {.Value}"
  approval: manual
`,
	"high-prb-scaling.yaml": `apiVersion: nephoran.com/v1
kind: FCAPSRule
metadata:
  name: high-prb-scaling
spec:
  eventDomain: thresholdCrossingAlert
  condition: "event.thresholdCrossingAlertFields.alertValue > 0.9"
  action: scale_out
  intentTemplate: "Scale out due to PRB {.AlertValue}"
  cooldown: 180s
  approval: manual
`,
	"fcaps-rules.yaml": `rules:
  - name: link-down-migration
    eventDomain: fault
    severity: CRITICAL
    condition: "event.faultFields.alarmCondition == 'LINK_DOWN'"
    action: migrate
    intentTemplate: "Migrate {.SourceName} due to link failure"
    cooldown: 300s
    approval: manual
`,
}

func writeRules(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, body := range demoRules {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			return err
		}
	}
	return nil
}
