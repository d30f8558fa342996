package ves

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSubmitAcceptsAndRefusesAsThePOSTWould(t *testing.T) {
	cases := []struct {
		name, file string
		events     int
		wantErr    string
	}{
		{"a single event goes to the sink", "onap-ves7-fault-critical.json", 1, ""},
		{"a batch goes to the sink as one append", "onap-ves7-batch-fault.json", 2, ""},
		{"a mixed-domain batch is refused with its spec code", "INVALID-onap-batch-mixed-domains.json", 0, "SVC0001"},
		{"a schema violation is refused and names the field", "INVALID-onap-ves7-pnfreg-bad-ipv4.json", 0, "SVC0002"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata", "samples", tc.file))
			require.NoError(t, err)
			sink := &memSink{}
			l, err := New(Options{Sink: sink})
			require.NoError(t, err)
			err = l.Submit(context.Background(), body)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				require.Empty(t, sink.appends)
				return
			}
			require.NoError(t, err)
			require.Len(t, sink.appends, 1)
			require.Len(t, sink.appends[0], tc.events)
		})
	}
}
