package main

import (
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kamobot/kamobot/config"
)

// The tests here check the Kubernetes manifests under deploy/kubernetes
// against what kamobot expects of them. They decode strictly into the
// small types of deploy_k8s_types_test.go, which model every field the
// manifests use: an unknown or misspelt field, a duplicate key or a wrong
// type fails, as `kubectl apply --validate=strict` would. A field added to
// a manifest is added there too.

// TestDeployStrictDecodingCatchesTypos guards the guard: a misspelt field,
// a duplicate key or a wrong type fails, in every part the tests check.
func TestDeployStrictDecodingCatchesTypos(t *testing.T) {
	for _, c := range []struct{ doc, want string }{
		{"spec:\n  replica: 1\n", "replica"},
		{"spec:\n  replicas: 1\n  replicas: 2\n", "replicas"},
		{"spec:\n  replicas: one\n", "replicas"},
		{"spec:\n  template:\n    spec:\n      securityContext:\n        runAsNonroot: true\n", "runAsNonroot"},
		{"spec:\n  template:\n    spec:\n      containers:\n        - name: kamobot\n          securityContext:\n            readOnlyRootFileSystem: true\n", "readOnlyRootFileSystem"},
		{"spec:\n  template:\n    spec:\n      containers:\n        - name: kamobot\n          livenessProbe:\n            httpGet: {path: /livez, prot: 9465}\n", "prot"},
		{"spec:\n  template:\n    spec:\n      containers:\n        - name: kamobot\n          env:\n            - name: X\n              valueFrom: {secretKeyRef: {name: kamobot, kye: x}}\n", "kye"},
		{"spec:\n  template:\n    spec:\n      containers:\n        - name: kamobot\n          resources: {limits: {memory: lots}}\n", "lots"},
	} {
		doc := "apiVersion: apps/v1\nkind: Deployment\n" + c.doc
		if err := decodeStrict([]byte(doc), &k8sDeployment{}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("decoded, or the error does not name %q: %v\n%s", c.want, err, doc)
		}
	}
	// Without the mistakes, the same documents decode.
	doc := "apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n        - name: kamobot\n          resources: {limits: {memory: 128Mi, cpu: 1}}\n          livenessProbe:\n            httpGet: {path: /livez, port: 9465}\n"
	if err := decodeStrict([]byte(doc), &k8sDeployment{}); err != nil {
		t.Errorf("a valid Deployment: %v", err)
	}
}

func TestDeployDeployment(t *testing.T) {
	m := loadManifests(t)
	d := m.deployment
	if r := d.Spec.Replicas; r == nil || *r != 1 {
		t.Errorf("replicas %s, want 1: two watchers would share one state file", fmtPtr(r))
	}
	if d.Spec.Strategy.Type != "Recreate" {
		t.Errorf("strategy %q, want Recreate: a rolling update runs two pods on one volume", d.Spec.Strategy.Type)
	}
	if d.Spec.Selector == nil || len(d.Spec.Selector.MatchLabels) == 0 {
		t.Fatal("no selector")
	}
	for k, v := range d.Spec.Selector.MatchLabels {
		if d.Spec.Template.Metadata.Labels[k] != v {
			t.Errorf("selector %s=%s does not match the pod labels %v", k, v, d.Spec.Template.Metadata.Labels)
		}
	}
	c := kamobotContainer(t, d.Spec.Template.Spec)
	if len(c.Args) == 0 || c.Args[0] != "watch" {
		t.Fatalf("args %q, want watch first", c.Args)
	}
	addr := flagValue(c.Args, "--metrics-addr")
	_, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("--metrics-addr %q: %v", addr, err)
	}
	port, _ := strconv.Atoi(portStr)
	declared := false
	for _, p := range c.Ports {
		if p.ContainerPort == int32(port) {
			declared = true
		}
	}
	if !declared {
		t.Errorf("--metrics-addr %s: port %d is not a containerPort (%v)", addr, port, c.Ports)
	}
	for _, pr := range []struct {
		name  string
		probe *k8sProbe
		path  string
	}{
		{"livenessProbe", c.LivenessProbe, "/livez"},
		{"readinessProbe", c.ReadinessProbe, "/healthz"},
	} {
		if pr.probe == nil || pr.probe.HTTPGet == nil {
			t.Errorf("%s: want an httpGet probe", pr.name)
			continue
		}
		if pr.probe.HTTPGet.Path != pr.path {
			t.Errorf("%s: path %q, want %q", pr.name, pr.probe.HTTPGet.Path, pr.path)
		}
		if got := resolvePort(t, c, string(pr.probe.HTTPGet.Port)); got != int32(port) {
			t.Errorf("%s: port %s is %d, want the metrics port %d", pr.name, pr.probe.HTTPGet.Port, got, port)
		}
	}
	checkPod(t, m, d.Spec.Template.Spec)
}

