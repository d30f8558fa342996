package blueprints_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	validatecnf "github.com/nephoran/nephoran/functions/validate-cnf"
	"github.com/nephoran/nephoran/internal/testenv"
	"github.com/nephoran/nephoran/pipeline"
	"github.com/nephoran/nephoran/watcher"
)

// watcherPkg is the watcher's own deployment package: plain YAML, no
// cnf.yaml, so blueprints() leaves it out of the NF tests.
const watcherPkg = "nephoran-watcher"

// watcherObjects builds the package with kustomize and indexes the objects
// by kind (each kind appears once).
func watcherObjects(t *testing.T) map[string]*unstructured.Unstructured {
	t.Helper()
	byKind := map[string]*unstructured.Unstructured{}
	for _, o := range testenv.KustomizeBuild(t, watcherPkg) {
		require.NotContains(t, byKind, o.GetKind(), "two objects of kind %s", o.GetKind())
		byKind[o.GetKind()] = o
	}
	return byKind
}

// typed converts a built object to its k8s.io/api type.
func typed[T any](t *testing.T, o *unstructured.Unstructured) *T {
	t.Helper()
	require.NotNil(t, o)
	v := new(T)
	require.NoError(t, runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(o.Object, v, true))
	return v
}

func watcherDeployment(t *testing.T, objs map[string]*unstructured.Unstructured) (*appsv1.Deployment, corev1.Container) {
	t.Helper()
	d := typed[appsv1.Deployment](t, objs["Deployment"])
	require.Len(t, d.Spec.Template.Spec.Containers, 1)
	return d, d.Spec.Template.Spec.Containers[0]
}

func TestWatcherPackageBuildsTheExpectedKinds(t *testing.T) {
	objs := watcherObjects(t)
	kinds := make([]string, 0, len(objs))
	for k, o := range objs {
		kinds = append(kinds, k)
		require.Equal(t, "nephoran-system", o.GetNamespace(), "%s %s", k, o.GetName())
		require.Equal(t, "nephoran-watcher", o.GetLabels()["app.kubernetes.io/name"], "%s %s", k, o.GetName())
	}
	// No Namespace (created beforehand), no RBAC (the watcher needs no API
	// access yet), no PodDisruptionBudget (one replica), no local-config.
	require.ElementsMatch(t, []string{
		"ServiceAccount", "ConfigMap", "PersistentVolumeClaim", "Deployment", "Service", "NetworkPolicy", "ServiceMonitor",
	}, kinds)
}

// TestWatcherPackagePassesServerSideDryRun applies the package with
// server-side dry-run to a real kube-apiserver carrying the upstream CRDs.
func TestWatcherPackagePassesServerSideDryRun(t *testing.T) {
	cfg := testenv.StartKubeAPIServer(t)
	testenv.InstallCRDs(t, cfg, testenv.UpstreamCRDs(t)...)
	require.NoError(t, testenv.ServerDryRun(context.Background(), cfg, testenv.KustomizeBuild(t, watcherPkg)))
}

// validateWatcherPackage runs what `nephoran validate DIR` runs.
func validateWatcherPackage(t *testing.T, dir string) (*pipeline.Package, pipeline.Step, error) {
	t.Helper()
	pkg, err := pipeline.Load(dir)
	require.NoError(t, err)
	step, err := pkg.Run(pipeline.Image("validate-cnf"), fn.ResourceListProcessorFunc(validatecnf.Process), nil, false)
	return pkg, step, err
}

