package watcher

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/nephoran/nephoran/watcher/model"
)

// plannerMetrics are the decision loop's families, with the plan's names
// (../shared/contracts/seed-examples.md) plus the suppressions and the rule
// set's health.
type plannerMetrics struct {
	intents      *prometheus.CounterVec // planner_intents_generated_total{action}
	suppressed   *prometheus.CounterVec // planner_suppressed_total{reason}
	evaluation   prometheus.Histogram   // planner_rule_evaluation_duration_seconds
	ruleErrors   *prometheus.CounterVec // planner_rule_errors_total{rule}
	cooldown     *prometheus.GaugeVec   // planner_cooldown_active{cnf}
	staleness    prometheus.Gauge       // planner_metrics_staleness_seconds
	rulesLoaded  *prometheus.GaugeVec   // planner_rules_loaded{kind}
	reloads      *prometheus.CounterVec // planner_rules_reloads_total{result}
	reloadFailed prometheus.Gauge       // planner_rules_last_reload_failed
	decisionErrs prometheus.Counter     // planner_decisions_unrecorded_total
}

func newPlannerMetrics(reg prometheus.Registerer) *plannerMetrics {
	m := &plannerMetrics{
		intents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "planner_intents_generated_total",
			Help: "Decisions made (each one a CNFIntent to propose), by action.",
		}, []string{"action"}),
		suppressed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "planner_suppressed_total",
			Help: "Rule matches that did not become a decision, by the one reason (Stale, Duplicate, Burst, Cleared, Hysteresis, LowerPriority, ProposalOpen, Rejected, CooldownActive, AtBound).",
		}, []string{"reason"}),
		evaluation: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "planner_rule_evaluation_duration_seconds",
			Help:    "Time to evaluate one rule's CEL condition on one observation.",
			Buckets: []float64{1e-6, 5e-6, 25e-6, 1e-4, 5e-4, 2.5e-3, 0.01, 0.05},
		}),
		ruleErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "planner_rule_errors_total",
			Help: "Rule evaluations that failed at run time (the rule was skipped for that observation), by rule name.",
		}, []string{"rule"}),
		cooldown: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "planner_cooldown_active",
			Help: "1 while some action of the CNF is in its cooldown, else 0.",
		}, []string{"cnf"}),
		staleness: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "planner_metrics_staleness_seconds",
			Help: "Age of the newest KPM sample in the last window the planner evaluated, at evaluation.",
		}),
		rulesLoaded: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "planner_rules_loaded",
			Help: "Rules in the running rule set, by kind.",
		}, []string{"kind"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "planner_rules_reloads_total",
			Help: "Rule directory reloads, by result (ok, error: the last good set keeps running).",
		}, []string{"result"}),
		reloadFailed: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "planner_rules_last_reload_failed",
			Help: "1 when the last reload of the rule directory failed and an older rule set is running.",
		}),
		decisionErrs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "planner_decisions_unrecorded_total",
			Help: "Decisions or suppressions the store failed to record (logged).",
		}),
	}
	reg.MustRegister(m.intents, m.suppressed, m.evaluation, m.ruleErrors, m.cooldown, m.staleness,
		m.rulesLoaded, m.reloads, m.reloadFailed, m.decisionErrs)
	for _, r := range model.Suppressions {
		m.suppressed.WithLabelValues(string(r))
	}
	return m
}

// observeEvaluation is the rules' evaluation hook.
func (m *plannerMetrics) observeEvaluation(rule string, took time.Duration, err error) {
	m.evaluation.Observe(took.Seconds())
	if err != nil {
		m.ruleErrors.WithLabelValues(rule).Inc()
	}
}

// count counts decisions and suppressions.
func (m *plannerMetrics) count(ds []model.Decision) {
	for _, d := range ds {
		if d.Suppressed != "" {
			m.suppressed.WithLabelValues(string(d.Suppressed)).Inc()
		} else {
			m.intents.WithLabelValues(string(d.Action)).Inc()
		}
	}
}

// rules records a loaded rule set.
func (m *plannerMetrics) rules(rs []model.Rule) {
	n := map[model.RuleKind]int{model.MetricRule: 0, model.EventRule: 0}
	for _, r := range rs {
		n[r.Kind]++
	}
	for k, v := range n {
		m.rulesLoaded.WithLabelValues(string(k)).Set(float64(v))
	}
}