func TestDeployCronJob(t *testing.T) {
	m := loadManifests(t)
	cj := m.cronJob
	if cj.Spec.ConcurrencyPolicy != "Forbid" {
		t.Errorf("concurrencyPolicy %q, want Forbid: a pass must not overlap the one before", cj.Spec.ConcurrencyPolicy)
	}
	if cj.Spec.Schedule == "" {
		t.Error("no schedule")
	}
	pod := cj.Spec.JobTemplate.Spec.Template.Spec
	if pod.RestartPolicy != "Never" && pod.RestartPolicy != "OnFailure" {
		t.Errorf("restartPolicy %q", pod.RestartPolicy)
	}
	c := kamobotContainer(t, pod)
	if len(c.Args) == 0 || c.Args[0] != "check" {
		t.Errorf("args %q, want check first", c.Args)
	}
	if flagValue(c.Args, "--metrics-addr") != "" {
		t.Error("check serves no metrics; --metrics-addr is a watch flag")
	}
	checkPod(t, m, pod)
}

func TestDeployPVCAndSecret(t *testing.T) {
	m := loadManifests(t)
	if !slices.Contains(m.pvc.Spec.AccessModes, "ReadWriteOnce") {
		t.Errorf("PVC access modes %v, want ReadWriteOnce", m.pvc.Spec.AccessModes)
	}
	if q := m.pvc.Spec.Resources.Requests["storage"]; q.isZero() {
		t.Error("PVC requests no storage")
	}
	if m.secret.Type != "Opaque" {
		t.Errorf("secret type %q", m.secret.Type)
	}
}

// TestDeployConfigMapIsAValidConfig loads the shipped config.toml as kamobot
// would, with the secrets from the environment as the pods pass them.
func TestDeployConfigMapIsAValidConfig(t *testing.T) {
	m := loadManifests(t)
	toml, ok := m.configMap.Data["config.toml"]
	if !ok {
		t.Fatal("the ConfigMap has no config.toml")
	}
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"KAMOBOT_PASSWORD": "pw-from-secret", "KAMOBOT_SLACK_WEBHOOK": "https://hooks.slack.com/services/T0/B0/x"}
	cfg, warns, err := config.Load(path, func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("the ConfigMap's config.toml: %v", err)
	}
	for _, w := range warns {
		t.Logf("warning: %s", w)
	}
	if err := cfg.RequireSlack(); err != nil {
		t.Error(err)
	}
}

