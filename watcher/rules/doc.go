// Package rules turns rule files into compiled rules: it is the one place
// that builds the CEL environments, compiles conditions and parses intent
// templates.
//
// Where it sits:
//
//	rule files (AutomationRule, FCAPSRule, rules: lists; a ConfigMap mount)
//	  -> Load / Watch: strict decode + validate (api/v1), CEL compiled once,
//	     templates parsed once; errors name file:line:col
//	  -> []model.Rule: plain data plus function fields
//	  -> watcher/decide calls Condition / Clear per signal, Reason / Avoid
//	     when a rule fires
//
// Neither package imports the other: model.Rule is the contract.
//
// # CEL
//
// Event rules (FCAPSRule) see event (the VES event object as JSON decodes
// it, map(string, dyn)), cnf and node; metric rules (AutomationRule) see
// metrics (map(string, double)), cell (map(string, map(string, double))),
// cnf and node. cnf is map(string, dyn) with name, nfType, replicas,
// minReplicas, maxReplicas and labels. The strings extension library is
// available, and numbers of different types compare (metrics['x'] > 1).
//
// A condition must be a bool (or dyn); its worst-case cost, estimated at
// load with the size hints in env.go, must be within the cost limit
// (DefaultCostLimit), so an unbounded rule (a comprehension nested in
// another over the event) is refused before it runs. Each evaluation runs
// with the caller's context and the same limit at run time. A runtime error
// (no such key, no such overload, the cost limit, a cancelled context) is
// returned to the caller, which counts the rule and skips it.
//
// VES sends thresholdCrossingAlertFields.alertValue as a string; a
// condition sees it as a double when it parses, so the plan's
// event.thresholdCrossingAlertFields.alertValue > 0.9 works as written
// (and errors at run time for a value such as "high"). Every other field
// keeps its JSON type: comparing one that the VES schema types as a string
// with a number is a load warning that shows the double(event...) form.
//
// # Templates
//
// intentTemplate and avoid templates are kubectl JSONPath over
// model.TemplateView: {.SourceName}, {.AlertValue}, {.Value}, {.CNF},
// {.Rule}, {.Node}, {.Event.faultFields.alarmCondition},
// {.Metrics.kpm\.prb_utilization}. A missing key renders empty. Reason and
// Avoid first fill the view's fields the caller left empty: Rule, Value
// (for a metric rule, the value of the first metrics['...'] key its
// condition names, formatted with strconv.FormatFloat(x, 'g', 4, 64): four significant digits),
// AlertValue and SourceName (from the event). An FCAPSRule's avoid
// defaults to the site and node of the fault's alarmAdditionalInformation;
// empty results are dropped.
//
// # Reload
//
// Watch polls the rule directory by content hash and hands every good rule
// set to its caller; a bad one is reported and the last good set stays.
package rules
