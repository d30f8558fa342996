package kpm

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/watcher/model"
)

func TestRecordReceivesEveryIngestedBatch(t *testing.T) {
	var got [][]model.KPMReport
	now := time.Date(2026, 11, 27, 0, 0, 40, 0, time.UTC)
	in := New(Options{Now: func() time.Time { return now }, Record: func(rs []model.KPMReport) {
		got = append(got, append([]model.KPMReport(nil), rs...))
	}})
	r := model.KPMReport{NodeID: "gnb-1", CellID: "c1", CollectStart: now.Add(-10 * time.Second),
		GranularityPeriod: 10 * time.Second, Measurements: []model.Measurement{{Name: RRUPrbTotDl, Value: 50}}}
	in.Ingest([]model.KPMReport{r})
	in.Ingest(nil)
	in.Ingest([]model.KPMReport{r, r})
	require.Len(t, got, 2, "an empty batch is not recorded")
	require.Len(t, got[0], 1)
	require.Len(t, got[1], 2)
	require.Equal(t, "gnb-1", got[1][1].NodeID)
}
