package v1

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// CNITypes are the CNI plugins an Interface may use.
var CNITypes = []string{"macvlan", "ipvlan", "sriov", "bridge", "host-device"}

var (
	mccPattern = regexp.MustCompile(`^[0-9]{3}$`)
	mncPattern = regexp.MustCompile(`^[0-9]{2,3}$`)
	sdPattern  = regexp.MustCompile(`^[0-9A-Fa-f]{6}$`)
)

// Validate checks a decoded CNFDeployment. Every error's path is the leaf
// field (spec.scaling.minReplicas) and its detail names what to write instead.
func (c *CNFDeployment) Validate() field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, validateTypeMeta(c.APIVersion, c.Kind, KindCNFDeployment)...)
	errs = append(errs, validateDNSLabel(field.NewPath("metadata", "name"), c.Name, true)...)
	spec := field.NewPath("spec")
	s := &c.Spec

	switch {
	case s.NFType == "":
		errs = append(errs, field.Required(spec.Child("nfType"), "one of "+joinQuoted(NFTypes)))
	case !slices.Contains(NFTypes, s.NFType):
		errs = append(errs, field.NotSupported(spec.Child("nfType"), s.NFType, NFTypes))
	}
	if s.Namespace != "" {
		errs = append(errs, validateDNSLabel(spec.Child("namespace"), s.Namespace, false)...)
	}
	errs = append(errs, ValidateImage(spec.Child("image"), s.Image)...)

	sc := spec.Child("scaling")
	if s.Scaling.MinReplicas < 0 {
		errs = append(errs, field.Invalid(sc.Child("minReplicas"), s.Scaling.MinReplicas, "must be >= 0"))
	}
	if s.Scaling.MaxReplicas < 1 {
		errs = append(errs, field.Invalid(sc.Child("maxReplicas"), s.Scaling.MaxReplicas, "must be >= 1"))
	}
	if s.Scaling.MinReplicas > s.Scaling.MaxReplicas {
		errs = append(errs, field.Invalid(sc.Child("minReplicas"), s.Scaling.MinReplicas,
			fmt.Sprintf("minReplicas must be <= maxReplicas (%d)", s.Scaling.MaxReplicas)))
	} else if s.Replicas < s.Scaling.MinReplicas || s.Replicas > s.Scaling.MaxReplicas {
		errs = append(errs, field.Invalid(spec.Child("replicas"), s.Replicas,
			fmt.Sprintf("replicas must be within scaling [%d,%d]", s.Scaling.MinReplicas, s.Scaling.MaxReplicas)))
	}

	errs = append(errs, s.Resources.validate(spec.Child("resources"))...)
	errs = append(errs, validateInterfaces(spec.Child("interfaces"), s.Interfaces)...)
	errs = append(errs, s.Placement.validate(spec.Child("placement"))...)
	if p := s.PLMN; p != nil {
		if !mccPattern.MatchString(p.MCC) {
			errs = append(errs, field.Invalid(spec.Child("plmn", "mcc"), p.MCC, `mcc must be 3 digits, quoted ("001")`))
		}
		if !mncPattern.MatchString(p.MNC) {
			errs = append(errs, field.Invalid(spec.Child("plmn", "mnc"), p.MNC, `mnc must be 2 or 3 digits, quoted ("01")`))
		}
	}
	for i, sl := range s.Slices {
		p := spec.Child("slices").Index(i)
		if sl.SST < 0 || sl.SST > 255 {
			errs = append(errs, field.Invalid(p.Child("sst"), sl.SST, "sst must be 0..255"))
		}
		if sl.SD != "" && !sdPattern.MatchString(sl.SD) {
			errs = append(errs, field.Invalid(p.Child("sd"), sl.SD, `sd must be 6 hex digits, quoted ("000001")`))
		}
	}
	if k := s.KPM; k != nil && k.GranularityPeriod != "" {
		if d, err := time.ParseDuration(k.GranularityPeriod); err != nil || d <= 0 {
			errs = append(errs, field.Invalid(spec.Child("kpm", "granularityPeriod"), k.GranularityPeriod,
				"granularityPeriod must be a positive Go duration such as 1s or 500ms"))
		}
	}
	if s.RestartGeneration < 0 {
		errs = append(errs, field.Invalid(spec.Child("restartGeneration"), s.RestartGeneration, "must be >= 0"))
	}
	return errs
}

