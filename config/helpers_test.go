package config

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// envMap returns an env function reading from m.
func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// writeFile writes content to name in dir with mode and returns its path.
func writeFile(t *testing.T, dir, name, content string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	// WriteFile's mode is filtered by the umask; set it exactly.
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

// testSecrets are the secret values tests use; no error or warning may
// ever contain one of them.
const (
	testPassword = "hunter2-s3cret-pw"
	testWebhook  = "https://hooks.slack.com/services/T0000/B0000/SECRETTOKENXYZ"
)

// configDir makes a directory with the password and webhook files that
// the configs in tests refer to, and returns it.
func configDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, dir, "password", testPassword+"\n", 0o600)
	writeFile(t, dir, "webhook", testWebhook+"\n", 0o600)
	return dir
}

// minimal is the smallest config that loads.
const minimal = `
[kamonohashi]
server = "https://kamonohashi.example.com"
user = "watch-only"
password_file = "password"
`

// loadString writes src as config.toml (mode 0600) into dir and loads it.
func loadString(t *testing.T, dir, src string, env map[string]string) (*Config, []Warning, error) {
	t.Helper()
	path := writeFile(t, dir, "config.toml", src, 0o600)
	return Load(path, envMap(env))
}

// leafErrors flattens a tree of joined errors into its *Error leaves; any
// other leaf fails the test.
func leafErrors(t *testing.T, err error) []*Error {
	t.Helper()
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []*Error
		for _, e := range j.Unwrap() {
			out = append(out, leafErrors(t, e)...)
		}
		return out
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %q (%T) is not a *config.Error", err, err)
	}
	return []*Error{e}
}

// assertNoSecret fails if a secret value appears in err or warnings.
func assertNoSecret(t *testing.T, err error, warns []Warning, secrets ...string) {
	t.Helper()
	var texts []string
	if err != nil {
		texts = append(texts, err.Error())
	}
	for _, w := range warns {
		texts = append(texts, w.String())
	}
	for _, text := range texts {
		for _, s := range append(secrets, testPassword, testWebhook, "SECRETTOKENXYZ") {
			if s != "" && strings.Contains(text, s) {
				t.Errorf("secret %q leaked in %q", s, text)
			}
		}
	}
}

// diff compares with go-cmp and fails with the diff.
func diff(t *testing.T, what string, want, got any, opts ...cmp.Option) {
	t.Helper()
	if d := cmp.Diff(want, got, opts...); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}
