package v1

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// baseCNF is a valid CNFDeployment every case changes in one way.
func baseCNF() *CNFDeployment {
	return &CNFDeployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: APIVersion, Kind: KindCNFDeployment},
		ObjectMeta: metav1.ObjectMeta{Name: "upf-edge-1"},
		Spec: CNFDeploymentSpec{
			NFType:   NFTypeUPF,
			Image:    "registry.example.com/upf:1.4.2",
			Replicas: 2,
			Scaling:  Scaling{MinReplicas: 1, MaxReplicas: 10},
			Resources: &Resources{
				Requests: corev1.ResourceList{"cpu": resource.MustParse("1")},
				Limits:   corev1.ResourceList{"cpu": resource.MustParse("2")},
			},
			Interfaces: []Interface{
				{Name: "n3", Master: "eth1", VLAN: 103, IPAM: &IPAM{CIDR: "10.10.3.0/24", Gateway: "10.10.3.1"}},
				{Name: "n4", CNIType: "sriov", Master: "intel.com/sriov_netdevice"},
			},
			Placement: &Placement{Sites: []string{"edge-1"}, ExcludedSites: []string{"edge-2"},
				ExcludedNodes: []string{"worker-3"}, NodeSelector: map[string]string{"example.com/upf": "true"}},
			PLMN:   &PLMN{MCC: "001", MNC: "01"},
			Slices: []Slice{{SST: 1, SD: "00000a"}},
			KPM:    &KPM{GranularityPeriod: "1s"},
		},
	}
}

func errorsOf(errs field.ErrorList) []fieldErr {
	var got []fieldErr
	for _, e := range errs {
		got = append(got, fieldErr{e.Field, e.Type})
	}
	return got
}

