package main

import (
	"context"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api"
	"github.com/kamobot/kamobot/api/kqifake"
	"github.com/kamobot/kamobot/notify/slackfake"
)

// The world of one secrets canary run (see secrets_test.go): its fakes,
// its files, and running kamobot in it with every output searched.

// canaryWorld is the fakes and the files of one canary run.
type canaryWorld struct {
	t       *testing.T
	bin     string // the kamobot binary
	dir     string
	format  string // text or json
	kqi     *kqifake.Server
	slack   *slackfake.Server
	hook    string // the webhook URL, with canaryWebhook as its secret
	tenant  int64
	jobID   int64
	env     map[string]string
	cfgPath string
	state   string
	// secretFiles may hold a canary: they are where the secrets come from
	// (or where import-legacy was asked to put them).
	secretFiles map[string]bool
	// debugSeen collects the debug messages seen, to check that the search
	// was over something.
	debugSeen map[string]bool
}

func newCanaryWorld(t *testing.T, format string) *canaryWorld {
	t.Helper()
	w := &canaryWorld{t: t, bin: kamobotBin.Path(t), dir: t.TempDir(), format: format, secretFiles: map[string]bool{}, debugSeen: map[string]bool{}}
	w.kqi = kqifake.New(kqifake.Options{TokenCanary: canaryToken + "x9"})
	if err := w.kqi.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = w.kqi.Close() })
	w.tenant = w.kqi.AddTenant("vision", "Vision")
	w.kqi.AddAccount("kamobot", canaryPassword, w.tenant)
	j, err := w.kqi.AddJob(kqifake.NewJob{Tenant: "vision", Kind: api.KindTraining, Name: "resnet50", CreatedBy: "alice", Status: "Running", GPU: 2})
	if err != nil {
		t.Fatal(err)
	}
	w.jobID = j.ID
	w.slack = slackfake.NewTest(t)
	w.hook = w.slack.HookURL("T0CANARY", "B0CANARY", canaryWebhook)
	w.cfgPath = filepath.Join(w.dir, "config.toml")
	w.state = filepath.Join(w.dir, "state", "state.json")
	w.env = map[string]string{}
	return w
}

// newFileConfigWorld is a world whose config file names the secret files.
func newFileConfigWorld(t *testing.T, format string) *canaryWorld {
	t.Helper()
	w := newCanaryWorld(t, format)
	w.write(w.cfgPath, `[kamonohashi]
server = "`+w.kqi.URL()+`"
user = "kamobot"
password_file = "`+w.secret("password", canaryPassword)+`"

[slack]
webhook_file = "`+w.secret("webhook", w.hook)+`"
language = "en"

[watch]
stuck_pending_after = "off"
long_running_after = "off"
summary_after_silence = "off"
`, 0o600)
	return w
}

// secret writes a secret file (mode 0600) under dir/secrets.
func (w *canaryWorld) secret(name, value string) string {
	w.t.Helper()
	path := filepath.Join(w.dir, "secrets", name)
	w.write(path, value+"\n", 0o600)
	w.secretFiles[path] = true
	return path
}

func (w *canaryWorld) write(path, content string, mode fs.FileMode) {
	w.t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		w.t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		w.t.Fatal(err)
	}
}

// run runs kamobot with the global flags of the world, checks the exit
// code and that no canary is in its output, and returns stdout and stderr.
// env adds to (or, with "", removes from) the world's environment.
func (w *canaryWorld) run(wantCode int, env map[string]string, args ...string) (string, string) {
	w.t.Helper()
	p := w.start(env, args...)
	return w.wait(p, wantCode, args)
}

// start starts kamobot with the global flags of the world.
func (w *canaryWorld) start(env map[string]string, args ...string) *process {
	w.t.Helper()
	vars := maps.Clone(w.env)
	maps.Copy(vars, env)
	full := append([]string{"--log-level", "debug", "--log-format", w.format,
		"--config", w.cfgPath, "--state", w.state}, args...)
	p, err := startKamobot(w.t.Context(), command{Bin: w.bin, Args: full, Env: processEnv(w.dir, vars)})
	if err != nil {
		w.t.Fatal(err)
	}
	return p
}