// checkPod checks what both pods share: non-root, read-only root, state on
// the PVC, config from the ConfigMap, secrets from the Secret's keys.
func checkPod(t *testing.T, m manifests, pod k8sPodSpec) {
	t.Helper()
	if sc := pod.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		t.Error("pod securityContext: want runAsNonRoot: true")
	} else if sc.RunAsUser != nil && *sc.RunAsUser == 0 {
		t.Error("pod securityContext: runAsUser 0")
	}
	c := kamobotContainer(t, pod)
	sc := c.SecurityContext
	switch {
	case sc == nil:
		t.Fatal("container: no securityContext")
	case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
		t.Error("container: want readOnlyRootFilesystem: true")
	case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
		t.Error("container: want allowPrivilegeEscalation: false")
	case sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL"):
		t.Error("container: want capabilities drop ALL")
	}
	if c.Image == "" {
		t.Error("container: no image")
	}
	if _, ok := c.Resources.Limits["memory"]; !ok {
		t.Error("container: no memory limit")
	}

	volumes := map[string]k8sVolume{}
	for _, v := range pod.Volumes {
		volumes[v.Name] = v
	}
	mountOf := func(pred func(k8sVolume) bool) []k8sVolumeMount {
		var out []k8sVolumeMount
		for _, vm := range c.VolumeMounts {
			v, ok := volumes[vm.Name]
			if !ok {
				t.Errorf("mount %q names no volume", vm.Name)
				continue
			}
			if pred(v) {
				out = append(out, vm)
			}
		}
		return out
	}

	// The state: on the PVC, and KAMOBOT_STATE inside that mount.
	state := mountOf(func(v k8sVolume) bool {
		return v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == m.pvc.Metadata.Name
	})
	if len(state) != 1 {
		t.Fatalf("want one mount of the PVC %q, got %v", m.pvc.Metadata.Name, state)
	}
	if state[0].ReadOnly {
		t.Error("the state volume is mounted read-only")
	}
	statePath := envValue(c, "KAMOBOT_STATE")
	if statePath == "" || !strings.HasPrefix(statePath, strings.TrimSuffix(state[0].MountPath, "/")+"/") {
		t.Errorf("KAMOBOT_STATE %q is not on the state volume mounted at %s (the root is read-only)", statePath, state[0].MountPath)
	}

	// The config: --config names the ConfigMap's config.toml, read-only.
	cfgMounts := mountOf(func(v k8sVolume) bool {
		return v.ConfigMap != nil && v.ConfigMap.Name == m.configMap.Metadata.Name
	})
	cfgPath := flagValue(c.Args, "--config")
	found := false
	for _, vm := range cfgMounts {
		// A subPath mount is a copy the kubelet never updates: an edited
		// ConfigMap would never reach the file, and watch's reload on a
		// file change could not work. The directory is mounted instead.
		if vm.SubPath != "" {
			t.Errorf("the ConfigMap is mounted with subPath %q at %s: it never updates; mount the directory", vm.SubPath, vm.MountPath)
			continue
		}
		key, path := filepath.Base(cfgPath), filepath.Join(vm.MountPath, filepath.Base(cfgPath))
		if path == cfgPath {
			found = true
			if _, ok := m.configMap.Data[key]; !ok {
				t.Errorf("--config %s is the ConfigMap key %q, which does not exist", cfgPath, key)
			}
			if !vm.ReadOnly {
				t.Errorf("the config at %s is mounted writable", cfgPath)
			}
		}
	}
	if !found {
		t.Errorf("--config %q is not a file of the ConfigMap %q", cfgPath, m.configMap.Metadata.Name)
	}

	// The secrets: from the Secret, by keys it has; never inline.
	keys := map[string]bool{}
	for k := range m.secret.StringData {
		keys[k] = true
	}
	for k := range m.secret.Data {
		keys[k] = true
	}
	fromSecret := map[string]bool{}
	for _, e := range c.Env {
		if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
			continue
		}
		ref := e.ValueFrom.SecretKeyRef
		if ref.Name != m.secret.Metadata.Name {
			t.Errorf("env %s: secret %q, want %q", e.Name, ref.Name, m.secret.Metadata.Name)
		}
		if !keys[ref.Key] {
			t.Errorf("env %s: the Secret has no key %q (it has %v)", e.Name, ref.Key, keys)
		}
		fromSecret[e.Name] = true
	}
	for _, name := range []string{"KAMOBOT_PASSWORD", "KAMOBOT_SLACK_WEBHOOK"} {
		if !fromSecret[name] {
			t.Errorf("env %s: want it from a secretKeyRef", name)
		}
	}
	for _, e := range c.Env {
		for _, v := range m.secret.StringData {
			if e.Value != "" && e.Value == v {
				t.Errorf("env %s holds a secret value inline", e.Name)
			}
		}
	}
}

func fmtPtr(p *int32) string {
	if p == nil {
		return "unset"
	}
	return strconv.Itoa(int(*p))
}

func kamobotContainer(t *testing.T, pod k8sPodSpec) k8sContainer {
	t.Helper()
	if len(pod.Containers) != 1 || pod.Containers[0].Name != "kamobot" {
		t.Fatalf("want one container named kamobot, got %d", len(pod.Containers))
	}
	return pod.Containers[0]
}

// flagValue returns the value of a flag in args ("--f v" or "--f=v").
func flagValue(args []string, name string) string {
	for i, a := range args {
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
	}
	return ""
}

func envValue(c k8sContainer, name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

// resolvePort turns a probe's port (a number or a port name) into a number.
func resolvePort(t *testing.T, c k8sContainer, port string) int32 {
	t.Helper()
	if n, err := strconv.Atoi(port); err == nil {
		return int32(n)
	}
	for _, p := range c.Ports {
		if p.Name == port {
			return p.ContainerPort
		}
	}
	t.Errorf("port %q names no container port", port)
	return 0
}