func TestCNFDeploymentValidate(t *testing.T) {
	inv, req, dup, unsup := field.ErrorTypeInvalid, field.ErrorTypeRequired, field.ErrorTypeDuplicate, field.ErrorTypeNotSupported
	tests := []struct {
		name   string
		change func(c *CNFDeployment)
		want   []fieldErr
	}{
		{name: "the base CNF is valid", change: func(*CNFDeployment) {}},
		{
			name: "only the required fields",
			change: func(c *CNFDeployment) {
				c.Spec = CNFDeploymentSpec{NFType: NFTypeXApp, Image: "xapp:1", Replicas: 0, Scaling: Scaling{MinReplicas: 0, MaxReplicas: 1}}
			},
		},
		{
			name:   "wrong apiVersion and kind",
			change: func(c *CNFDeployment) { c.APIVersion, c.Kind = "nephoran.com/v2", "CNF" },
			want:   []fieldErr{{"apiVersion", inv}, {"kind", inv}},
		},
		{name: "missing name", change: func(c *CNFDeployment) { c.Name = "" }, want: []fieldErr{{"metadata.name", req}}},
		{name: "name is not a DNS label", change: func(c *CNFDeployment) { c.Name = "UPF_1" }, want: []fieldErr{{"metadata.name", inv}}},
		{name: "missing nfType", change: func(c *CNFDeployment) { c.Spec.NFType = "" }, want: []fieldErr{{"spec.nfType", req}}},
		{name: "unknown nfType", change: func(c *CNFDeployment) { c.Spec.NFType = "pgw" }, want: []fieldErr{{"spec.nfType", unsup}}},
		{name: "namespace is not a DNS label", change: func(c *CNFDeployment) { c.Spec.Namespace = "Core" }, want: []fieldErr{{"spec.namespace", inv}}},
		{name: "missing image", change: func(c *CNFDeployment) { c.Spec.Image = "" }, want: []fieldErr{{"spec.image", req}}},
		{name: "image tagged latest", change: func(c *CNFDeployment) { c.Spec.Image = "upf:latest" }, want: []fieldErr{{"spec.image", inv}}},
		{name: "image without a tag", change: func(c *CNFDeployment) { c.Spec.Image = "registry.example.com/upf" }, want: []fieldErr{{"spec.image", inv}}},
		{
			name:   "minReplicas above maxReplicas is reported once, on minReplicas",
			change: func(c *CNFDeployment) { c.Spec.Scaling = Scaling{MinReplicas: 5, MaxReplicas: 3} },
			want:   []fieldErr{{"spec.scaling.minReplicas", inv}},
		},
		{name: "negative minReplicas", change: func(c *CNFDeployment) { c.Spec.Scaling.MinReplicas = -1 }, want: []fieldErr{{"spec.scaling.minReplicas", inv}}},
		{
			name:   "maxReplicas zero",
			change: func(c *CNFDeployment) { c.Spec.Scaling = Scaling{MinReplicas: 0, MaxReplicas: 0}; c.Spec.Replicas = 0 },
			want:   []fieldErr{{"spec.scaling.maxReplicas", inv}},
		},
		{name: "replicas below minReplicas", change: func(c *CNFDeployment) { c.Spec.Replicas = 0 }, want: []fieldErr{{"spec.replicas", inv}}},
		{name: "replicas above maxReplicas", change: func(c *CNFDeployment) { c.Spec.Replicas = 11 }, want: []fieldErr{{"spec.replicas", inv}}},
		{name: "replicas at both bounds is fine", change: func(c *CNFDeployment) { c.Spec.Scaling = Scaling{MinReplicas: 2, MaxReplicas: 2} }},
		{
			name:   "request above its limit",
			change: func(c *CNFDeployment) { c.Spec.Resources.Requests["cpu"] = resource.MustParse("3") },
			want:   []fieldErr{{"spec.resources.requests.cpu", inv}},
		},
		{
			name: "negative request and limit",
			change: func(c *CNFDeployment) {
				c.Spec.Resources = &Resources{Requests: corev1.ResourceList{"memory": resource.MustParse("-1Gi")}, Limits: corev1.ResourceList{"cpu": resource.MustParse("-1")}}
			},
			want: []fieldErr{{"spec.resources.requests.memory", inv}, {"spec.resources.limits.cpu", inv}},
		},
		{
			name:   "duplicate interface names, same case",
			change: func(c *CNFDeployment) { c.Spec.Interfaces[1].Name = "n3" },
			want:   []fieldErr{{"spec.interfaces[1].name", dup}},
		},
		{
			name:   "duplicate interface names differ only in case (the upper-case one is also not a label)",
			change: func(c *CNFDeployment) { c.Spec.Interfaces[1].Name = "N3" },
			want:   []fieldErr{{"spec.interfaces[1].name", inv}, {"spec.interfaces[1].name", dup}},
		},
		{name: "interface without a name", change: func(c *CNFDeployment) { c.Spec.Interfaces[0].Name = "" }, want: []fieldErr{{"spec.interfaces[0].name", req}}},
		{name: "unknown cniType", change: func(c *CNFDeployment) { c.Spec.Interfaces[0].CNIType = "calico" }, want: []fieldErr{{"spec.interfaces[0].cniType", unsup}}},
		{
			name:   "macvlan (the default) needs a master",
			change: func(c *CNFDeployment) { c.Spec.Interfaces[0].Master = "" },
			want:   []fieldErr{{"spec.interfaces[0].master", req}},
		},
		{
			name: "ipvlan, bridge, host-device and sriov (its device plugin resource) need a master",
			change: func(c *CNFDeployment) {
				c.Spec.Interfaces = []Interface{{Name: "a", CNIType: "ipvlan"}, {Name: "b", CNIType: "bridge"}, {Name: "c", CNIType: "host-device"}, {Name: "d", CNIType: "sriov"}}
			},
			want: []fieldErr{{"spec.interfaces[0].master", req}, {"spec.interfaces[1].master", req}, {"spec.interfaces[2].master", req}, {"spec.interfaces[3].master", req}},
		},
		{name: "vlan above 4094", change: func(c *CNFDeployment) { c.Spec.Interfaces[0].VLAN = 4095 }, want: []fieldErr{{"spec.interfaces[0].vlan", inv}}},
		{name: "negative vlan", change: func(c *CNFDeployment) { c.Spec.Interfaces[0].VLAN = -1 }, want: []fieldErr{{"spec.interfaces[0].vlan", inv}}},
		{name: "cidr is not a prefix", change: func(c *CNFDeployment) { c.Spec.Interfaces[0].IPAM.CIDR = "10.10.3.0" }, want: []fieldErr{{"spec.interfaces[0].ipam.cidr", inv}}},
		{name: "gateway is not an address", change: func(c *CNFDeployment) { c.Spec.Interfaces[0].IPAM.Gateway = "gw" }, want: []fieldErr{{"spec.interfaces[0].ipam.gateway", inv}}},
		{name: "gateway outside its cidr", change: func(c *CNFDeployment) { c.Spec.Interfaces[0].IPAM.Gateway = "10.10.4.1" }, want: []fieldErr{{"spec.interfaces[0].ipam.gateway", inv}}},
		{
			name:   "IPv6 gateway inside its cidr",
			change: func(c *CNFDeployment) { c.Spec.Interfaces[0].IPAM = &IPAM{CIDR: "fd00:3::/64", Gateway: "fd00:3::1"} },
		},
		{
			name:   "IPv4 gateway for an IPv6 cidr",
			change: func(c *CNFDeployment) { c.Spec.Interfaces[0].IPAM = &IPAM{CIDR: "fd00:3::/64", Gateway: "10.0.0.1"} },
			want:   []fieldErr{{"spec.interfaces[0].ipam.gateway", inv}},
		},
		{name: "site is not a label value", change: func(c *CNFDeployment) { c.Spec.Placement.Sites = []string{"edge 1"} }, want: []fieldErr{{"spec.placement.sites[0]", inv}}},
		{name: "empty excluded node", change: func(c *CNFDeployment) { c.Spec.Placement.ExcludedNodes = []string{""} }, want: []fieldErr{{"spec.placement.excludedNodes[0]", req}}},
		{
			name:   "site also excluded",
			change: func(c *CNFDeployment) { c.Spec.Placement.Sites = []string{"edge-1", "edge-2"} },
			want:   []fieldErr{{"spec.placement.sites[1]", inv}},
		},
		{
			name: "nodeSelector key and value are checked",
			change: func(c *CNFDeployment) {
				c.Spec.Placement.NodeSelector = map[string]string{"bad key": "ok", "good": "bad value"}
			},
			want: []fieldErr{{"spec.placement.nodeSelector[bad key]", inv}, {"spec.placement.nodeSelector[good]", inv}},
		},
		{name: "mcc of two digits", change: func(c *CNFDeployment) { c.Spec.PLMN.MCC = "01" }, want: []fieldErr{{"spec.plmn.mcc", inv}}},
		{name: "mnc of one digit", change: func(c *CNFDeployment) { c.Spec.PLMN.MNC = "1" }, want: []fieldErr{{"spec.plmn.mnc", inv}}},
		{name: "mnc of three digits is fine", change: func(c *CNFDeployment) { c.Spec.PLMN.MNC = "001" }},
		{name: "sst above 255", change: func(c *CNFDeployment) { c.Spec.Slices[0].SST = 256 }, want: []fieldErr{{"spec.slices[0].sst", inv}}},
		{name: "sd is not hex", change: func(c *CNFDeployment) { c.Spec.Slices[0].SD = "00000g" }, want: []fieldErr{{"spec.slices[0].sd", inv}}},
		{name: "granularityPeriod without a unit", change: func(c *CNFDeployment) { c.Spec.KPM.GranularityPeriod = "1" }, want: []fieldErr{{"spec.kpm.granularityPeriod", inv}}},
		{name: "granularityPeriod of zero", change: func(c *CNFDeployment) { c.Spec.KPM.GranularityPeriod = "0s" }, want: []fieldErr{{"spec.kpm.granularityPeriod", inv}}},
		{name: "granularityPeriod in milliseconds", change: func(c *CNFDeployment) { c.Spec.KPM.GranularityPeriod = "500ms" }},
		{name: "negative restartGeneration", change: func(c *CNFDeployment) { c.Spec.RestartGeneration = -1 }, want: []fieldErr{{"spec.restartGeneration", inv}}},
		{
			name: "every problem is reported, not only the first",
			change: func(c *CNFDeployment) {
				c.Spec.Image = "upf:latest"
				c.Spec.Replicas = 20
				c.Spec.Interfaces[0].IPAM.Gateway = "192.168.0.1"
			},
			want: []fieldErr{{"spec.image", inv}, {"spec.replicas", inv}, {"spec.interfaces[0].ipam.gateway", inv}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := baseCNF()
			tt.change(c)
			errs := c.Validate()
			require.Equal(t, tt.want, errorsOf(errs))
			for _, e := range errs {
				require.Contains(t, e.Error(), e.Field, "every message names its field")
			}
		})
	}
}

