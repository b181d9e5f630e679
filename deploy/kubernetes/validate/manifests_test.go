package validate

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/cleandns/cleandns/config"
)

// kustomization is the part of Kustomize's type the base uses; strict
// decoding makes any other field an error.
type kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Namespace  string   `json:"namespace"`
	Resources  []string `json:"resources"`
	Labels     []struct {
		Pairs map[string]string `json:"pairs"`
	} `json:"labels"`
}

// serviceMonitor is the part of the Prometheus Operator's
// monitoring.coreos.com/v1 ServiceMonitor the base uses (its Go types are
// a large module of their own).
type serviceMonitor struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Selector  metav1.LabelSelector `json:"selector"`
		Endpoints []struct {
			Port     string `json:"port"`
			Path     string `json:"path"`
			Interval string `json:"interval"`
		} `json:"endpoints"`
	} `json:"spec"`
}

type manifests struct {
	ns      corev1.Namespace
	cm      corev1.ConfigMap
	deploy  appsv1.Deployment
	svc     corev1.Service
	metrics corev1.Service
	pdb     policyv1.PodDisruptionBudget
	hpa     autoscalingv2.HorizontalPodAutoscaler
	netpol  networkingv1.NetworkPolicy
	sm      serviceMonitor
}

// load decodes every resource the kustomization lists, strictly, into its
// type, and fails on a file it does not list.
func load(t *testing.T) manifests {
	t.Helper()
	var k kustomization
	decode(t, "kustomization.yaml", &k, "kustomize.config.k8s.io/v1beta1", "Kustomization")
	var m manifests
	targets := map[string]struct {
		obj              any
		apiVersion, kind string
	}{
		"namespace.yaml":               {&m.ns, "v1", "Namespace"},
		"configmap.yaml":               {&m.cm, "v1", "ConfigMap"},
		"deployment.yaml":              {&m.deploy, "apps/v1", "Deployment"},
		"service.yaml":                 {&m.svc, "v1", "Service"},
		"service-metrics.yaml":         {&m.metrics, "v1", "Service"},
		"poddisruptionbudget.yaml":     {&m.pdb, "policy/v1", "PodDisruptionBudget"},
		"horizontalpodautoscaler.yaml": {&m.hpa, "autoscaling/v2", "HorizontalPodAutoscaler"},
		"networkpolicy.yaml":           {&m.netpol, "networking.k8s.io/v1", "NetworkPolicy"},
		"servicemonitor.yaml":          {&m.sm, "monitoring.coreos.com/v1", "ServiceMonitor"},
	}
	listed := map[string]bool{}
	for _, r := range k.Resources {
		tg, ok := targets[r]
		if !ok {
			t.Fatalf("kustomization lists %s, which this test does not know: add its type here", r)
		}
		listed[r] = true
		decode(t, r, tg.obj, tg.apiVersion, tg.kind)
	}
	files, _ := filepath.Glob("../*.yaml")
	for _, f := range files {
		if b := filepath.Base(f); b != "kustomization.yaml" && !listed[b] {
			t.Errorf("%s is not in kustomization.yaml's resources", b)
		}
	}
	if len(listed) != len(targets) {
		t.Errorf("kustomization lists %d resources, want %d", len(listed), len(targets))
	}
	return m
}

func decode(t *testing.T, file string, obj any, apiVersion, kind string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", file))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(b, obj); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(b, &tm); err != nil {
		t.Fatal(err)
	}
	if tm.APIVersion != apiVersion || tm.Kind != kind {
		t.Errorf("%s: %s %s, want %s %s", file, tm.APIVersion, tm.Kind, apiVersion, kind)
	}
}

func TestManifestsDecodeStrictly(t *testing.T) { load(t) }

