package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// metricNames are the metric names package metrics declares (the Name of
// each of its option literals), read from its source: a renamed metric
// changes them.
func metricNames(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob("metrics/*.go")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			kv, ok := n.(*ast.KeyValueExpr)
			if !ok {
				return true
			}
			if id, ok := kv.Key.(*ast.Ident); !ok || id.Name != "Name" {
				return true
			}
			if lit, ok := kv.Value.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil {
					names[s] = true
				}
			}
			return true
		})
	}
	if len(names) < 10 {
		t.Fatalf("only %d metric names found in metrics/: %v", len(names), names)
	}
	return names
}

// TestPrometheusRulesUseKnownMetrics parses deploy/prometheus-rules.yaml
// and fails when a rule uses a kamobot metric that package metrics does
// not declare, or when the alerts on kamobot's own health go missing.
func TestPrometheusRulesUseKnownMetrics(t *testing.T) {
	b, err := os.ReadFile("deploy/prometheus-rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Groups []struct {
			Name  string `json:"name"`
			Rules []struct {
				Alert       string            `json:"alert"`
				Expr        string            `json:"expr"`
				For         string            `json:"for,omitempty"`
				Labels      map[string]string `json:"labels"`
				Annotations map[string]string `json:"annotations"`
			} `json:"rules"`
		} `json:"groups"`
	}
	if err := yaml.UnmarshalStrict(b, &doc); err != nil {
		t.Fatalf("deploy/prometheus-rules.yaml: %v", err)
	}
	known := metricNames(t)
	used := map[string]bool{}
	metric := regexp.MustCompile(`\bkamobot_[a-z0-9_]+`)
	rules := 0
	for _, g := range doc.Groups {
		for _, r := range g.Rules {
			rules++
			if r.Alert == "" || strings.TrimSpace(r.Expr) == "" || r.Labels["severity"] == "" || r.Annotations["summary"] == "" {
				t.Errorf("group %s: a rule without alert, expr, severity or summary: %+v", g.Name, r)
			}
			for _, name := range metric.FindAllString(r.Expr, -1) {
				used[name] = true
				base := name
				for _, suffix := range []string{"_bucket", "_sum", "_count"} {
					if b, ok := strings.CutSuffix(name, suffix); ok && known[b] {
						base = b
					}
				}
				if !known[base] {
					t.Errorf("alert %s uses %s, which package metrics does not declare", r.Alert, name)
				}
			}
		}
	}
	if rules == 0 {
		t.Fatal("no rules")
	}
	for _, want := range []string{
		"kamobot_last_successful_pass_timestamp_seconds", "kamobot_outbox_oldest_age_seconds",
		"kamobot_webhook_healthy", "kamobot_dead_letters", "kamobot_state_write_failures_total",
	} {
		if !used[want] {
			t.Errorf("no alert rule on %s", want)
		}
	}
	t.Logf("%d rules use %v", rules, slices.Sorted(maps.Keys(used)))
}
