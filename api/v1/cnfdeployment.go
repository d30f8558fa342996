package v1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// NFType names the kind of network function a CNFDeployment runs.
//
// +kubebuilder:validation:Enum=cu-cp;cu-up;du;upf;amf;smf;nrf;near-rt-ric-xapp
type NFType string

// The network function kinds render-cnf has a profile for.
const (
	NFTypeCUCP NFType = "cu-cp"
	NFTypeCUUP NFType = "cu-up"
	NFTypeDU   NFType = "du"
	NFTypeUPF  NFType = "upf"
	NFTypeAMF  NFType = "amf"
	NFTypeSMF  NFType = "smf"
	NFTypeNRF  NFType = "nrf"
	NFTypeXApp NFType = "near-rt-ric-xapp"
)

// NFTypes lists every known NFType in a stable order.
var NFTypes = []NFType{NFTypeCUCP, NFTypeCUUP, NFTypeDU, NFTypeUPF, NFTypeAMF, NFTypeSMF, NFTypeNRF, NFTypeXApp}

// CNFDeployment describes one cloud-native network function. It is
// local-config in its kpt package: render-cnf turns it into the objects a
// cluster runs, and apply-intent is the only function that changes it.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Namespaced,shortName=cnf,categories=nephoran
// +kubebuilder:printcolumn:name="NF Type",type=string,JSONPath=`.spec.nfType`
// +kubebuilder:printcolumn:name="Replicas",type=integer,JSONPath=`.spec.replicas`
// +kubebuilder:printcolumn:name="Min",type=integer,JSONPath=`.spec.scaling.minReplicas`
// +kubebuilder:printcolumn:name="Max",type=integer,JSONPath=`.spec.scaling.maxReplicas`
// +kubebuilder:printcolumn:name="Image",type=string,JSONPath=`.spec.image`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type CNFDeployment struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec CNFDeploymentSpec `json:"spec"`
}

// CNFDeploymentSpec is the desired state of one CNF.
//
// +kubebuilder:validation:XValidation:rule="self.replicas >= self.scaling.minReplicas && self.replicas <= self.scaling.maxReplicas",message="replicas must be within scaling.minReplicas and scaling.maxReplicas",fieldPath=".replicas"
type CNFDeploymentSpec struct {
	// NFType selects the NF profile (ports, probes, interfaces, security context).
	NFType NFType `json:"nfType"`
	// Namespace of the rendered objects; defaults to metadata.namespace.
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// Image is the container image, pinned by a tag other than latest or by a digest.
	// +kubebuilder:validation:MinLength=1
	Image string `json:"image"`
	// Replicas is the desired number of pods, within Scaling.
	// +kubebuilder:validation:Minimum=0
	Replicas int32 `json:"replicas"`
	// Scaling holds the guardrails every scaling intent is clamped to.
	Scaling Scaling `json:"scaling"`
	// Resources are the container's requests and limits.
	Resources *Resources `json:"resources,omitempty"`
	// Interfaces are the secondary (Multus) networks of the pod.
	// +listType=map
	// +listMapKey=name
	// +optional
	Interfaces []Interface `json:"interfaces,omitempty"`
	// Placement restricts where the pods may run.
	Placement *Placement `json:"placement,omitempty"`
	// PLMN is the public land mobile network the NF serves.
	PLMN *PLMN `json:"plmn,omitempty"`
	// Slices are the S-NSSAIs the NF serves.
	Slices []Slice `json:"slices,omitempty"`
	// KPM says how the NF is measured over E2 (E2SM-KPM).
	KPM *KPM `json:"kpm,omitempty"`
	// VES says which VES sourceNames belong to this NF.
	VES *VES `json:"ves,omitempty"`
	// RestartGeneration rolls the pods whenever it changes.
	// +kubebuilder:validation:Minimum=0
	// +optional
	RestartGeneration int64 `json:"restartGeneration,omitempty"`
}

// Scaling bounds the replica count.
//
// +kubebuilder:validation:XValidation:rule="self.minReplicas <= self.maxReplicas",message="minReplicas must not exceed maxReplicas",fieldPath=".minReplicas"
type Scaling struct {
	// +kubebuilder:validation:Minimum=0
	MinReplicas int32 `json:"minReplicas"`
	// +kubebuilder:validation:Minimum=1
	MaxReplicas int32 `json:"maxReplicas"`
}

