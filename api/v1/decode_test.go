package v1

import (
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

const validCNF = `apiVersion: nephoran.com/v1
kind: CNFDeployment
metadata:
  name: upf-edge-1
  annotations:
    config.kubernetes.io/local-config: "true"
spec:
  nfType: upf
  namespace: core
  image: registry.example.com/upf:1.4.2
  replicas: 2
  scaling:
    minReplicas: 1
    maxReplicas: 10
  resources:
    requests: {cpu: 500m, memory: 4Gi}
    limits: {cpu: 2, memory: 8Gi}
  interfaces:
    - name: n3
      cniType: macvlan
      master: eth1
      vlan: 103
      ipam: {cidr: 10.10.3.0/24, gateway: 10.10.3.1}
  placement:
    sites: [edge-1]
    nodeSelector: {node-role.kubernetes.io/upf: ""}
    excludedSites: [edge-2]
    excludedNodes: [worker-3]
  plmn: {mcc: "001", mnc: "01"}
  slices:
    - {sst: 1, sd: "000001"}
  kpm: {nodeId: gnb-001, cellIds: [cell-001], granularityPeriod: 1s}
  ves: {sourceNames: [upf-edge-1-vm]}
  restartGeneration: 3
`

func TestDecodeCNFDeploymentReadsEveryField(t *testing.T) {
	c, errs := DecodeCNFDeployment([]byte(validCNF))
	require.Empty(t, errs)
	require.NotNil(t, c)
	s := c.Spec
	require.Equal(t, NFTypeUPF, s.NFType)
	require.Equal(t, "core", s.Namespace)
	require.Equal(t, "registry.example.com/upf:1.4.2", s.Image)
	require.Equal(t, int32(2), s.Replicas)
	require.Equal(t, Scaling{MinReplicas: 1, MaxReplicas: 10}, s.Scaling)
	require.True(t, resource.MustParse("500m").Equal(s.Resources.Requests["cpu"]))
	require.True(t, resource.MustParse("2").Equal(s.Resources.Limits["cpu"]), "a bare number is a quantity")
	require.Equal(t, []Interface{{Name: "n3", CNIType: "macvlan", Master: "eth1", VLAN: 103,
		IPAM: &IPAM{CIDR: "10.10.3.0/24", Gateway: "10.10.3.1"}}}, s.Interfaces)
	require.Equal(t, &Placement{Sites: []string{"edge-1"}, NodeSelector: map[string]string{"node-role.kubernetes.io/upf": ""},
		ExcludedSites: []string{"edge-2"}, ExcludedNodes: []string{"worker-3"}}, s.Placement)
	require.Equal(t, &PLMN{MCC: "001", MNC: "01"}, s.PLMN, "leading zeros survive")
	require.Equal(t, []Slice{{SST: 1, SD: "000001"}}, s.Slices)
	require.Equal(t, &KPM{NodeID: "gnb-001", CellIDs: []string{"cell-001"}, GranularityPeriod: "1s"}, s.KPM)
	require.Equal(t, []string{"upf-edge-1-vm"}, c.VESSourceNames())
	require.Equal(t, int64(3), s.RestartGeneration)
	require.Empty(t, c.Validate())
}

// fieldErr is the part of a field error a test pins: the path and the type.
type fieldErr struct {
	Field string
	Type  field.ErrorType
}

func TestDecodeCNFDeploymentIsStrict(t *testing.T) {
	const head = "apiVersion: nephoran.com/v1\nkind: CNFDeployment\nmetadata:\n  name: upf\n"
	tests := []struct {
		name string
		yaml string
		want []fieldErr
		// msg must appear in the first error's message.
		msg string
	}{
		{
			name: "unknown spec field is named by its full path",
			yaml: head + "spec:\n  replica: 2\n",
			want: []fieldErr{{"spec.replica", field.ErrorTypeForbidden}},
			msg:  `unknown field "spec.replica"`,
		},
		{
			name: "unknown field inside a list element carries the index",
			yaml: head + "spec:\n  interfaces:\n  - name: n3\n    vlam: 103\n",
			want: []fieldErr{{"spec.interfaces[0].vlam", field.ErrorTypeForbidden}},
			msg:  `unknown field "spec.interfaces[0].vlam"`,
		},
		{
			name: "unknown field deep in a nested object",
			yaml: head + "spec:\n  interfaces:\n  - name: n3\n    ipam: {cidr: 10.0.0.0/24, gw: 10.0.0.1}\n",
			want: []fieldErr{{"spec.interfaces[0].ipam.gw", field.ErrorTypeForbidden}},
			msg:  `unknown field "spec.interfaces[0].ipam.gw"`,
		},
		{
			name: "unknown metadata field",
			yaml: "apiVersion: nephoran.com/v1\nkind: CNFDeployment\nmetadata:\n  name: upf\n  lables: {a: b}\nspec: {}\n",
			want: []fieldErr{{"metadata.lables", field.ErrorTypeForbidden}},
			msg:  `unknown field "metadata.lables"`,
		},
		{
			name: "every unknown field is reported, not only the first",
			yaml: head + "spec:\n  replica: 2\n  scaling: {min: 1, maxReplicas: 3}\n",
			want: []fieldErr{{"spec.replica", field.ErrorTypeForbidden}, {"spec.scaling.min", field.ErrorTypeForbidden}},
			msg:  "spec.replica",
		},
		{
			name: "duplicate field is an error, not last-one-wins",
			yaml: head + "spec:\n  replicas: 1\n  image: upf:1\n  replicas: 2\n",
			want: []fieldErr{{"spec.replicas", field.ErrorTypeDuplicate}},
			msg:  `"spec.replicas" appears more than once`,
		},
		{
			name: "duplicate field in a nested object",
			yaml: head + "spec:\n  scaling:\n    maxReplicas: 3\n    maxReplicas: 30\n",
			want: []fieldErr{{"spec.scaling.maxReplicas", field.ErrorTypeDuplicate}},
			msg:  "spec.scaling.maxReplicas",
		},
		{
			name: "duplicate field in a list element",
			yaml: head + "spec:\n  interfaces:\n  - {name: n3, name: n4}\n",
			want: []fieldErr{{"spec.interfaces[0].name", field.ErrorTypeDuplicate}},
			msg:  "spec.interfaces[0].name",
		},
		{
			name: "duplicate field in JSON input",
			yaml: `{"apiVersion": "nephoran.com/v1", "kind": "CNFDeployment", "spec": {"replicas": 1, "replicas": 2}}`,
			want: []fieldErr{{"spec.replicas", field.ErrorTypeDuplicate}},
			msg:  "spec.replicas",
		},
		{
			name: "mcc written as a number says to quote it",
			yaml: head + "spec:\n  plmn: {mcc: 001, mnc: \"01\"}\n",
			want: []fieldErr{{"spec.plmn.mcc", field.ErrorTypeInvalid}},
			msg:  `must be of type string (quote it: "001")`,
		},
		{
			name: "replicas written as a word",
			yaml: head + "spec:\n  replicas: two\n",
			want: []fieldErr{{"spec.replicas", field.ErrorTypeInvalid}},
			msg:  "must be of type int32",
		},
		{
			name: "replicas that is not a whole number",
			yaml: head + "spec:\n  replicas: 1.5\n",
			want: []fieldErr{{"spec.replicas", field.ErrorTypeInvalid}},
			msg:  "int32",
		},
		{
			name: "spec that is a list",
			yaml: head + "spec: [1]\n",
			want: []fieldErr{{"spec", field.ErrorTypeInvalid}},
			msg:  "must be of type",
		},
		{
			name: "request that is not a quantity names its path",
			yaml: head + "spec:\n  resources:\n    requests: {cpu: two}\n",
			want: []fieldErr{{"spec.resources.requests.cpu", field.ErrorTypeInvalid}},
			msg:  "must be a Kubernetes quantity",
		},
		{
			name: "every bad quantity is reported with its own path",
			yaml: head + "spec:\n  resources:\n    requests: {memory: 4GB}\n    limits: {cpu: [2], memory: 8Gi}\n",
			want: []fieldErr{{"spec.resources.requests.memory", field.ErrorTypeInvalid}, {"spec.resources.limits.cpu", field.ErrorTypeInvalid}},
			msg:  `"4GB"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, errs := DecodeCNFDeployment([]byte(tt.yaml))
			require.Nil(t, c, "a CNFDeployment that failed to decode is not returned")
			var got []fieldErr
			for _, e := range errs {
				got = append(got, fieldErr{e.Field, e.Type})
			}
			require.Equal(t, tt.want, got)
			require.Contains(t, errs[0].Error(), tt.msg)
			for _, e := range errs {
				require.Contains(t, e.Error(), e.Field, "every message names its field")
			}
		})
	}
}

func TestDecodeRejectsWhatIsNotYAML(t *testing.T) {
	c, errs := DecodeCNFDeployment([]byte("spec: [\n"))
	require.Nil(t, c)
	require.Len(t, errs, 1)
	require.Contains(t, errs[0].Error(), "not valid YAML")
}

// A value of the wrong type inside a list element: encoding/json reports the
// path without the index, so only the list and the leaf are pinned here.
func TestDecodeCNFDeploymentMistypedListElement(t *testing.T) {
	const doc = "apiVersion: nephoran.com/v1\nkind: CNFDeployment\nmetadata: {name: upf}\nspec:\n  interfaces:\n  - {name: n3, vlan: high}\n"
	c, errs := DecodeCNFDeployment([]byte(doc))
	require.Nil(t, c)
	require.Len(t, errs, 1)
	require.Regexp(t, `^spec\.interfaces(\[0\])?\.vlan$`, errs[0].Field)
	require.Contains(t, errs[0].Error(), "must be of type int")
}

func TestDecodeCNFIntentIsStrict(t *testing.T) {
	const head = "apiVersion: nephoran.com/v1\nkind: CNFIntent\nmetadata:\n  name: t1\n"
	tests := []struct {
		name string
		yaml string
		want []fieldErr
		msg  string
	}{
		{
			name: "a complete intent decodes, evidence is free-form",
			yaml: head + "spec:\n  target: upf\n  action: migrate\n  avoid: {nodes: [w1], sites: [edge-1]}\n" +
				"  reason: high load\n  source: rule/upf-prb\n  correlationId: c-1\n  at: 2026-01-02T15:04:05Z\n" +
				"  evidence: {prbUsage: [0.91, 0.95], ves: {eventId: e-1, nested: {deep: true}}}\n",
		},
		{
			name: "unknown field in spec",
			yaml: head + "spec:\n  target: upf\n  action: scale_out\n  deltas: 2\n",
			want: []fieldErr{{"spec.deltas", field.ErrorTypeForbidden}},
			msg:  `unknown field "spec.deltas"`,
		},
		{
			name: "unknown field in avoid",
			yaml: head + "spec:\n  target: upf\n  action: migrate\n  avoid: {node: [w1]}\n",
			want: []fieldErr{{"spec.avoid.node", field.ErrorTypeForbidden}},
			msg:  `unknown field "spec.avoid.node"`,
		},
		{
			name: "delta written as a word",
			yaml: head + "spec:\n  target: upf\n  action: scale_out\n  delta: one\n",
			want: []fieldErr{{"spec.delta", field.ErrorTypeInvalid}},
			msg:  "must be of type int32",
		},
		{
			name: "duplicate action",
			yaml: head + "spec:\n  target: upf\n  action: scale_out\n  action: scale_in\n",
			want: []fieldErr{{"spec.action", field.ErrorTypeDuplicate}},
			msg:  "spec.action",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, errs := DecodeCNFIntent([]byte(tt.yaml))
			var got []fieldErr
			for _, e := range errs {
				got = append(got, fieldErr{e.Field, e.Type})
			}
			require.Equal(t, tt.want, got)
			if tt.want == nil {
				require.NotNil(t, in)
				require.Empty(t, in.Validate())
				return
			}
			require.Nil(t, in)
			require.Contains(t, errs[0].Error(), tt.msg)
		})
	}
}