// wait waits for a kamobot that start started, and checks it as run does.
func (w *canaryWorld) wait(p *process, wantCode int, args []string) (string, string) {
	w.t.Helper()
	r, err := p.Wait()
	what := strings.Join(args, " ")
	if err != nil {
		w.t.Errorf("kamobot %s: %v\nstdout:\n%s\nstderr:\n%s", what, err, r.Stdout, r.Stderr)
	} else if r.Code != wantCode {
		w.t.Errorf("kamobot %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", what, r.Code, wantCode, r.Stdout, r.Stderr)
	}
	w.assertClean("stdout of kamobot "+what, r.Stdout)
	w.assertClean("stderr of kamobot "+what, r.Stderr)
	for _, msg := range []string{"kamonohashi request", "slack post"} {
		if strings.Contains(r.Stderr, msg) {
			w.debugSeen[msg] = true
		}
	}
	return r.Stdout, r.Stderr
}

// watchOnePass runs `watch --interval 1h` until it has ended its first
// pass (it tells systemd so), then stops it with SIGINT: exit 0.
func (w *canaryWorld) watchOnePass() {
	w.t.Helper()
	sd := listenNotify(w.t)
	args := []string{"watch", "--interval", "1h"}
	p := w.start(map[string]string{"NOTIFY_SOCKET": sd.Path}, args...)
	ctx, cancel := context.WithTimeout(w.t.Context(), time.Minute)
	defer cancel()
	if _, err := sd.Wait(ctx, "STATUS=last pass"); err != nil {
		w.t.Error(err)
	}
	if err := p.Signal(os.Interrupt); err != nil {
		w.t.Error(err)
	}
	w.wait(p, 0, args)
}

// assertClean fails if text holds a canary, or if the Redactor had to mask
// something in it.
func (w *canaryWorld) assertClean(what, text string) {
	w.t.Helper()
	if loc := canary.FindStringIndex(text); loc != nil {
		w.t.Errorf("%s leaks a secret: …%s…", what, text[max(0, loc[0]-80):min(len(text), loc[1]+40)])
	}
	if i := strings.Index(text, "<redacted>"); i >= 0 {
		w.t.Errorf("%s: the redactor had to mask a secret: …%s…", what, text[max(0, i-80):min(len(text), i+40)])
	}
}

// assertFilesClean searches every file under the world's directory, but
// the secret files, for a canary.
func (w *canaryWorld) assertFilesClean() {
	w.t.Helper()
	n := 0
	err := filepath.WalkDir(w.dir, func(path string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() || w.secretFiles[path] {
			return err
		}
		if de.Name() == "tokens.json" && filepath.Dir(path) == filepath.Dir(w.state) {
			// The token cache holds the KAMONOHASHI tokens by necessity:
			// it must be private, and nothing else may hold them.
			switch fi, err := os.Stat(path); {
			case err != nil:
				w.t.Error(err)
			case fi.Mode().Perm() != 0o600:
				w.t.Errorf("token cache %s: mode %v, want 0600", path, fi.Mode().Perm())
			}
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		w.assertClean(path, string(data))
		return nil
	})
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := os.Stat(w.state); err != nil {
		w.t.Errorf("no state file was written: %v", err)
	}
	w.t.Logf("searched %d files written by kamobot", n)
}

// assertDebugSeen checks that debug logging showed the KAMONOHASHI
// exchanges and the Slack posts, so that the search was meaningful.
func (w *canaryWorld) assertDebugSeen() {
	w.t.Helper()
	for _, msg := range []string{"kamonohashi request", "slack post"} {
		if !w.debugSeen[msg] {
			w.t.Errorf("no %q debug line in any output: the canary search proves little", msg)
		}
	}
	if len(w.slack.MessagesFor(w.hook)) == 0 {
		w.t.Error("the fake Slack got nothing at the canary webhook")
	}
}

// finish moves the job to status, so the next pass has an ending to post.
func (w *canaryWorld) finish(status, note string) {
	w.t.Helper()
	j, err := w.kqi.AddJob(kqifake.NewJob{Tenant: "vision", Kind: api.KindTraining, Name: "job-" + strings.ToLower(status),
		CreatedBy: "bob", Status: "Running", GPU: 1})
	if err != nil {
		w.t.Fatal(err)
	}
	// Seen running first, then ended.
	w.run(0, nil, "check")
	if err := w.kqi.SetStatus(api.KindTraining, j.ID, kqifake.StatusUpdate{Status: status, ConditionNote: note}); err != nil {
		w.t.Fatal(err)
	}
	if status == "Failed" {
		// Read straight after Running, a Failed is confirmed by a second
		// read before it is reported (job.needsConfirm): this check holds
		// it, the caller's next pass reports it.
		w.run(0, nil, "check")
	}
}