// ValidateImage reports an image that is missing or not pinned: it needs a
// tag other than latest, or a digest.
func ValidateImage(p *field.Path, image string) field.ErrorList {
	if image == "" {
		return field.ErrorList{field.Required(p, "image is required (for example registry.example.com/upf:1.2.3)")}
	}
	if strings.ContainsAny(image, " \t\n") {
		return field.ErrorList{field.Invalid(p, image, "image must not contain whitespace")}
	}
	if strings.Contains(image, "@") {
		return nil
	}
	tag := ""
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		tag = image[i+1:]
	}
	switch tag {
	case "":
		return field.ErrorList{field.Invalid(p, image, "image has no tag: pin it with a tag other than latest or a digest")}
	case "latest":
		return field.ErrorList{field.Invalid(p, image, "image uses the tag latest: pin it with another tag or a digest")}
	}
	return nil
}

func (r *Resources) validate(p *field.Path) field.ErrorList {
	if r == nil {
		return nil
	}
	var errs field.ErrorList
	for _, name := range sortedKeys(r.Requests) {
		req := r.Requests[name]
		if req.Sign() < 0 {
			errs = append(errs, field.Invalid(p.Child("requests", string(name)), req.String(), "must not be negative"))
		}
		if lim, ok := r.Limits[name]; ok && req.Cmp(lim) > 0 {
			errs = append(errs, field.Invalid(p.Child("requests", string(name)), req.String(),
				fmt.Sprintf("request must be <= limit %s", lim.String())))
		}
	}
	for _, name := range sortedKeys(r.Limits) {
		if lim := r.Limits[name]; lim.Sign() < 0 {
			errs = append(errs, field.Invalid(p.Child("limits", string(name)), lim.String(), "must not be negative"))
		}
	}
	return errs
}

func validateInterfaces(p *field.Path, ifs []Interface) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	for i, in := range ifs {
		ip := p.Index(i)
		errs = append(errs, validateDNSLabel(ip.Child("name"), in.Name, true)...)
		key := strings.ToLower(in.Name)
		if seen[key] {
			errs = append(errs, field.Duplicate(ip.Child("name"), in.Name))
		}
		seen[key] = true
		cni := in.EffectiveCNIType()
		if !slices.Contains(CNITypes, cni) {
			errs = append(errs, field.NotSupported(ip.Child("cniType"), in.CNIType, CNITypes))
		} else if in.Master == "" && cni == "sriov" {
			errs = append(errs, field.Required(ip.Child("master"), "master is required for cniType sriov: the SR-IOV device plugin resource name, such as intel.com/sriov_netdevice"))
		} else if in.Master == "" {
			errs = append(errs, field.Required(ip.Child("master"), fmt.Sprintf("master (the host interface) is required for cniType %s", cni)))
		}
		if in.VLAN < 0 || in.VLAN > 4094 {
			errs = append(errs, field.Invalid(ip.Child("vlan"), in.VLAN, "vlan must be 1..4094"))
		}
		if in.IPAM == nil {
			continue
		}
		var prefix netip.Prefix
		if in.IPAM.CIDR != "" {
			var err error
			if prefix, err = netip.ParsePrefix(in.IPAM.CIDR); err != nil {
				errs = append(errs, field.Invalid(ip.Child("ipam", "cidr"), in.IPAM.CIDR, "cidr must be an IP prefix such as 10.0.3.0/24"))
			}
		}
		if in.IPAM.Gateway == "" {
			continue
		}
		gw, err := netip.ParseAddr(in.IPAM.Gateway)
		switch {
		case err != nil:
			errs = append(errs, field.Invalid(ip.Child("ipam", "gateway"), in.IPAM.Gateway, "gateway must be an IP address"))
		case prefix.IsValid() && !prefix.Contains(gw):
			errs = append(errs, field.Invalid(ip.Child("ipam", "gateway"), in.IPAM.Gateway,
				fmt.Sprintf("gateway is outside the cidr %s", in.IPAM.CIDR)))
		}
	}
	return errs
}

// EffectiveCNIType returns the CNI type, macvlan when unset.
func (in *Interface) EffectiveCNIType() string {
	if in.CNIType == "" {
		return "macvlan"
	}
	return in.CNIType
}

