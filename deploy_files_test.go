package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
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

// checkHealthcheck: the HEALTHCHECK runs `kamobot health` in exec form (a
// distroless image has no shell, curl or wget) against loopback on the
// port the CMD's --metrics-addr serves, on /livez or /healthz, with a
// comment saying why that path; and the binary takes its arguments:
// run against a server answering that path, it exits 0.
func checkHealthcheck(t *testing.T, final []instruction) {
	t.Helper()
	var hc, cmd string
	for _, in := range final {
		switch in.cmd {
		case "HEALTHCHECK":
			hc = in.args
		case "CMD":
			cmd = in.args
		}
	}
	if hc == "" || hc == "NONE" {
		t.Fatal("no HEALTHCHECK: want one running `kamobot health` (exec form)")
	}
	m := regexp.MustCompile(`CMD (\[.*\])$`).FindStringSubmatch(hc)
	var argv []string
	if m == nil || json.Unmarshal([]byte(m[1]), &argv) != nil || len(argv) < 2 ||
		argv[0] != "/usr/local/bin/kamobot" || argv[1] != "health" {
		t.Fatalf("HEALTHCHECK %s: want CMD [\"/usr/local/bin/kamobot\", \"health\", ...] (exec form: no shell in the image)", hc)
	}
	i := slices.Index(argv, "--url")
	if i < 0 || i+1 >= len(argv) {
		t.Fatalf("HEALTHCHECK %s: no --url", hc)
	}
	u, err := url.Parse(argv[i+1])
	if err != nil {
		t.Fatal(err)
	}
	if u.Path != "/livez" && u.Path != "/healthz" {
		t.Errorf("HEALTHCHECK asks %s: want /livez or /healthz", u.Path)
	}
	// The check runs inside the container: loopback, on the port watch serves.
	addr := regexp.MustCompile(`"--metrics-addr", "([^"]*)"`).FindStringSubmatch(cmd)
	if addr == nil {
		t.Fatalf("CMD %s: watch serves no metrics address for the HEALTHCHECK to ask", cmd)
	}
	host, port, err := net.SplitHostPort(addr[1])
	if err != nil {
		t.Fatal(err)
	}
	if u.Hostname() != "127.0.0.1" || u.Port() != port || (host != "" && host != "0.0.0.0" && host != "127.0.0.1") {
		t.Errorf("HEALTHCHECK asks %s, CMD serves %s: want the check on 127.0.0.1:%s, served there", u.Host, addr[1], port)
	}
	raw, err := os.ReadFile("deploy/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	why := regexp.MustCompile(`(?m)((?:^# .*\n)+)^HEALTHCHECK `).FindSubmatch(raw)
	if why == nil {
		t.Fatal("no comment before HEALTHCHECK saying why it asks the path it does")
	}
	for _, word := range []string{"/livez", "/healthz", "curl", "restart"} {
		if !bytes.Contains(why[1], []byte(word)) {
			t.Errorf("the comment on HEALTHCHECK does not mention %s:\n%s", word, why[1])
		}
	}

	// The binary takes these arguments: against a server answering the
	// path it exits 0, against one answering 503 it exits 69.
	for _, status := range []int{http.StatusOK, http.StatusServiceUnavailable} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != u.Path {
				http.NotFound(w, r)
				return
			}
			w.WriteHeader(status)
		}))
		args := slices.Clone(argv[1:])
		args[i] = srv.URL + u.Path
		out, err := exec.Command(kamobotBin.Path(t), args...).CombinedOutput()
		srv.Close()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if want := map[int]int{http.StatusOK: 0, http.StatusServiceUnavailable: 69}[status]; code != want {
			t.Errorf("the HEALTHCHECK's command against a server answering %d: exit %d, want %d\n%s", status, code, want, out)
		}
	}
}
