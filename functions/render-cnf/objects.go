package rendercnf

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	nephv1 "github.com/nephoran/nephoran/api/v1"
	"github.com/nephoran/nephoran/internal/krm"
	"github.com/nephoran/nephoran/internal/nfprofile"
)

// Annotations and labels render-cnf writes on pods.
const (
	NetworksAnnotation          = "k8s.v1.cni.cncf.io/networks"
	RestartGenerationAnnotation = nephv1.Group + "/restart-generation"
	ConfigHashAnnotation        = nephv1.Group + "/config-sha256"
	LabelName                   = "app.kubernetes.io/name"
	LabelInstance               = "app.kubernetes.io/instance"
	LabelVersion                = "app.kubernetes.io/version"
	LabelPartOf                 = "app.kubernetes.io/part-of"
	LabelHeadless               = nephv1.Group + "/headless"
	ResourceNameAnnotation      = "k8s.v1.cni.cncf.io/resourceName"
	configMountPath             = "/etc/nephoran"
	configKey                   = "config.json"
	nonRootID                   = 65532
)

// renderCNF builds every object of one CNF.
func renderCNF(c krm.CNF, p nfprofile.Profile) (fn.KubeObjects, error) {
	r := renderer{cnf: c.CNFDeployment, profile: p}
	config, err := r.configMap()
	if err != nil {
		return nil, err
	}
	typed := []any{
		r.serviceAccount(),
		config,
		r.service(c.Name, false),
		r.podDisruptionBudget(),
	}
	switch p.Workload {
	case nfprofile.StatefulSet:
		typed = append(typed, r.service(c.Name+"-headless", true), r.statefulSet(config))
	default:
		typed = append(typed, r.deployment(config))
	}
	var objs fn.KubeObjects
	for _, t := range typed {
		o, err := toKubeObject(t)
		if err != nil {
			return nil, err
		}
		objs = append(objs, o)
	}
	for _, in := range c.Spec.Interfaces {
		o, err := toKubeObject(r.networkAttachment(in))
		if err != nil {
			return nil, err
		}
		objs = append(objs, o)
	}
	sm, err := toKubeObject(r.serviceMonitor())
	if err != nil {
		return nil, err
	}
	return append(objs, sm), nil
}

type renderer struct {
	cnf     *nephv1.CNFDeployment
	profile nfprofile.Profile
}

func (r renderer) selector() map[string]string {
	return map[string]string{LabelName: string(r.cnf.Spec.NFType), LabelInstance: r.cnf.Name}
}

func (r renderer) labels() map[string]string {
	l := r.selector()
	l[LabelPartOf] = r.profile.PartOf
	if v := imageTag(r.cnf.Spec.Image); v != "" && len(validation.IsValidLabelValue(v)) == 0 {
		l[LabelVersion] = v
	}
	return l
}

func (r renderer) meta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:        name,
		Namespace:   r.cnf.TargetNamespace(),
		Labels:      r.labels(),
		Annotations: map[string]string{krm.GeneratedByAnnotation: FunctionName},
	}
}

func (r renderer) serviceAccount() *corev1.ServiceAccount {
	return &corev1.ServiceAccount{
		TypeMeta:                     metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
		ObjectMeta:                   r.meta(r.cnf.Name),
		AutomountServiceAccountToken: ptr(false),
	}
}

// nfConfig is what the NF reads from /etc/nephoran/config.json (indented
// JSON: fast to write, readable in a review, parsed by any NF).
type nfConfig struct {
	Name       string            `json:"name"`
	NFType     nephv1.NFType     `json:"nfType"`
	PLMN       *nephv1.PLMN      `json:"plmn,omitempty"`
	Slices     []nephv1.Slice    `json:"slices,omitempty"`
	Interfaces []interfaceConfig `json:"interfaces,omitempty"`
	KPM        *nephv1.KPM       `json:"kpm,omitempty"`
	VES        *nephv1.VES       `json:"ves,omitempty"`
}

type interfaceConfig struct {
	Name    string `json:"name"`
	Network string `json:"network"`
	CIDR    string `json:"cidr,omitempty"`
	Gateway string `json:"gateway,omitempty"`
}

