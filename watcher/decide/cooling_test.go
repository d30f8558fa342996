package decide_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/watcher/decide"
)

func TestCoolingReportsEveryInventoryCNF(t *testing.T) {
	s := decide.New(decide.Options{})
	s.SetInventory([]*nephv1.CNFDeployment{
		newCNF("upf-1", "gnb-1", 2, 1, 10, withAnnotations(
			nephv1.AnnotationLastIntentAction, string(nephv1.ActionScaleOut),
			nephv1.AnnotationLastIntentAt, at(0).Format(time.RFC3339))),
		newCNF("upf-2", "gnb-2", 2, 1, 10),
	})
	// No rule proposes scale_out: the default cooldown (5 min) applies.
	require.Equal(t, map[string]bool{"upf-1": true, "upf-2": false}, s.Cooling(at(299*sec)))
	require.Equal(t, map[string]bool{"upf-1": false, "upf-2": false}, s.Cooling(at(300*sec)))
}