// TestWatcherPackageMeetsTheSecurityBaseline is `nephoran validate
// blueprints/nephoran-watcher`: strict decoding, non-root, read-only root
// filesystem, no privilege escalation, all capabilities dropped, a pinned
// image. A copy with one weakened setting fails, so the check has teeth.
func TestWatcherPackageMeetsTheSecurityBaseline(t *testing.T) {
	pkg, step, err := validateWatcherPackage(t, watcherPkg)
	require.NoError(t, err, "results: %v", step.Results)
	require.Empty(t, step.Results)
	var files []string
	for _, o := range pkg.Items {
		files = append(files, o.GetAnnotation("config.kubernetes.io/path"))
	}
	require.Contains(t, files, "deployment.yaml", "the validator saw the Deployment")
	for _, f := range files {
		require.False(t, strings.HasPrefix(f, "monitoring/"), "%s is not KRM: .krmignore keeps it out of the package", f)
	}

	t.Run("allowPrivilegeEscalation true is refused", func(t *testing.T) {
		dir := testenv.CopyDir(t, watcherPkg)
		f := filepath.Join(dir, "deployment.yaml")
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		broken := strings.Replace(string(b), "allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true", 1)
		require.NotEqual(t, string(b), broken)
		require.NoError(t, os.WriteFile(f, []byte(broken), 0o644))
		_, step, err := validateWatcherPackage(t, dir)
		require.ErrorIs(t, err, pipeline.ErrFailed)
		require.Contains(t, step.Results.String(), "allowPrivilegeEscalation")
	})
}

// TestWatcherPackageKptRender runs the package's Kptfile pipeline with the
// real kpt CLI (validate-cnf as a binary): it passes and changes no file.
func TestWatcherPackageKptRender(t *testing.T) {
	kpt := testenv.Tool(t, "kpt")
	bin := filepath.Dir(testenv.Tool(t, "validate-cnf"))
	committed := testenv.Files(t, watcherPkg)
	dir := testenv.CopyDir(t, watcherPkg)
	kf := filepath.Join(dir, pipeline.KptfileName)
	b, err := os.ReadFile(kf)
	require.NoError(t, err)
	require.NotContains(t, string(b), "render-cnf", "the watcher is not a CNF: no render-cnf")
	execKptfile := imageLine.ReplaceAllString(string(b), "${1}exec: "+bin+"/$2")
	require.NotEqual(t, string(b), execKptfile, "the Kptfile pipeline names no ghcr.io/nephoran image")
	require.NoError(t, os.WriteFile(kf, []byte(execKptfile), 0o644))

	out, err := exec.Command(kpt, "fn", "render", "--allow-exec", dir).CombinedOutput()
	require.NoError(t, err, "kpt fn render: %s", out)
	got := testenv.Files(t, dir)
	delete(got, pipeline.KptfileName)
	delete(committed, pipeline.KptfileName)
	require.Equal(t, committed, got, "kpt fn render changed the package")
}

// TestWatcherPackageRendersUnchanged: `make render` and `make demo` run
// nephoran render on every directory with a Kptfile, this one included.
func TestWatcherPackageRendersUnchanged(t *testing.T) {
	committed := testenv.Files(t, watcherPkg)
	dir := testenv.CopyDir(t, watcherPkg)
	nephoranRender(t, dir)
	require.Equal(t, committed, testenv.Files(t, dir))
}

// TestWatcherConfigMapLoads loads the ConfigMap's watch.yaml with the
// watcher's own strict loader, at the path the Deployment passes to --config.
func TestWatcherConfigMapLoads(t *testing.T) {
	objs := watcherObjects(t)
	cm := typed[corev1.ConfigMap](t, objs["ConfigMap"])
	require.Contains(t, cm.Data, "watch.yaml")
	f := filepath.Join(t.TempDir(), "watch.yaml")
	require.NoError(t, os.WriteFile(f, []byte(cm.Data["watch.yaml"]), 0o644))
	c, err := watcher.LoadConfig(f)
	require.NoError(t, err)
	require.Empty(t, c.Listen+c.Data+c.Packages, "the Deployment's flags set listen, data and packages")
	require.Empty(t, c.Webhook.SecretFile+c.Webhook.SecretEnv, "the webhook is off until the operator creates the Secret")

	d, ctr := watcherDeployment(t, objs)
	config := flagValue(t, ctr.Args, "--config")
	mount := mountFor(t, ctr, config)
	vol := volume(t, d, mount.Name)
	require.NotNil(t, vol.ConfigMap, "--config %s is not on a ConfigMap volume", config)
	require.Equal(t, cm.Name, vol.ConfigMap.Name)
	require.Equal(t, filepath.Join(mount.MountPath, "watch.yaml"), config)
}