// TestManifestsFitTogether: selectors find the pods, port names exist, the
// config's ports are the container's, and the pod is locked down.
func TestManifestsFitTogether(t *testing.T) {
	m := load(t)
	pod := m.deploy.Spec.Template
	podLabels := pod.Labels
	selects := func(what string, sel *metav1.LabelSelector) {
		s, err := metav1.LabelSelectorAsSelector(sel)
		if err != nil || s.Empty() || !s.Matches(labelSet(podLabels)) {
			t.Errorf("%s's selector %v does not select the pods (%v)", what, sel, podLabels)
		}
	}
	selects("deployment", m.deploy.Spec.Selector)
	selects("pdb", m.pdb.Spec.Selector)
	selects("networkpolicy", &m.netpol.Spec.PodSelector)
	for _, svc := range []corev1.Service{m.svc, m.metrics} {
		selects("service "+svc.Name, &metav1.LabelSelector{MatchLabels: svc.Spec.Selector})
	}
	if s, _ := metav1.LabelSelectorAsSelector(&m.sm.Spec.Selector); !s.Matches(labelSet(m.metrics.Labels)) || s.Matches(labelSet(m.svc.Labels)) {
		t.Errorf("servicemonitor must select the metrics service only")
	}
	if m.hpa.Spec.ScaleTargetRef.Name != m.deploy.Name || *m.hpa.Spec.MinReplicas < 2 {
		t.Errorf("hpa targets %q with min %d, want %q and at least 2", m.hpa.Spec.ScaleTargetRef.Name, *m.hpa.Spec.MinReplicas, m.deploy.Name)
	}
	if *m.deploy.Spec.Replicas < 2 || m.pdb.Spec.MinAvailable.IntValue() < 1 {
		t.Errorf("want at least 2 replicas and a PDB keeping 1")
	}

	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("want one container, got %d", len(pod.Spec.Containers))
	}
	c := pod.Spec.Containers[0]
	ports := map[string]corev1.ContainerPort{}
	for _, p := range c.Ports {
		ports[p.Name] = p
	}
	for _, svc := range []corev1.Service{m.svc, m.metrics} {
		for _, p := range svc.Spec.Ports {
			cp, ok := ports[p.TargetPort.String()]
			if !ok || cp.Protocol != p.Protocol {
				t.Errorf("service %s port %s targets %q, no %s container port of that name", svc.Name, p.Name, p.TargetPort.String(), p.Protocol)
			}
		}
	}
	for _, e := range m.sm.Spec.Endpoints {
		if !hasPort(m.metrics, e.Port) {
			t.Errorf("servicemonitor scrapes port %q, which the metrics service does not name", e.Port)
		}
	}
	if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" || c.LivenessProbe == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" {
		t.Errorf("want readiness on /readyz and liveness on /healthz")
	}
	for _, pr := range []*corev1.Probe{c.ReadinessProbe, c.LivenessProbe} {
		if pr != nil {
			if _, ok := ports[pr.HTTPGet.Port.String()]; !ok {
				t.Errorf("probe port %q is not a container port", pr.HTTPGet.Port.String())
			}
		}
	}
	sc := c.SecurityContext
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" {
		t.Errorf("container must have a read-only root, no privilege escalation and drop ALL capabilities: %+v", sc)
	}
	if psc := pod.Spec.SecurityContext; psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		t.Errorf("pod must run as non-root")
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("want cpu and memory requests and a memory limit")
	}

	// The ConfigMap's config loads with cleandns's own loader, and its
	// ports are the container's.
	yamlText, ok := m.cm.Data["config.yaml"]
	if !ok {
		t.Fatal("configmap has no config.yaml")
	}
	cfg, err := config.Load(config.Source{Name: "configmap.yaml config.yaml", Data: []byte(yamlText)}, config.Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range cfg.Listen {
		if port(t, l) != ports["dns-udp"].ContainerPort || port(t, l) != ports["dns-tcp"].ContainerPort {
			t.Errorf("config listens on %s; the container ports are %d", l, ports["dns-udp"].ContainerPort)
		}
	}
	if port(t, cfg.HTTP.Listen) != ports["http"].ContainerPort {
		t.Errorf("config's http.listen %s is not the http container port %d", cfg.HTTP.Listen, ports["http"].ContainerPort)
	}
	mounted := false
	for _, vm := range c.VolumeMounts {
		if vm.MountPath == "/var/lib/cleandns" {
			mounted = true
		}
	}
	if !mounted || !strings.HasPrefix(cfg.Blocking.StoreDir, "/var/lib/cleandns") || !strings.HasPrefix(cfg.QueryLog.Path, "/var/lib/cleandns") {
		t.Errorf("state must live on the writable /var/lib/cleandns volume (read-only root)")
	}
}

func hasPort(s corev1.Service, name string) bool {
	for _, p := range s.Spec.Ports {
		if p.Name == name {
			return true
		}
	}
	return false
}

func port(t *testing.T, hostport string) int32 {
	t.Helper()
	i := strings.LastIndexByte(hostport, ':')
	n, err := strconv.Atoi(hostport[i+1:])
	if err != nil {
		t.Fatalf("%q: %v", hostport, err)
	}
	return int32(n)
}

type labelSet map[string]string

func (l labelSet) Has(k string) bool              { _, ok := l[k]; return ok }
func (l labelSet) Get(k string) string            { return l[k] }
func (l labelSet) Lookup(k string) (string, bool) { v, ok := l[k]; return v, ok }