func TestValidateImagePinning(t *testing.T) {
	tests := []struct {
		name   string
		image  string
		pinned bool
	}{
		{"a version tag", "img:1.2", true},
		{"a registry and a version tag", "registry.example.com/nephoran/upf:1.4.2", true},
		{"a registry port and a tag", "host:5000/img:1.2", true},
		{"a digest", "registry.example.com/upf@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true},
		{"the tag latest next to a digest: the digest pins it", "upf:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true},
		{"no tag", "img", false},
		{"a registry port is not a tag", "host:5000/img", false},
		{"the tag latest", "img:latest", false},
		{"the tag latest with a registry", "registry.example.com/upf:latest", false},
		{"an empty tag", "img:", false},
		{"missing", "", false},
		{"whitespace", "img:1.2 ", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := ValidateImage(field.NewPath("spec", "image"), tt.image)
			if tt.pinned {
				require.Empty(t, errs)
				return
			}
			require.Len(t, errs, 1)
			require.Equal(t, "spec.image", errs[0].Field)
			require.Contains(t, errs[0].Error(), "spec.image")
		})
	}
}

func TestCNFIntentValidate(t *testing.T) {
	inv, req, unsup, forb := field.ErrorTypeInvalid, field.ErrorTypeRequired, field.ErrorTypeNotSupported, field.ErrorTypeForbidden
	three, minus := int32(3), int32(-1)
	tests := []struct {
		name   string
		change func(in *CNFIntent)
		want   []fieldErr
	}{
		{name: "a scale_out without delta is valid", change: func(*CNFIntent) {}},
		{name: "scale_to with replicas", change: func(in *CNFIntent) { in.Spec.Action, in.Spec.Replicas = ActionScaleTo, &three }},
		{name: "migrate with avoid", change: func(in *CNFIntent) { in.Spec.Action, in.Spec.Avoid = ActionMigrate, &Avoid{Sites: []string{"edge-1"}} }},
		{name: "at with an offset", change: func(in *CNFIntent) { in.Spec.At = "2026-01-02T15:04:05+02:00" }},
		{name: "wrong kind", change: func(in *CNFIntent) { in.Kind = KindCNFDeployment }, want: []fieldErr{{"kind", inv}}},
		{name: "missing intent id", change: func(in *CNFIntent) { in.Name = "" }, want: []fieldErr{{"metadata.name", req}}},
		{name: "missing target", change: func(in *CNFIntent) { in.Spec.Target = "" }, want: []fieldErr{{"spec.target", req}}},
		{name: "missing action", change: func(in *CNFIntent) { in.Spec.Action = "" }, want: []fieldErr{{"spec.action", req}}},
		{name: "unknown action", change: func(in *CNFIntent) { in.Spec.Action = "scale_up" }, want: []fieldErr{{"spec.action", unsup}}},
		{name: "negative delta", change: func(in *CNFIntent) { in.Spec.Delta = -2 }, want: []fieldErr{{"spec.delta", inv}}},
		{name: "scale_to without replicas", change: func(in *CNFIntent) { in.Spec.Action = ActionScaleTo }, want: []fieldErr{{"spec.replicas", req}}},
		{name: "scale_to to a negative count", change: func(in *CNFIntent) { in.Spec.Action, in.Spec.Replicas = ActionScaleTo, &minus }, want: []fieldErr{{"spec.replicas", inv}}},
		{name: "replicas on scale_out", change: func(in *CNFIntent) { in.Spec.Replicas = &three }, want: []fieldErr{{"spec.replicas", forb}}},
		{name: "migrate without avoid", change: func(in *CNFIntent) { in.Spec.Action = ActionMigrate }, want: []fieldErr{{"spec.avoid", req}}},
		{name: "migrate with an empty avoid", change: func(in *CNFIntent) { in.Spec.Action, in.Spec.Avoid = ActionMigrate, &Avoid{} }, want: []fieldErr{{"spec.avoid", req}}},
		{name: "at is not RFC 3339", change: func(in *CNFIntent) { in.Spec.At = "2026-01-02 15:04" }, want: []fieldErr{{"spec.at", inv}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &CNFIntent{
				TypeMeta:   metav1.TypeMeta{APIVersion: APIVersion, Kind: KindCNFIntent},
				ObjectMeta: metav1.ObjectMeta{Name: "t1"},
				Spec:       CNFIntentSpec{Target: "upf", Action: ActionScaleOut, Reason: "load"},
			}
			tt.change(in)
			errs := in.Validate()
			require.Equal(t, tt.want, errorsOf(errs))
			for _, e := range errs {
				require.Contains(t, e.Error(), e.Field, "every message names its field")
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	t.Run("delta defaults to 1", func(t *testing.T) {
		require.Equal(t, int32(1), (&CNFIntentSpec{}).StepDelta())
		require.Equal(t, int32(3), (&CNFIntentSpec{Delta: 3}).StepDelta())
	})
	t.Run("ves sourceNames default to the object's name", func(t *testing.T) {
		c := baseCNF()
		require.Equal(t, []string{"upf-edge-1"}, c.VESSourceNames())
		c.Spec.VES = &VES{SourceNames: []string{"a", "b"}}
		require.Equal(t, []string{"a", "b"}, c.VESSourceNames())
	})
	t.Run("spec.namespace wins over metadata.namespace", func(t *testing.T) {
		c := baseCNF()
		c.Namespace = "meta"
		require.Equal(t, "meta", c.TargetNamespace())
		c.Spec.Namespace = "core"
		require.Equal(t, "core", c.TargetNamespace())
	})
}