var helpFlag = regexp.MustCompile(`(?m)^\s+(?:-\w, )?(--[a-z][a-z-]*)\b`)

// TestWatcherArgsAreKnownFlags checks each --flag of the container against
// `nephoran watch --help`.
func TestWatcherArgsAreKnownFlags(t *testing.T) {
	out, err := exec.Command(testenv.Tool(t, "nephoran"), "watch", "--help").CombinedOutput()
	require.NoError(t, err, "%s", out)
	var known []string
	for _, m := range helpFlag.FindAllStringSubmatch(string(out), -1) {
		known = append(known, m[1])
	}
	require.Contains(t, known, "--listen", "parsed the help: %s", out)

	_, ctr := watcherDeployment(t, watcherObjects(t))
	require.Equal(t, "watch", ctr.Args[0])
	for _, a := range ctr.Args[1:] {
		if strings.HasPrefix(a, "-") {
			require.Contains(t, known, strings.SplitN(a, "=", 2)[0], "nephoran watch has no flag %s", a)
		}
	}
}

// TestWatcherPackageWiring checks what ties the objects together and the
// decisions README.md explains.
func TestWatcherPackageWiring(t *testing.T) {
	objs := watcherObjects(t)
	d, ctr := watcherDeployment(t, objs)
	pod := d.Spec.Template.Spec
	podLabels := labels.Set(d.Spec.Template.Labels)

	t.Run("one replica, Recreate: SQLite has one writer", func(t *testing.T) {
		require.NotNil(t, d.Spec.Replicas)
		require.EqualValues(t, 1, *d.Spec.Replicas)
		require.Equal(t, appsv1.RecreateDeploymentStrategyType, d.Spec.Strategy.Type)
	})
	t.Run("no Kubernetes API access", func(t *testing.T) {
		sa := typed[corev1.ServiceAccount](t, objs["ServiceAccount"])
		require.Equal(t, sa.Name, pod.ServiceAccountName)
		require.NotNil(t, sa.AutomountServiceAccountToken)
		require.False(t, *sa.AutomountServiceAccountToken)
		require.NotNil(t, pod.AutomountServiceAccountToken)
		require.False(t, *pod.AutomountServiceAccountToken)
	})
	t.Run("pod and container run as 65532 with seccomp", func(t *testing.T) {
		require.EqualValues(t, 65532, *pod.SecurityContext.RunAsUser)
		require.Equal(t, corev1.SeccompProfileTypeRuntimeDefault, pod.SecurityContext.SeccompProfile.Type)
		require.EqualValues(t, 65532, *ctr.SecurityContext.RunAsUser)
		require.Equal(t, corev1.SeccompProfileTypeRuntimeDefault, ctr.SecurityContext.SeccompProfile.Type)
		require.False(t, ctr.Resources.Requests.Cpu().IsZero(), "a CPU request")
		require.False(t, ctr.Resources.Requests.Memory().IsZero(), "a memory request")
		require.False(t, ctr.Resources.Limits.Memory().IsZero(), "a memory limit")
	})
	t.Run("data on the PVC", func(t *testing.T) {
		pvc := typed[corev1.PersistentVolumeClaim](t, objs["PersistentVolumeClaim"])
		require.Equal(t, []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}, pvc.Spec.AccessModes)
		want := resource.MustParse("1Gi")
		require.Zero(t, want.Cmp(pvc.Spec.Resources.Requests[corev1.ResourceStorage]))
		mount := mountFor(t, ctr, flagValue(t, ctr.Args, "--data"))
		require.False(t, mount.ReadOnly)
		vol := volume(t, d, mount.Name)
		require.NotNil(t, vol.PersistentVolumeClaim)
		require.Equal(t, pvc.Name, vol.PersistentVolumeClaim.ClaimName)
	})
	t.Run("secrets and inventory are optional references", func(t *testing.T) {
		for _, v := range pod.Volumes {
			switch {
			case v.Secret != nil:
				require.True(t, v.Secret.Optional != nil && *v.Secret.Optional, "Secret volume %s", v.Name)
			case v.ConfigMap != nil && v.ConfigMap.Name != objs["ConfigMap"].GetName():
				require.True(t, v.ConfigMap.Optional != nil && *v.ConfigMap.Optional, "ConfigMap volume %s", v.Name)
			}
		}
		require.Equal(t, "/etc/nephoran/packages", mountFor(t, ctr, flagValue(t, ctr.Args, "--packages")).MountPath)
	})
	t.Run("probes and Service on 9990", func(t *testing.T) {
		require.Equal(t, "0.0.0.0:9990", flagValue(t, ctr.Args, "--listen"))
		require.Len(t, ctr.Ports, 1)
		require.EqualValues(t, 9990, ctr.Ports[0].ContainerPort)
		require.Equal(t, "/healthz", ctr.LivenessProbe.HTTPGet.Path)
		require.Equal(t, "/readyz", ctr.ReadinessProbe.HTTPGet.Path)
		for _, p := range []*corev1.Probe{ctr.LivenessProbe, ctr.ReadinessProbe} {
			require.Equal(t, ctr.Ports[0].Name, p.HTTPGet.Port.String())
		}
		svc := typed[corev1.Service](t, objs["Service"])
		require.Equal(t, corev1.ServiceTypeClusterIP, svc.Spec.Type)
		require.True(t, labels.SelectorFromSet(svc.Spec.Selector).Matches(podLabels), "the Service selects the pod")
		require.Len(t, svc.Spec.Ports, 1)
		require.Equal(t, "http", svc.Spec.Ports[0].Name)
		require.EqualValues(t, 9990, svc.Spec.Ports[0].Port)
	})
	t.Run("NetworkPolicy admits 9990 only", func(t *testing.T) {
		np := typed[networkingv1.NetworkPolicy](t, objs["NetworkPolicy"])
		sel := labels.SelectorFromSet(np.Spec.PodSelector.MatchLabels)
		require.True(t, sel.Matches(podLabels))
		require.ElementsMatch(t, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}, np.Spec.PolicyTypes)
		require.Len(t, np.Spec.Ingress, 1)
		require.Len(t, np.Spec.Ingress[0].Ports, 1)
		require.EqualValues(t, 9990, np.Spec.Ingress[0].Ports[0].Port.IntValue())
		var egress []int
		for _, r := range np.Spec.Egress {
			require.NotEmpty(t, r.Ports, "an egress rule without ports opens every port")
			for _, p := range r.Ports {
				egress = append(egress, p.Port.IntValue())
			}
		}
		slices.Sort(egress)
		require.Equal(t, []int{53, 53, 3800, 8088, 9090}, egress)
	})
	t.Run("the scrape job is the one NephoranWatcherDown selects", func(t *testing.T) {
		sm := objs["ServiceMonitor"]
		svc := objs["Service"]
		jobLabel, _, _ := unstructured.NestedString(sm.Object, "spec", "jobLabel")
		require.NotEmpty(t, jobLabel)
		job := svc.GetLabels()[jobLabel]
		require.Equal(t, "nephoran-watcher", job, "prometheus-operator names the job after the Service's %s label", jobLabel)
		rules, err := os.ReadFile(filepath.Join(watcherPkg, "monitoring", "alert-rules.yaml"))
		require.NoError(t, err)
		require.Contains(t, string(rules), `up{job="`+job+`"}`)

		match, _, _ := unstructured.NestedStringMap(sm.Object, "spec", "selector", "matchLabels")
		require.True(t, labels.SelectorFromSet(match).Matches(labels.Set(svc.GetLabels())), "the ServiceMonitor selects the Service")
		endpoints, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
		require.Len(t, endpoints, 1)
		ep := endpoints[0].(map[string]any)
		require.Equal(t, "http", ep["port"])
		require.Equal(t, "/metrics", ep["path"])
	})
}

