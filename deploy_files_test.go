package main

import (
	"bufio"
	"bytes"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The tests here check the Dockerfile and the systemd unit under deploy/
// against what a container runtime and systemd accept and what kamobot
// expects of them; deploy_k8s_test.go checks the Kubernetes manifests.

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd  string // upper case: FROM, RUN, ...
	args string
}

func parseDockerfile(t *testing.T, path string) []instruction {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []instruction
	var cur strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if s, ok := strings.CutSuffix(line, `\`); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(line)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, instruction{strings.ToUpper(cmd), strings.TrimSpace(args)})
		cur.Reset()
	}
	return out
}

func TestDeployDockerfile(t *testing.T) {
	ins := parseDockerfile(t, "deploy/Dockerfile")
	var stages [][]instruction // instructions by stage
	var aliases []string
	for _, in := range ins {
		if in.cmd == "FROM" {
			stages = append(stages, nil)
			if f := strings.Fields(in.args); len(f) == 3 && strings.EqualFold(f[1], "AS") {
				aliases = append(aliases, f[2])
			}
		}
		if len(stages) == 0 {
			t.Fatalf("%s before FROM", in.cmd)
		}
		stages[len(stages)-1] = append(stages[len(stages)-1], in)
	}
	if len(stages) < 2 || len(aliases) == 0 {
		t.Fatalf("want a multi-stage build with a named build stage, got %d stages", len(stages))
	}
	build := slices.ContainsFunc(ins, func(in instruction) bool {
		return in.cmd == "RUN" && strings.Contains(in.args, "CGO_ENABLED=0") && strings.Contains(in.args, "go build") &&
			strings.Contains(in.args, "-trimpath")
	})
	if !build {
		t.Error("want RUN CGO_ENABLED=0 go build -trimpath (a static binary)")
	}

	final := stages[len(stages)-1]
	base := strings.Fields(final[0].args)[0]
	if !strings.HasPrefix(base, "gcr.io/distroless/static") && base != "scratch" {
		t.Errorf("final base %q, want a minimal one (distroless static or scratch)", base)
	}
	has := func(cmd, pattern string) bool {
		re := regexp.MustCompile(pattern)
		return slices.ContainsFunc(final, func(in instruction) bool { return in.cmd == cmd && re.MatchString(in.args) })
	}
	if !has("COPY", `^--from=(`+strings.Join(aliases, "|")+`)\s`) {
		t.Error("the final stage copies nothing from the build stage")
	}
	var user string
	for _, in := range final {
		if in.cmd == "USER" {
			user = in.args
		}
	}
	if name, _, _ := strings.Cut(user, ":"); user == "" || name == "root" || name == "0" {
		t.Errorf("USER %q, want a non-root user in the final stage", user)
	}
	if !has("ENTRYPOINT", `kamobot"?\]?$`) {
		t.Error("the entrypoint is not kamobot")
	}
	if !has("EXPOSE", `^9465$`) || !has("CMD", `"--metrics-addr", ":9465"`) {
		t.Error("want EXPOSE 9465 and a CMD serving metrics on :9465 (a container's port must listen beyond loopback)")
	}
	checkStateVolume(t, stages, aliases, user)
	checkHealthcheck(t, final)
}

// checkStateVolume: the state directory is a VOLUME that exists in the
// image, owned by the user kamobot runs as, before VOLUME declares it. A
// new named volume is filled from it, owner included; a directory Docker
// makes for a VOLUME is root's, and kamobot, not root, cannot write it.
func checkStateVolume(t *testing.T, stages [][]instruction, aliases []string, user string) {
	t.Helper()
	final := stages[len(stages)-1]
	var stateDir string
	volumeAt := -1
	for i, in := range final {
		switch in.cmd {
		case "ENV":
			if v, ok := strings.CutPrefix(in.args, "KAMOBOT_STATE="); ok {
				stateDir = path.Dir(strings.Trim(v, `"`))
			}
		case "VOLUME":
			if strings.Contains(in.args, `"/var/lib/kamobot"`) || strings.Fields(in.args)[0] == "/var/lib/kamobot" {
				volumeAt = i
			}
		}
	}
	if stateDir != "/var/lib/kamobot" || volumeAt < 0 {
		t.Fatalf("KAMOBOT_STATE in %q and VOLUME at %d: want the state file on VOLUME /var/lib/kamobot", stateDir, volumeAt)
	}
	copyRe := regexp.MustCompile(`^--from=(` + strings.Join(aliases, "|") + `)\s+--chown=(\S+)\s+(\S+)\s+` +
		regexp.QuoteMeta(stateDir) + `/?$`)
	made := false
	for i, in := range final {
		m := copyRe.FindStringSubmatch(in.args)
		if in.cmd != "COPY" || m == nil {
			continue
		}
		made = true
		if i > volumeAt {
			t.Errorf("the state directory is copied in after VOLUME: Docker discards changes to a volume path")
		}
		if m[2] != user {
			t.Errorf("the state directory is owned by %s, but kamobot runs as USER %s", m[2], user)
		}
		// The build stage named makes the directory it is copied from.
		src := m[3]
		for si, a := range aliases {
			if a != m[1] {
				continue
			}
			if !slices.ContainsFunc(stages[si], func(in instruction) bool {
				return in.cmd == "RUN" && strings.Contains(in.args, "mkdir") && strings.Contains(in.args, src)
			}) {
				t.Errorf("stage %s does not make %s", a, src)
			}
		}
	}
	if !made {
		t.Errorf("the image does not make %s owned by %s before VOLUME (want COPY --from=<build> --chown=%s <dir> %s)",
			stateDir, user, user, stateDir)
	}
	if !regexp.MustCompile(`^\d+:\d+$`).MatchString(user) {
		t.Errorf("USER %q: want numeric uid:gid (Kubernetes' runAsNonRoot can only check a number)", user)
	}
}

