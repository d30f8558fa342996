package rules

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name         string
		data         string
		wantWarnings int
		wantErrors   []string // how Problem.String() of each error starts
	}{
		{name: "a file without rules is fine", data: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"},
		{name: "an empty file is fine", data: ""},
		{name: "a good rule", data: "rules:\n  - {name: a, eventDomain: fault, action: restart, condition: \"event.faultFields.alarmCondition == 'X'\"}\n"},
		{name: "a rule that loads with a warning", wantWarnings: 1,
			data: "rules:\n  - {name: a, eventDomain: fault, action: restart, condition: \"event.faultFields.alarmAdditionalInformation.n > 5\"}\n"},
		{name: "errors and warnings together", wantWarnings: 1,
			data: "rules:\n  - {name: a, eventDomain: fault, action: restart, condition: \"event.faultFields.alarmAdditionalInformation.n > 5\"}\n" +
				"  - {name: b, eventDomain: fault, action: scale_to}\n",
			wantErrors: []string{"f.yaml:3:5: rules[1].replicas: Required value: scale_to needs replicas"}},
		{name: "a duplicate name within the file",
			data:       "rules:\n  - {name: a, eventDomain: fault, action: restart}\n  - {name: a, eventDomain: fault, action: restart}\n",
			wantErrors: []string{`f.yaml:3:12: rules[1].name: duplicate FCAPSRule name "a" (first at f.yaml:2:12): rule names must be unique`}},
		{name: "the rules list is not a list", data: "rules: {a: 1}\n",
			wantErrors: []string{"f.yaml:1:8: rules: Invalid value: must be of type []v1.FCAPSRuleEntry"}},
		{name: "a required field is placed at its parent", data: "apiVersion: nephoran.com/v1\nkind: FCAPSRule\nmetadata:\n  name: a\nspec:\n  action: restart\n",
			wantErrors: []string{"f.yaml:6:3: spec.eventDomain: Required value: the VES commonEventHeader.domain, one of"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			warnings, err := Check("f.yaml", []byte(tt.data))
			require.Len(t, warnings, tt.wantWarnings)
			for _, w := range warnings {
				require.True(t, w.Warning)
			}
			if tt.wantErrors == nil {
				require.NoError(t, err)
				return
			}
			var list ProblemList
			require.True(t, errors.As(err, &list), "%v", err)
			require.Len(t, list, len(tt.wantErrors), "%v", err)
			for i, p := range list {
				require.True(t, strings.HasPrefix(p.String(), tt.wantErrors[i]), "problem %d:\n got %s\nwant %s...", i, p, tt.wantErrors[i])
			}
		})
	}
}

func TestProblemString(t *testing.T) {
	require.Equal(t, "a.yaml:3:7: spec.condition: bad", Problem{File: "a.yaml", Line: 3, Col: 7, Field: "spec.condition", Message: "bad"}.String())
	require.Equal(t, "a.yaml:3: warning: odd", Problem{File: "a.yaml", Line: 3, Message: "odd", Warning: true}.String())
	require.Equal(t, "a.yaml: bad", Problem{File: "a.yaml", Message: "bad"}.String())
	list := ProblemList{{File: "a", Message: "x"}, {File: "b", Message: "y"}}
	require.Equal(t, "2 problems:\n  a: x\n  b: y", list.Error())
}