func (pl *Placement) validate(p *field.Path) field.ErrorList {
	if pl == nil {
		return nil
	}
	var errs field.ErrorList
	errs = append(errs, validateNames(p.Child("sites"), pl.Sites)...)
	errs = append(errs, validateNames(p.Child("excludedSites"), pl.ExcludedSites)...)
	errs = append(errs, validateNames(p.Child("excludedNodes"), pl.ExcludedNodes)...)
	excluded := sets.New(pl.ExcludedSites...)
	for i, s := range pl.Sites {
		if excluded.Has(s) {
			errs = append(errs, field.Invalid(p.Child("sites").Index(i), s, "site is also in excludedSites: no pod could be placed there"))
		}
	}
	for _, k := range sortedKeys(pl.NodeSelector) {
		for _, msg := range validation.IsQualifiedName(k) {
			errs = append(errs, field.Invalid(p.Child("nodeSelector").Key(k), k, msg))
		}
		for _, msg := range validation.IsValidLabelValue(pl.NodeSelector[k]) {
			errs = append(errs, field.Invalid(p.Child("nodeSelector").Key(k), pl.NodeSelector[k], msg))
		}
	}
	return errs
}

func validateNames(p *field.Path, names []string) field.ErrorList {
	var errs field.ErrorList
	for i, n := range names {
		for _, msg := range validation.IsValidLabelValue(n) {
			errs = append(errs, field.Invalid(p.Index(i), n, msg))
		}
		if n == "" {
			errs = append(errs, field.Required(p.Index(i), "must not be empty"))
		}
	}
	return errs
}

// Validate checks a decoded CNFIntent.
func (in *CNFIntent) Validate() field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, validateTypeMeta(in.APIVersion, in.Kind, KindCNFIntent)...)
	if in.Name == "" {
		errs = append(errs, field.Required(field.NewPath("metadata", "name"), "the intent id is required"))
	}
	spec := field.NewPath("spec")
	s := &in.Spec
	if s.Target == "" {
		errs = append(errs, field.Required(spec.Child("target"), "the name of the CNFDeployment to change"))
	}
	switch {
	case s.Action == "":
		errs = append(errs, field.Required(spec.Child("action"), "one of "+joinQuoted(Actions)))
	case !slices.Contains(Actions, s.Action):
		errs = append(errs, field.NotSupported(spec.Child("action"), s.Action, Actions))
	}
	if s.Delta < 0 {
		errs = append(errs, field.Invalid(spec.Child("delta"), s.Delta, "delta must be >= 1 (the direction comes from the action)"))
	}
	if s.Action == ActionScaleTo {
		if s.Replicas == nil {
			errs = append(errs, field.Required(spec.Child("replicas"), "scale_to needs replicas"))
		} else if *s.Replicas < 0 {
			errs = append(errs, field.Invalid(spec.Child("replicas"), *s.Replicas, "must be >= 0"))
		}
	} else if s.Replicas != nil && s.Action != "" {
		errs = append(errs, field.Forbidden(spec.Child("replicas"), fmt.Sprintf("replicas is only for scale_to, not %s", s.Action)))
	}
	if s.Action == ActionMigrate && (s.Avoid == nil || len(s.Avoid.Nodes)+len(s.Avoid.Sites) == 0) {
		errs = append(errs, field.Required(spec.Child("avoid"), "migrate needs avoid.nodes or avoid.sites"))
	}
	if s.At != "" {
		if _, err := time.Parse(time.RFC3339, s.At); err != nil {
			errs = append(errs, field.Invalid(spec.Child("at"), s.At, "at must be an RFC 3339 time such as 2026-01-02T15:04:05Z"))
		}
	}
	return errs
}

func validateTypeMeta(apiVersion, kind, wantKind string) field.ErrorList {
	var errs field.ErrorList
	if apiVersion != APIVersion {
		errs = append(errs, field.Invalid(field.NewPath("apiVersion"), apiVersion, "must be "+APIVersion))
	}
	if kind != wantKind {
		errs = append(errs, field.Invalid(field.NewPath("kind"), kind, "must be "+wantKind))
	}
	return errs
}

func validateDNSLabel(p *field.Path, v string, required bool) field.ErrorList {
	if v == "" {
		if required {
			return field.ErrorList{field.Required(p, "a lower-case DNS-1123 label such as upf-edge-1")}
		}
		return nil
	}
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Label(v) {
		errs = append(errs, field.Invalid(p, v, msg))
	}
	return errs
}

func joinQuoted[T ~string](vs []T) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}

func sortedKeys[K ~string, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys
}