// checkHealthcheck: a HEALTHCHECK must run kamobot itself in exec form (a
// distroless image has no shell, curl or wget); without one, the
// Dockerfile says why not.
func checkHealthcheck(t *testing.T, final []instruction) {
	t.Helper()
	for _, in := range final {
		if in.cmd != "HEALTHCHECK" {
			continue
		}
		if in.args == "NONE" {
			break
		}
		if !regexp.MustCompile(`CMD \["/usr/local/bin/kamobot",`).MatchString(in.args) {
			t.Errorf("HEALTHCHECK %s: want the exec form running kamobot (no shell, curl or wget in the image)", in.args)
		}
		return
	}
	raw, err := os.ReadFile("deploy/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	why := regexp.MustCompile(`(?m)^# No HEALTHCHECK: .*\n(# .*\n)*`).Find(raw)
	if why == nil {
		t.Fatal("no HEALTHCHECK and no `# No HEALTHCHECK: ...` comment saying why not")
	}
	for _, word := range []string{"/livez", "/healthz", "curl"} {
		if !bytes.Contains(why, []byte(word)) {
			t.Errorf("the reason for no HEALTHCHECK does not mention %s:\n%s", word, why)
		}
	}
}

func TestDeploySystemdUnit(t *testing.T) {
	raw, err := os.ReadFile("deploy/kamobot.service")
	if err != nil {
		t.Fatal(err)
	}
	service := map[string][]string{}
	section := ""
	for line := range strings.Lines(string(raw)) {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "["):
			section = line
		case section == "[Service]":
			k, v, _ := strings.Cut(line, "=")
			service[k] = append(service[k], v)
		}
	}
	for k, want := range map[string]string{
		"Type": "notify", "Restart": "on-failure", "DynamicUser": "yes", "StateDirectory": "kamobot",
		"StateDirectoryMode": "0700", "UMask": "0077", "NoNewPrivileges": "yes", "ProtectSystem": "strict",
		"ProtectHome": "yes", "PrivateTmp": "yes", "PrivateDevices": "yes", "ProtectKernelTunables": "yes",
		"ProtectKernelModules": "yes", "ProtectControlGroups": "yes", "RestrictNamespaces": "yes",
		"LockPersonality": "yes", "MemoryDenyWriteExecute": "yes", "SystemCallArchitectures": "native",
		"CapabilityBoundingSet": "",
	} {
		if got := service[k]; !slices.Contains(got, want) {
			t.Errorf("[Service] %s=%q, want %q", k, got, want)
		}
	}
	if w := service["WatchdogSec"]; len(w) == 0 || w[0] == "0" || w[0] == "" {
		t.Errorf("WatchdogSec %q: kamobot pings the watchdog; set it above interval + the longest pass", w)
	}
	if f := strings.Fields(strings.Join(service["RestartPreventExitStatus"], " ")); !slices.Contains(f, "78") || !slices.Contains(f, "77") {
		t.Errorf("RestartPreventExitStatus %q: want 77 and 78, which a restart cannot fix", f)
	}
	if f := strings.Fields(strings.Join(service["RestrictAddressFamilies"], " ")); !slices.Contains(f, "AF_UNIX") || !slices.Contains(f, "AF_INET") {
		t.Errorf("RestrictAddressFamilies %q: want AF_UNIX (NOTIFY_SOCKET) and AF_INET", f)
	}
	if !slices.ContainsFunc(service["SystemCallFilter"], func(v string) bool { return strings.Contains(v, "@system-service") }) {
		t.Error("no SystemCallFilter=@system-service")
	}
	if es := service["ExecStart"]; len(es) != 1 || !strings.Contains(es[0], " watch") {
		t.Errorf("ExecStart %q, want kamobot watch", es)
	}
	creds := strings.Join(service["LoadCredential"], " ")
	for _, name := range []string{"kamonohashi-password:", "slack-webhook:"} {
		if !strings.Contains(creds, name) {
			t.Errorf("no LoadCredential=%s...: the secrets come as systemd credentials", name)
		}
	}
	for _, e := range service["Environment"] {
		if strings.Contains(e, "KAMOBOT_PASSWORD=") || strings.Contains(e, "KAMOBOT_SLACK_WEBHOOK=") {
			t.Errorf("Environment=%s: a secret in the unit is readable by systemctl show", e)
		}
	}
}