func (r renderer) configMap() (*corev1.ConfigMap, error) {
	s := r.cnf.Spec
	cfg := nfConfig{Name: r.cnf.Name, NFType: s.NFType, PLMN: s.PLMN, Slices: s.Slices, KPM: s.KPM,
		VES: &nephv1.VES{SourceNames: r.cnf.VESSourceNames()}}
	for _, in := range s.Interfaces {
		ic := interfaceConfig{Name: strings.ToLower(in.Name), Network: r.nadName(in)}
		if in.IPAM != nil {
			ic.CIDR, ic.Gateway = in.IPAM.CIDR, in.IPAM.Gateway
		}
		cfg.Interfaces = append(cfg.Interfaces, ic)
	}
	data, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("render config of %s: %w", r.cnf.Name, err)
	}
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: r.meta(r.cnf.Name + "-config"),
		Data:       map[string]string{configKey: string(data) + "\n"},
	}, nil
}

func (r renderer) servicePorts() []corev1.ServicePort {
	var ports []corev1.ServicePort
	for _, p := range r.profile.Ports {
		ports = append(ports, corev1.ServicePort{Name: p.Name, Port: p.Port, Protocol: p.Protocol, TargetPort: intstr.FromString(p.Name)})
	}
	return ports
}

func (r renderer) service(name string, headless bool) *corev1.Service {
	svc := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: r.meta(name),
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: r.selector(),
			Ports:    r.servicePorts(),
		},
	}
	if headless {
		svc.Labels[LabelHeadless] = "true"
		svc.Spec.ClusterIP = corev1.ClusterIPNone
		svc.Spec.PublishNotReadyAddresses = true
	}
	return svc
}

func (r renderer) podDisruptionBudget() *policyv1.PodDisruptionBudget {
	one := intstr.FromInt32(1)
	return &policyv1.PodDisruptionBudget{
		TypeMeta:   metav1.TypeMeta{APIVersion: "policy/v1", Kind: "PodDisruptionBudget"},
		ObjectMeta: r.meta(r.cnf.Name),
		Spec: policyv1.PodDisruptionBudgetSpec{
			MaxUnavailable: &one,
			Selector:       &metav1.LabelSelector{MatchLabels: r.selector()},
		},
	}
}

func (r renderer) deployment(config *corev1.ConfigMap) *appsv1.Deployment {
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: r.meta(r.cnf.Name),
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr(r.cnf.Spec.Replicas),
			Selector: &metav1.LabelSelector{MatchLabels: r.selector()},
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType},
			Template: r.podTemplate(config),
		},
	}
}

func (r renderer) statefulSet(config *corev1.ConfigMap) *appsv1.StatefulSet {
	return &appsv1.StatefulSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "StatefulSet"},
		ObjectMeta: r.meta(r.cnf.Name),
		Spec: appsv1.StatefulSetSpec{
			Replicas:            ptr(r.cnf.Spec.Replicas),
			Selector:            &metav1.LabelSelector{MatchLabels: r.selector()},
			ServiceName:         r.cnf.Name + "-headless",
			PodManagementPolicy: appsv1.ParallelPodManagement,
			UpdateStrategy:      appsv1.StatefulSetUpdateStrategy{Type: appsv1.RollingUpdateStatefulSetStrategyType},
			Template:            r.podTemplate(config),
		},
	}
}

func (r renderer) podTemplate(config *corev1.ConfigMap) corev1.PodTemplateSpec {
	s := r.cnf.Spec
	annotations := map[string]string{ConfigHashAnnotation: hash(config.Data[configKey])}
	if s.RestartGeneration > 0 {
		annotations[RestartGenerationAnnotation] = strconv.FormatInt(s.RestartGeneration, 10)
	}
	if nets := r.networksAnnotation(); nets != "" {
		annotations[NetworksAnnotation] = nets
	}
	labels := r.labels()
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: annotations},
		Spec: corev1.PodSpec{
			ServiceAccountName:           r.cnf.Name,
			AutomountServiceAccountToken: ptr(false),
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot:   ptr(true),
				RunAsUser:      ptr(int64(nonRootID)),
				RunAsGroup:     ptr(int64(nonRootID)),
				FSGroup:        ptr(int64(nonRootID)),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			NodeSelector: r.nodeSelector(),
			Affinity:     r.affinity(),
			TopologySpreadConstraints: []corev1.TopologySpreadConstraint{{
				MaxSkew:           1,
				TopologyKey:       corev1.LabelHostname,
				WhenUnsatisfiable: corev1.ScheduleAnyway,
				LabelSelector:     &metav1.LabelSelector{MatchLabels: r.selector()},
			}},
			Containers: []corev1.Container{r.container()},
			Volumes: []corev1.Volume{
				{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
					LocalObjectReference: corev1.LocalObjectReference{Name: config.Name}}}},
				{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
			},
		},
	}
}

