package engine

import "testing"

func TestLifeStage(t *testing.T) {
	for status, want := range map[string]string{
		"Running": "Running", "Pending": "Pending", "ContainerCreating": "Pending", "OOMKilled": "Running",
		"Unknown": "Pending", "Opened": "Opened", "Completed": "Completed",
	} {
		if got := lifeStage(status); got != want {
			t.Errorf("lifeStage(%q) = %q, want %q", status, got, want)
		}
	}
}
