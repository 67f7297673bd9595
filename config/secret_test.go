package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"
)

// TestSecretNeverPrints checks every way a Secret could be printed or
// encoded by accident.
func TestSecretNeverPrints(t *testing.T) {
	s := Secret(testWebhook)
	type holder struct {
		URL  Secret
		Ptr  *Secret
		Many []Secret
	}
	h := holder{URL: s, Ptr: &s, Many: []Secret{s}}

	var outputs []string
	for _, verb := range []string{"%v", "%s", "%q", "%x", "%X", "%d", "%#v", "%+v", "%T %[1]v", "%10s", "%-10v"} {
		outputs = append(outputs, fmt.Sprintf(verb, s), fmt.Sprintf(verb, h), fmt.Sprintf(verb, &h))
	}
	outputs = append(outputs, fmt.Sprint(s), fmt.Sprintln(s, h), s.String(), s.GoString())
	outputs = append(outputs, fmt.Errorf("posting to %v: %w", s, fmt.Errorf("inner %s", s)).Error())

	j, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	outputs = append(outputs, string(j))
	jm, _ := json.Marshal(map[string]Secret{"webhook": s})
	outputs = append(outputs, string(jm))

	var tb bytes.Buffer
	if err := toml.NewEncoder(&tb).EnableMarshalerInterface().Encode(h); err != nil {
		t.Fatal(err)
	}
	outputs = append(outputs, tb.String())

	var logs bytes.Buffer
	for _, hd := range []slog.Handler{slog.NewTextHandler(&logs, nil), slog.NewJSONHandler(&logs, nil)} {
		l := slog.New(hd)
		l.Info("posting", "webhook", s, "holder", h, slog.Any("any", s), slog.Group("g", "ptr", &s))
	}
	outputs = append(outputs, logs.String())

	for _, out := range outputs {
		if strings.Contains(out, "SECRETTOKENXYZ") || strings.Contains(out, "hooks.slack.com") {
			t.Errorf("secret printed: %s", out)
		}
		if !strings.Contains(out, "<secret>") && !strings.Contains(out, `\u003csecret\u003e`) {
			t.Errorf("no <secret> in %s", out)
		}
	}
	if s.Reveal() != testWebhook {
		t.Error("Reveal lost the value")
	}
}

func TestRedactedURL(t *testing.T) {
	for in, want := range map[Secret]string{
		testWebhook:                    "https://hooks.slack.com/<secret>",
		"http://127.0.0.1:8080/hook/x": "http://127.0.0.1:8080/<secret>",
		"https://u:pw@example.com/x":   "<secret>",
		"not a url":                    "<secret>",
		"":                             "(none)",
	} {
		if got := in.RedactedURL(); got != want {
			t.Errorf("RedactedURL() = %q, want %q", got, want)
		}
	}
}