func (r renderer) container() corev1.Container {
	s := r.cnf.Spec
	var ports []corev1.ContainerPort
	for _, p := range r.profile.Ports {
		ports = append(ports, corev1.ContainerPort{Name: p.Name, ContainerPort: p.Port, Protocol: p.Protocol})
	}
	var res corev1.ResourceRequirements
	if s.Resources != nil {
		res.Requests, res.Limits = s.Resources.Requests, s.Resources.Limits
	}
	return corev1.Container{
		Name:            string(s.NFType),
		Image:           s.Image,
		ImagePullPolicy: corev1.PullIfNotPresent,
		Ports:           ports,
		Env: []corev1.EnvVar{
			{Name: "NF_CONFIG", Value: configMountPath + "/" + configKey},
			{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
			{Name: "POD_NAMESPACE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}},
		},
		Resources:      res,
		LivenessProbe:  r.probe(r.profile.LivenessPath, 10),
		ReadinessProbe: r.probe(r.profile.ReadinessPath, 5),
		SecurityContext: &corev1.SecurityContext{
			RunAsNonRoot:             ptr(true),
			AllowPrivilegeEscalation: ptr(false),
			ReadOnlyRootFilesystem:   ptr(true),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}, Add: r.profile.Capabilities},
		},
		VolumeMounts: []corev1.VolumeMount{
			{Name: "config", MountPath: configMountPath, ReadOnly: true},
			{Name: "tmp", MountPath: "/tmp"},
		},
	}
}

func (r renderer) probe(path string, period int32) *corev1.Probe {
	port := intstr.FromString(r.profile.MetricsPort)
	h := corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: port}}
	if path != "" {
		h = corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: path, Port: port}}
	}
	return &corev1.Probe{ProbeHandler: h, PeriodSeconds: period, FailureThreshold: 3}
}

func (r renderer) nodeSelector() map[string]string {
	if r.cnf.Spec.Placement == nil {
		return nil
	}
	return r.cnf.Spec.Placement.NodeSelector
}

// affinity turns sites into a required In on the zone label and exclusions
// into NotIn on zone and hostname; nil when nothing restricts placement.
func (r renderer) affinity() *corev1.Affinity {
	pl := r.cnf.Spec.Placement
	if pl == nil {
		return nil
	}
	var exprs []corev1.NodeSelectorRequirement
	if len(pl.Sites) > 0 {
		exprs = append(exprs, corev1.NodeSelectorRequirement{Key: corev1.LabelTopologyZone, Operator: corev1.NodeSelectorOpIn, Values: pl.Sites})
	}
	if len(pl.ExcludedSites) > 0 {
		exprs = append(exprs, corev1.NodeSelectorRequirement{Key: corev1.LabelTopologyZone, Operator: corev1.NodeSelectorOpNotIn, Values: pl.ExcludedSites})
	}
	if len(pl.ExcludedNodes) > 0 {
		exprs = append(exprs, corev1.NodeSelectorRequirement{Key: corev1.LabelHostname, Operator: corev1.NodeSelectorOpNotIn, Values: pl.ExcludedNodes})
	}
	if len(exprs) == 0 {
		return nil
	}
	return &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
			NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: exprs}},
		},
	}}
}

func (r renderer) nadName(in nephv1.Interface) string {
	return r.cnf.Name + "-" + strings.ToLower(in.Name)
}

// networksAnnotation is Multus' JSON form, naming each interface in the pod.
func (r renderer) networksAnnotation() string {
	type selection struct {
		Name      string `json:"name"`
		Interface string `json:"interface"`
	}
	var sel []selection
	for _, in := range r.cnf.Spec.Interfaces {
		sel = append(sel, selection{Name: r.nadName(in), Interface: strings.ToLower(in.Name)})
	}
	if len(sel) == 0 {
		return ""
	}
	b, _ := json.Marshal(sel) // plain strings cannot fail
	return string(b)
}

// cniConfig is the CNI network configuration of one interface. IPAM uses
// whereabouts, which hands out addresses cluster-wide from the CIDR.
type cniConfig struct {
	CNIVersion string         `json:"cniVersion"`
	Name       string         `json:"name"`
	Type       string         `json:"type"`
	Master     string         `json:"master,omitempty"`
	Mode       string         `json:"mode,omitempty"`
	Bridge     string         `json:"bridge,omitempty"`
	Device     string         `json:"device,omitempty"`
	VLAN       int            `json:"vlan,omitempty"`
	IPAM       map[string]any `json:"ipam"`
}

