package engine

import (
	"testing"

	"github.com/kamobot/kamobot/config"
)

func TestSeriesStem(t *testing.T) {
	for name, want := range map[string]string{
		"resnet-run-12":       "resnet-run",
		"resnet-run-13":       "resnet-run",
		"exp_2026-11-25_3":    "exp",
		"bert.large 20261125": "bert.large",
		"sweep #7":            "sweep",
		"resnet50":            "resnet50",
		"run12":               "run12",
		"resnet50-finetune":   "resnet50-finetune",
		"2026-11-25":          "2026-11-25",
		"":                    "",
	} {
		if got := seriesStem(name); got != want {
			t.Errorf("seriesStem(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestFailingGroup(t *testing.T) {
	key := func(by, name, owner string) string {
		k, _ := failingGroup(by, 4, name, owner)
		return k
	}
	// By name: only the exact name counts together, whoever ran it.
	if key(config.FailingByName, "resnet-run-12", "alice") == key(config.FailingByName, "resnet-run-13", "alice") {
		t.Error("by name: two names grouped")
	}
	if key(config.FailingByName, "resnet-run-12", "alice") != key(config.FailingByName, "resnet-run-12", "bob") {
		t.Error("by name: one name split by owner")
	}
	// By series: one owner's numbered runs together, not another owner's.
	if key(config.FailingBySeries, "resnet-run-12", "alice") != key(config.FailingBySeries, "resnet-run-13", "alice") {
		t.Error("by series: one owner's runs not grouped")
	}
	if key(config.FailingBySeries, "resnet-run-12", "alice") == key(config.FailingBySeries, "resnet-run-12", "bob") {
		t.Error("by series: two owners grouped")
	}
	if key(config.FailingBySeries, "resnet-run-12", "alice") == key(config.FailingBySeries, "resnet-eval-12", "alice") {
		t.Error("by series: two stems grouped")
	}
	if _, label := failingGroup(config.FailingBySeries, 4, "resnet-run-12", "alice"); label != "resnet-run…" {
		t.Errorf("label = %q", label)
	}
}
