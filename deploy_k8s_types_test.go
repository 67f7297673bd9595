package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// The Kubernetes objects of deploy/kubernetes, as far as the manifests use
// them: each type models every field the manifests set, with Kubernetes's
// own names, so that strict decoding refuses a field the API would not
// know. They stand in for k8s.io/api, which is a large module to build for
// five small files.

type k8sMeta struct {
	Name        string            `json:"name,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

type k8sDeployment struct {
	APIVersion string  `json:"apiVersion"`
	Kind       string  `json:"kind"`
	Metadata   k8sMeta `json:"metadata"`
	Spec       struct {
		Replicas *int32 `json:"replicas"`
		Strategy struct {
			Type string `json:"type"`
		} `json:"strategy"`
		Selector *struct {
			MatchLabels map[string]string `json:"matchLabels"`
		} `json:"selector"`
		Template k8sPodTemplate `json:"template"`
	} `json:"spec"`
}

type k8sCronJob struct {
	APIVersion string  `json:"apiVersion"`
	Kind       string  `json:"kind"`
	Metadata   k8sMeta `json:"metadata"`
	Spec       struct {
		Schedule                   string `json:"schedule"`
		ConcurrencyPolicy          string `json:"concurrencyPolicy"`
		StartingDeadlineSeconds    *int64 `json:"startingDeadlineSeconds"`
		SuccessfulJobsHistoryLimit *int32 `json:"successfulJobsHistoryLimit"`
		FailedJobsHistoryLimit     *int32 `json:"failedJobsHistoryLimit"`
		JobTemplate                struct {
			Spec struct {
				BackoffLimit          *int32         `json:"backoffLimit"`
				ActiveDeadlineSeconds *int64         `json:"activeDeadlineSeconds"`
				Template              k8sPodTemplate `json:"template"`
			} `json:"spec"`
		} `json:"jobTemplate"`
	} `json:"spec"`
}

type k8sConfigMap struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   k8sMeta           `json:"metadata"`
	Data       map[string]string `json:"data"`
}

type k8sSecret struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   k8sMeta           `json:"metadata"`
	Type       string            `json:"type"`
	StringData map[string]string `json:"stringData"`
	Data       map[string]string `json:"data"` // base64
}

type k8sPVC struct {
	APIVersion string  `json:"apiVersion"`
	Kind       string  `json:"kind"`
	Metadata   k8sMeta `json:"metadata"`
	Spec       struct {
		AccessModes      []string     `json:"accessModes"`
		StorageClassName *string      `json:"storageClassName"`
		Resources        k8sResources `json:"resources"`
	} `json:"spec"`
}

type k8sPodTemplate struct {
	Metadata k8sMeta    `json:"metadata"`
	Spec     k8sPodSpec `json:"spec"`
}

type k8sPodSpec struct {
	RestartPolicy   string `json:"restartPolicy"`
	SecurityContext *struct {
		RunAsNonRoot   *bool  `json:"runAsNonRoot"`
		RunAsUser      *int64 `json:"runAsUser"`
		RunAsGroup     *int64 `json:"runAsGroup"`
		FSGroup        *int64 `json:"fsGroup"`
		SeccompProfile *struct {
			Type string `json:"type"`
		} `json:"seccompProfile"`
	} `json:"securityContext"`
	Containers []k8sContainer `json:"containers"`
	Volumes    []k8sVolume    `json:"volumes"`
}

type k8sContainer struct {
	Name            string           `json:"name"`
	Image           string           `json:"image"`
	Args            []string         `json:"args"`
	Env             []k8sEnvVar      `json:"env"`
	Ports           []k8sPort        `json:"ports"`
	LivenessProbe   *k8sProbe        `json:"livenessProbe"`
	ReadinessProbe  *k8sProbe        `json:"readinessProbe"`
	Resources       k8sResources     `json:"resources"`
	VolumeMounts    []k8sVolumeMount `json:"volumeMounts"`
	SecurityContext *struct {
		AllowPrivilegeEscalation *bool `json:"allowPrivilegeEscalation"`
		ReadOnlyRootFilesystem   *bool `json:"readOnlyRootFilesystem"`
		Capabilities             *struct {
			Add  []string `json:"add"`
			Drop []string `json:"drop"`
		} `json:"capabilities"`
	} `json:"securityContext"`
}

type k8sEnvVar struct {
	Name      string `json:"name"`
	Value     string `json:"value"`
	ValueFrom *struct {
		SecretKeyRef *struct {
			Name     string `json:"name"`
			Key      string `json:"key"`
			Optional *bool  `json:"optional"`
		} `json:"secretKeyRef"`
	} `json:"valueFrom"`
}

type k8sPort struct {
	Name          string `json:"name"`
	ContainerPort int32  `json:"containerPort"`
	Protocol      string `json:"protocol"`
}

type k8sProbe struct {
	HTTPGet *struct {
		Path string      `json:"path"`
		Port intOrString `json:"port"`
	} `json:"httpGet"`
	InitialDelaySeconds int32 `json:"initialDelaySeconds"`
	PeriodSeconds       int32 `json:"periodSeconds"`
	TimeoutSeconds      int32 `json:"timeoutSeconds"`
	FailureThreshold    int32 `json:"failureThreshold"`
}

type k8sResources struct {
	Requests map[string]quantity `json:"requests"`
	Limits   map[string]quantity `json:"limits"`
}

type k8sVolume struct {
	Name      string `json:"name"`
	ConfigMap *struct {
		Name string `json:"name"`
	} `json:"configMap"`
	PersistentVolumeClaim *struct {
		ClaimName string `json:"claimName"`
		ReadOnly  bool   `json:"readOnly"`
	} `json:"persistentVolumeClaim"`
}

type k8sVolumeMount struct {
	Name      string `json:"name"`
	MountPath string `json:"mountPath"`
	SubPath   string `json:"subPath"`
	ReadOnly  bool   `json:"readOnly"`
}

// intOrString is a port: a number or the name of a container port.
type intOrString string

func (p *intOrString) UnmarshalJSON(b []byte) error {
	var n int32
	if err := json.Unmarshal(b, &n); err == nil {
		*p = intOrString(strconv.Itoa(int(n)))
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a port number or name, got %s", b)
	}
	*p = intOrString(s)
	return nil
}

// quantity is a Kubernetes resource quantity: 10m, 128Mi, 1, 1e3.
type quantity string

var quantityRE = regexp.MustCompile(`^([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|[eE][-+]?[0-9]+)?$`)

func (q *quantity) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var f json.Number
		if err := json.Unmarshal(b, &f); err != nil {
			return fmt.Errorf("want a quantity, got %s", b)
		}
		s = f.String()
	}
	if !quantityRE.MatchString(s) {
		return fmt.Errorf("quantity %q: want a number with an optional suffix (m, Mi, Gi, ...)", s)
	}
	*q = quantity(s)
	return nil
}

// isZero reports whether q is no amount at all.
func (q quantity) isZero() bool {
	m := quantityRE.FindStringSubmatch(string(q))
	if m == nil {
		return true
	}
	f, err := strconv.ParseFloat(m[1], 64)
	return err != nil || f == 0
}

// decodeStrict decodes a YAML document into obj, refusing an unknown field,
// a duplicate key or a wrong type (yaml.UnmarshalStrict), and a field
// spelt in another case: encoding/json would take runAsNonroot for
// runAsNonRoot, which Kubernetes does not.
func decodeStrict(doc []byte, obj any) error {
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		return err
	}
	var tree any
	if err := yaml.Unmarshal(doc, &tree); err != nil {
		return err
	}
	return exactKeys(reflect.TypeOf(obj), tree, "")
}

// exactKeys checks that every key of tree names a field of t exactly.
func exactKeys(t reflect.Type, tree any, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := tree.(map[string]any)
		if !ok {
			return nil // a wrong type: UnmarshalStrict said so already
		}
		fields := map[string]reflect.Type{}
		for f := range t.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			fields[name] = f.Type
		}
		for k, v := range m {
			ft, ok := fields[k]
			if !ok {
				return fmt.Errorf("unknown field %q", strings.TrimPrefix(path+"."+k, "."))
			}
			if err := exactKeys(ft, v, path+"."+k); err != nil {
				return err
			}
		}
	case reflect.Slice:
		s, _ := tree.([]any)
		for i, v := range s {
			if err := exactKeys(t.Elem(), v, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		m, _ := tree.(map[string]any)
		for k, v := range m {
			if err := exactKeys(t.Elem(), v, path+"."+k); err != nil {
				return err
			}
		}
	}
	return nil
}

// manifests are the objects under kubernetes/, one of each kind.
type manifests struct {
	deployment *k8sDeployment
	cronJob    *k8sCronJob
	configMap  *k8sConfigMap
	secret     *k8sSecret
	pvc        *k8sPVC
}

var docSep = regexp.MustCompile(`(?m)^---[ \t]*$`)

// loadManifests decodes every document of every manifest strictly into its
// type: an unknown or misspelt field, a duplicate key or a wrong type fails.
func loadManifests(t *testing.T) manifests {
	t.Helper()
	files, err := filepath.Glob("deploy/kubernetes/*.y*ml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	var m manifests
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range docSep.Split(string(raw), -1) {
			var head struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
			}
			if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
				t.Fatalf("%s document %d: %v", f, i, err)
			}
			if head.Kind == "" && strings.TrimSpace(stripComments(doc)) == "" {
				continue // an empty document
			}
			var obj any
			var want string
			var seen bool
			switch head.Kind {
			case "Deployment":
				seen = m.deployment != nil
				m.deployment, want = &k8sDeployment{}, "apps/v1"
				obj = m.deployment
			case "CronJob":
				seen = m.cronJob != nil
				m.cronJob, want = &k8sCronJob{}, "batch/v1"
				obj = m.cronJob
			case "ConfigMap":
				seen = m.configMap != nil
				m.configMap, want = &k8sConfigMap{}, "v1"
				obj = m.configMap
			case "Secret":
				seen = m.secret != nil
				m.secret, want = &k8sSecret{}, "v1"
				obj = m.secret
			case "PersistentVolumeClaim":
				seen = m.pvc != nil
				m.pvc, want = &k8sPVC{}, "v1"
				obj = m.pvc
			default:
				t.Fatalf("%s document %d: kind %q is not checked here; add it to this test", f, i, head.Kind)
			}
			if seen {
				t.Fatalf("%s: a second %s; this test expects one of each", f, head.Kind)
			}
			if head.APIVersion != want {
				t.Errorf("%s: %s has apiVersion %q, want %q", f, head.Kind, head.APIVersion, want)
			}
			if err := decodeStrict([]byte(doc), obj); err != nil {
				t.Fatalf("%s: %s does not decode strictly: %v", f, head.Kind, err)
			}
		}
	}
	if m.deployment == nil || m.cronJob == nil || m.configMap == nil || m.secret == nil || m.pvc == nil {
		t.Fatalf("missing a manifest: %+v", m)
	}
	return m
}

func stripComments(s string) string {
	var b strings.Builder
	for line := range strings.Lines(s) {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line)
		}
	}
	return b.String()
}