func (r renderer) networkAttachment(in nephv1.Interface) *unstructuredObject {
	cfg := cniConfig{CNIVersion: "0.3.1", Name: r.nadName(in), Type: in.EffectiveCNIType(), IPAM: map[string]any{}}
	master := in.Master
	switch cfg.Type {
	case "macvlan", "ipvlan":
		if in.VLAN > 0 {
			master = fmt.Sprintf("%s.%d", in.Master, in.VLAN)
		}
		cfg.Master, cfg.Mode = master, map[string]string{"macvlan": "bridge", "ipvlan": "l2"}[cfg.Type]
	case "bridge":
		cfg.Bridge, cfg.VLAN = master, in.VLAN
	case "host-device":
		cfg.Device = master
	case "sriov":
		cfg.VLAN = in.VLAN
	}
	if in.IPAM != nil && in.IPAM.CIDR != "" {
		cfg.IPAM = map[string]any{"type": "whereabouts", "range": in.IPAM.CIDR}
		if in.IPAM.Gateway != "" {
			cfg.IPAM["gateway"] = in.IPAM.Gateway
		}
	}
	b, _ := json.Marshal(cfg) // plain data cannot fail
	meta := r.meta(r.nadName(in))
	if cfg.Type == "sriov" {
		// The SR-IOV device plugin allocates a VF of this resource to the pod.
		meta.Annotations[ResourceNameAnnotation] = master
	}
	return &unstructuredObject{
		TypeMeta:   metav1.TypeMeta{APIVersion: "k8s.cni.cncf.io/v1", Kind: "NetworkAttachmentDefinition"},
		ObjectMeta: meta,
		Spec:       map[string]any{"config": string(b)},
	}
}

func (r renderer) serviceMonitor() *unstructuredObject {
	return &unstructuredObject{
		TypeMeta:   metav1.TypeMeta{APIVersion: "monitoring.coreos.com/v1", Kind: "ServiceMonitor"},
		ObjectMeta: r.meta(r.cnf.Name),
		Spec: map[string]any{
			// The headless Service of a StatefulSet exposes the same pods:
			// scrape them once, through the ClusterIP Service.
			"selector": map[string]any{
				"matchLabels":      r.selector(),
				"matchExpressions": []any{map[string]any{"key": LabelHeadless, "operator": "DoesNotExist"}},
			},
			"endpoints": []any{map[string]any{
				"port": r.profile.MetricsPort, "path": r.profile.MetricsPath, "interval": "30s",
			}},
		},
	}
}

// unstructuredObject carries kinds without a Go type in k8s.io/api
// (NetworkAttachmentDefinition, ServiceMonitor).
type unstructuredObject struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              map[string]any `json:"spec"`
}

// toKubeObject converts a typed object into an item, without the fields
// that typed Go structs cannot omit (creationTimestamp: null, status: {},
// resources: {}). It builds the YAML node directly: no text round trip.
func toKubeObject(v any) (*fn.KubeObject, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(v)
	if err != nil {
		return nil, err
	}
	delete(m, "status")
	prune(m)
	return fn.MoveToKubeObject(yaml.NewRNode(toNode(m))), nil
}

// toNode builds the YAML node of an unstructured value with sorted keys.
// (yaml.Node.Encode would print and re-parse the whole document.)
func toNode(v any) *yaml.Node {
	switch v := v.(type) {
	case map[string]any:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagString, Value: k}, toNode(v[k]))
		}
		return n
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: yaml.NodeTagSeq}
		for _, e := range v {
			n.Content = append(n.Content, toNode(e))
		}
		return n
	case string:
		n := &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagString, Value: v}
		if strings.Contains(v, "\n") {
			n.Style = yaml.LiteralStyle
		}
		return n
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagBool, Value: strconv.FormatBool(v)}
	case int64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagInt, Value: strconv.FormatInt(v, 10)}
	case float64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagFloat, Value: strconv.FormatFloat(v, 'g', -1, 64)}
	default:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagNull, Value: "null"}
	}
}

// prune drops null values and empty resources maps everywhere below m.
func prune(m map[string]any) {
	for k, v := range m {
		switch v := v.(type) {
		case nil:
			delete(m, k)
		case map[string]any:
			if k == "resources" && len(v) == 0 {
				delete(m, k)
				continue
			}
			prune(v)
		case []any:
			if len(v) == 0 {
				delete(m, k)
				continue
			}
			for _, e := range v {
				if em, ok := e.(map[string]any); ok {
					prune(em)
				}
			}
		}
	}
}

func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func imageTag(image string) string {
	if strings.Contains(image, "@") {
		return ""
	}
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		return image[i+1:]
	}
	return ""
}

func ptr[T any](v T) *T { return &v }
