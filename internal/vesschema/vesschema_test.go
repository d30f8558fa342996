package vesschema

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// The embedded copy is the published file byte for byte (SOURCES.md names the md5).
func TestEmbeddedSchemaIsThePublishedFile(t *testing.T) {
	sum := md5.Sum(JSON)
	require.Equal(t, "9990fab1143ca394bf8e32f27e352ac3", hex.EncodeToString(sum[:]))
	var doc map[string]any
	require.NoError(t, json.Unmarshal(JSON, &doc))
	require.Contains(t, doc, "definitions")
}