// Resources are Kubernetes quantities keyed by resource name (cpu, memory, ...).
type Resources struct {
	Requests corev1.ResourceList `json:"requests,omitempty"`
	Limits   corev1.ResourceList `json:"limits,omitempty"`
}

// Interface is one secondary network attachment of the pod.
type Interface struct {
	// Name is a lower-case DNS-1123 label such as n3 or f1-c; it names the
	// interface inside the pod and the NetworkAttachmentDefinition <cnf>-<name>.
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`
	// CNIType is the CNI plugin: macvlan (default), ipvlan, sriov, bridge or host-device.
	// +kubebuilder:validation:Enum=macvlan;ipvlan;sriov;bridge;host-device
	// +optional
	CNIType string `json:"cniType,omitempty"`
	// Master is the host interface (macvlan, ipvlan), the bridge, the device
	// (host-device), or for sriov the SR-IOV device plugin resource name
	// (intel.com/sriov_netdevice), which the attachment requests.
	Master string `json:"master,omitempty"`
	// VLAN tags the attachment; with macvlan or ipvlan it selects <master>.<vlan>.
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=4094
	// +optional
	VLAN int `json:"vlan,omitempty"`
	// IPAM assigns addresses from a CIDR.
	IPAM *IPAM `json:"ipam,omitempty"`
}

// IPAM is the address range of one interface.
type IPAM struct {
	CIDR    string `json:"cidr,omitempty"`
	Gateway string `json:"gateway,omitempty"`
}

// Placement restricts scheduling to sites (zones) and away from sites and nodes.
type Placement struct {
	// Sites become a required node affinity In on topology.kubernetes.io/zone.
	Sites []string `json:"sites,omitempty"`
	// NodeSelector is copied to the pod.
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`
	// ExcludedSites become NotIn on topology.kubernetes.io/zone.
	ExcludedSites []string `json:"excludedSites,omitempty"`
	// ExcludedNodes become NotIn on kubernetes.io/hostname.
	ExcludedNodes []string `json:"excludedNodes,omitempty"`
}

// PLMN identifies a public land mobile network. Both codes are strings so
// leading zeros survive ("001").
type PLMN struct {
	// +kubebuilder:validation:Pattern=`^[0-9]{3}$`
	MCC string `json:"mcc"`
	// +kubebuilder:validation:Pattern=`^[0-9]{2,3}$`
	MNC string `json:"mnc"`
}

// Slice is one S-NSSAI: slice/service type and optional slice differentiator (hex).
type Slice struct {
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=255
	SST int `json:"sst"`
	// +kubebuilder:validation:Pattern=`^[0-9A-Fa-f]{6}$`
	// +optional
	SD string `json:"sd,omitempty"`
}

// KPM says how the NF is measured: the E2 node id, its cells and the
// granularity period (a Go duration string such as 1s).
type KPM struct {
	NodeID  string   `json:"nodeId,omitempty"`
	CellIDs []string `json:"cellIds,omitempty"`
	// +kubebuilder:validation:Pattern=`^([0-9]+(\.[0-9]*)?(ns|us|µs|ms|s|m|h))+$`
	// +optional
	GranularityPeriod string `json:"granularityPeriod,omitempty"`
}

// VES lists the VES commonEventHeader.sourceName values that belong to the NF.
type VES struct {
	SourceNames []string `json:"sourceNames,omitempty"`
}

// TargetNamespace returns the namespace the rendered objects go to.
func (c *CNFDeployment) TargetNamespace() string {
	if c.Spec.Namespace != "" {
		return c.Spec.Namespace
	}
	return c.Namespace
}

// VESSourceNames returns spec.ves.sourceNames, or the object's name when unset.
func (c *CNFDeployment) VESSourceNames() []string {
	if c.Spec.VES != nil && len(c.Spec.VES.SourceNames) > 0 {
		return c.Spec.VES.SourceNames
	}
	return []string{c.Name}
}
