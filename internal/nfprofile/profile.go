// Package nfprofile is the one table of what each network function kind needs
// from Kubernetes: its workload kind, ports, probes, secondary interfaces and
// Linux capabilities. render-cnf builds objects from it and validate-cnf checks
// packages against it, so both read the same facts.
package nfprofile

import (
	"strings"

	corev1 "k8s.io/api/core/v1"

	nephv1 "github.com/nephoran/nephoran/api/v1"
)

// Workload is the kind of controller that runs the NF's pods.
type Workload string

// Workload kinds.
const (
	// Deployment suits NFs whose replicas are interchangeable.
	Deployment Workload = "Deployment"
	// StatefulSet suits NFs whose peers address each instance by a stable
	// identity (an SCTP association to a named CU-CP, DU or AMF).
	StatefulSet Workload = "StatefulSet"
)

// Port is one container port, also exposed by the NF's Service.
type Port struct {
	Name     string
	Port     int32
	Protocol corev1.Protocol
}

// Profile is what one NF kind needs.
type Profile struct {
	Workload Workload
	// PartOf is the app.kubernetes.io/part-of label: the system the NF belongs to.
	PartOf string
	Ports  []Port
	// MetricsPort and MetricsPath are what the ServiceMonitor scrapes.
	MetricsPort, MetricsPath string
	// HealthPath, when set, is probed with HTTP GET on MetricsPort; otherwise
	// the probes open a TCP connection to MetricsPort.
	LivenessPath, ReadinessPath string
	// Interfaces are the secondary networks the NF is expected to have.
	Interfaces []string
	// Capabilities are the only Linux capabilities the NF may add.
	Capabilities []corev1.Capability
}

var (
	metrics = Port{Name: "metrics", Port: 9090, Protocol: corev1.ProtocolTCP}
	gtpu    = Port{Name: "gtpu", Port: 2152, Protocol: corev1.ProtocolUDP}
	pfcp    = Port{Name: "pfcp", Port: 8805, Protocol: corev1.ProtocolUDP}
	sbi     = Port{Name: "sbi", Port: 8080, Protocol: corev1.ProtocolTCP}
)

// profiles is the table. Ports follow the 3GPP/O-RAN defaults (F1AP 38472,
// E1AP 38462, NGAP 38412, PFCP 8805, GTP-U 2152) and the O-RAN SC xApp
// framework (HTTP 8080, RMR 4560/4561).
var profiles = map[nephv1.NFType]Profile{
	nephv1.NFTypeCUCP: {
		Workload: StatefulSet, PartOf: "ran",
		Ports:       []Port{{"f1ap", 38472, corev1.ProtocolSCTP}, {"e1ap", 38462, corev1.ProtocolSCTP}, metrics},
		MetricsPort: "metrics", MetricsPath: "/metrics",
		Interfaces: []string{"f1-c", "e1", "n2", "e2"},
	},
	nephv1.NFTypeCUUP: {
		Workload: Deployment, PartOf: "ran",
		Ports:       []Port{gtpu, metrics},
		MetricsPort: "metrics", MetricsPath: "/metrics",
		Interfaces: []string{"e1", "f1-u", "n3"},
	},
	nephv1.NFTypeDU: {
		Workload: StatefulSet, PartOf: "ran",
		Ports:       []Port{metrics},
		MetricsPort: "metrics", MetricsPath: "/metrics",
		Interfaces: []string{"f1-c", "f1-u", "e2"},
	},
	nephv1.NFTypeUPF: {
		Workload: Deployment, PartOf: "5g-core",
		Ports:       []Port{pfcp, gtpu, metrics},
		MetricsPort: "metrics", MetricsPath: "/metrics",
		Interfaces:   []string{"n3", "n4", "n6"},
		Capabilities: []corev1.Capability{"NET_ADMIN"},
	},
	nephv1.NFTypeAMF: {
		Workload: StatefulSet, PartOf: "5g-core",
		Ports:       []Port{{"ngap", 38412, corev1.ProtocolSCTP}, sbi, metrics},
		MetricsPort: "metrics", MetricsPath: "/metrics",
		Interfaces: []string{"n2"},
	},
	nephv1.NFTypeSMF: {
		Workload: Deployment, PartOf: "5g-core",
		Ports:       []Port{sbi, pfcp, metrics},
		MetricsPort: "metrics", MetricsPath: "/metrics",
		Interfaces: []string{"n4"},
	},
	nephv1.NFTypeNRF: {
		Workload: Deployment, PartOf: "5g-core",
		Ports:       []Port{sbi, metrics},
		MetricsPort: "metrics", MetricsPath: "/metrics",
	},
	nephv1.NFTypeXApp: {
		Workload: Deployment, PartOf: "near-rt-ric",
		Ports: []Port{{"http", 8080, corev1.ProtocolTCP}, {"rmr-data", 4560, corev1.ProtocolTCP},
			{"rmr-route", 4561, corev1.ProtocolTCP}},
		MetricsPort: "http", MetricsPath: "/ric/v1/metrics",
		LivenessPath: "/ric/v1/health/alive", ReadinessPath: "/ric/v1/health/ready",
	},
}

// For returns the profile of an NF kind.
func For(t nephv1.NFType) (Profile, bool) {
	p, ok := profiles[t]
	return p, ok
}

// MissingInterfaces returns the profile's interfaces the CNF does not
// declare, matching names case-insensitively.
func (p Profile) MissingInterfaces(have []nephv1.Interface) []string {
	var missing []string
	for _, want := range p.Interfaces {
		found := false
		for _, in := range have {
			if strings.EqualFold(in.Name, want) {
				found = true
				break
			}
		}
		if !found {
			missing = append(missing, want)
		}
	}
	return missing
}
