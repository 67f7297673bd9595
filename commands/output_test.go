package commands

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestHumanDuration(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{0, "-"}, {-time.Second, "-"}, {400 * time.Millisecond, "0s"}, {45 * time.Second, "45s"},
		{12 * time.Minute, "12m"}, {12*time.Minute + 5*time.Second, "12m 5s"}, {2*time.Hour + 13*time.Minute, "2h 13m"},
		{2*time.Hour + 30*time.Second, "2h"}, {76 * time.Hour, "3d 4h"}, {7 * 24 * time.Hour, "7d"},
	} {
		if got := humanDuration(tt.d); got != tt.want {
			t.Errorf("humanDuration(%s) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestRedactorMasksSecretsInEverythingWritten(t *testing.T) {
	var out bytes.Buffer
	r := &Redactor{}
	r.Add("CANARY-PASSWORD-1", "", "ab") // empty and too short ones are ignored
	w := r.Writer(&out)
	lines := []string{
		"login failed for demo with CANARY-PASSWORD-1\n",
		`post "https://hooks.slack.com/services/T0123/B0456/CANARYsecret789": timeout` + "\n",
		"Authorization: Bearer eyJhbGciOi.CANARY.token\n",
		"nothing secret here: about 2 abs\n",
	}
	for _, l := range lines {
		if n, err := w.Write([]byte(l)); err != nil || n != len(l) {
			t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(l))
		}
	}
	got := out.String()
	if strings.Contains(got, "CANARY") {
		t.Errorf("a secret got through:\n%s", got)
	}
	for _, want := range []string{"<redacted>", "/services/T0123/B0456/<redacted>", "Bearer <redacted>", "about 2 abs"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}