func flagValue(t *testing.T, args []string, flag string) string {
	t.Helper()
	for i, a := range args {
		if a == flag && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, flag+"="); ok {
			return v
		}
	}
	t.Fatalf("no %s in %v", flag, args)
	return ""
}

// mountFor returns the volume mount holding path.
func mountFor(t *testing.T, c corev1.Container, path string) corev1.VolumeMount {
	t.Helper()
	for _, m := range c.VolumeMounts {
		if path == m.MountPath || strings.HasPrefix(path, m.MountPath+"/") {
			return m
		}
	}
	t.Fatalf("no volume mounted at %s", path)
	return corev1.VolumeMount{}
}

func volume(t *testing.T, d *appsv1.Deployment, name string) corev1.Volume {
	t.Helper()
	for _, v := range d.Spec.Template.Spec.Volumes {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("no volume %s", name)
	return corev1.Volume{}
}

// TestWatcherPorchOverlayGrantsWhatTheBackendUses builds
// blueprints/nephoran-watcher-porch (the package with the Porch backend's
// RBAC), passes it through server-side dry-run, applies its Role and
// RoleBinding to a real kube-apiserver (RBAC authorizer) and asks it, for
// the watcher's ServiceAccount, whether each request watcher/propose/porch
// makes is allowed in the repository's namespace, and that nothing around
// them is.
func TestWatcherPorchOverlayGrantsWhatTheBackendUses(t *testing.T) {
	ctx := context.Background()
	objs := testenv.KustomizeBuild(t, "nephoran-watcher-porch")
	cfg := testenv.StartKubeAPIServer(t)
	testenv.InstallCRDs(t, cfg, testenv.UpstreamCRDs(t)...)
	require.NoError(t, testenv.ServerDryRun(ctx, cfg, objs))

	byKind := map[string]*unstructured.Unstructured{}
	for _, o := range objs {
		byKind[o.GetKind()] = o
	}
	d, _ := watcherDeployment(t, byKind)
	require.True(t, *d.Spec.Template.Spec.AutomountServiceAccountToken, "the pod mounts its token to reach the API server")
	np := typed[networkingv1.NetworkPolicy](t, byKind["NetworkPolicy"])
	var ports []int32
	for _, e := range np.Spec.Egress {
		for _, p := range e.Ports {
			ports = append(ports, p.Port.IntVal)
		}
	}
	require.Subset(t, ports, []int32{443, 6443}, "egress to the API server")

	dyn, err := dynamic.NewForConfig(cfg)
	require.NoError(t, err)
	for _, kind := range []string{"Role", "RoleBinding"} {
		o := byKind[kind]
		gvr := rbacv1.SchemeGroupVersion.WithResource(strings.ToLower(kind) + "s")
		_, err := dyn.Resource(gvr).Namespace(o.GetNamespace()).Create(ctx, o, metav1.CreateOptions{})
		require.NoError(t, err, kind)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	require.NoError(t, err)
	can := func(ns, group, resource, sub, verb string) bool {
		t.Helper()
		r, err := cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User:               "system:serviceaccount:nephoran-system:nephoran-watcher",
			Groups:             []string{"system:serviceaccounts", "system:serviceaccounts:nephoran-system", "system:authenticated"},
			ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: ns, Group: group, Resource: resource, Subresource: sub, Verb: verb},
		}}, metav1.CreateOptions{})
		require.NoError(t, err)
		return r.Status.Allowed
	}
	const porch = "porch.kpt.dev"
	for _, a := range [][3]string{
		{"packagerevisions", "", "list"}, {"packagerevisions", "", "get"}, {"packagerevisions", "", "create"},
		{"packagerevisions", "", "update"}, {"packagerevisions", "", "delete"},
		{"packagerevisionresources", "", "get"}, {"packagerevisionresources", "", "update"},
		{"packagerevisions", "approval", "update"},
	} {
		require.True(t, can("default", porch, a[0], a[1], a[2]), "%v in default", a)
		require.False(t, can("kube-system", porch, a[0], a[1], a[2]), "%v outside the repository's namespace", a)
	}
	for _, a := range [][4]string{
		{porch, "packagerevisionresources", "", "delete"},
		{porch, "repositories", "", "create"},
		{porch, "packagerevisions", "", "watch"},
		{"", "secrets", "", "get"},
		{"", "configmaps", "", "list"},
		{"config.porch.kpt.dev", "repositories", "", "get"},
	} {
		require.False(t, can("default", a[0], a[1], a[2], a[3]), "%v", a)
	}
}
