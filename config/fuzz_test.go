package config

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fuzzEnv gives what a config needs besides the file, so that a fuzzed
// file is judged on its own content.
func fuzzEnv() func(string) string {
	return envMap(map[string]string{
		EnvServer:       "https://kamonohashi.example.com",
		EnvUser:         "fuzz",
		EnvPassword:     "fuzz-password-value",
		EnvSlackWebhook: "https://hooks.slack.com/services/T0/B0/FUZZWEBHOOKVALUE",
	})
}

// checkLoadResult checks Load's promises whatever the input: every problem
// is an *Error with a line or a key, no secret shows, and a Config comes
// back complete.
func checkLoadResult(t *testing.T, cfg *Config, warns []Warning, err error) {
	t.Helper()
	for _, e := range leafErrors(t, err) {
		if e.Line == 0 && e.Key == "" {
			t.Errorf("error without line or key: %q", e)
		}
		if !errors.Is(e, ErrInvalid) && !errors.Is(e, ErrInsecurePermissions) && !errors.Is(e, ErrNotConfigured) && e.Err == nil {
			t.Errorf("error wraps nothing: %q", e)
		}
	}
	assertNoSecret(t, err, warns, "fuzz-password-value", "FUZZWEBHOOKVALUE")
	if err != nil {
		if cfg != nil {
			t.Error("a Config with an error")
		}
		return
	}
	if cfg == nil || cfg.Schedule == nil || cfg.Kamonohashi.Location == nil || cfg.Watch.Interval < 5e9 ||
		len(cfg.Watch.Kinds) == 0 || cfg.Kamonohashi.Password.IsZero() {
		t.Errorf("incomplete config: %+v", cfg)
	}
}

// FuzzLoad feeds random files to the loader: it must never panic, and
// must keep its promises about errors. Seeds: testdata/fuzz/FuzzLoad.
func FuzzLoad(f *testing.F) {
	dir := f.TempDir()
	path := filepath.Join(dir, "config.toml")
	f.Fuzz(func(t *testing.T, data string) {
		cfg, warns, err := load(path, []byte(data), true, 0o600, fuzzEnv())
		checkLoadResult(t, cfg, warns, err)
		if cfg != nil {
			// The schedule answers, whatever it says.
			now := time.Date(2026, 12, 28, 12, 0, 0, 0, time.UTC)
			for _, d := range cfg.Schedule.Week(now) {
				_ = d.String()
			}
			cfg.Schedule.NextOpen(now)
			cfg.Schedule.NextClose(now)
		}
	})
}

// FuzzImportLegacy feeds random old-bot files to the importer: it must
// never panic, every error must be an *Error naming its file, and a
// translation must always load. Seeds: testdata/fuzz/FuzzImportLegacy.
func FuzzImportLegacy(f *testing.F) {
	dir := f.TempDir()
	path := filepath.Join(dir, "config.toml")
	f.Fuzz(func(t *testing.T, configJSON, secureJSON, messageJSON []byte) {
		out, _, warns, err := ImportLegacy(configJSON, secureJSON, messageJSON)
		if err != nil {
			if configJSON == nil && secureJSON == nil && messageJSON == nil {
				return
			}
			for _, e := range leafErrors(t, err) {
				if !strings.HasSuffix(e.File, ".json") {
					t.Errorf("error without its file: %q", e)
				}
			}
			return
		}
		for _, w := range warns {
			if !strings.HasSuffix(w.File, ".json") || w.Key == "" && w.Line == 0 {
				t.Errorf("warning without file and key: %q", w)
			}
		}
		cfg, lwarns, lerr := load(path, out, true, 0o600, fuzzEnv())
		if lerr != nil {
			t.Fatalf("translation does not load: %v\n%s", lerr, out)
		}
		checkLoadResult(t, cfg, lwarns, lerr)
	})
}
