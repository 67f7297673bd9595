package commands

import (
	"runtime/debug"

	"github.com/urfave/cli/v2"
)

// BuildInfo names this build. Version is set at link time
// (-ldflags "-X main.version=v1.2.3"); the rest comes from the Go build info.
type BuildInfo struct {
	Version   string
	Commit    string
	GoVersion string
	Modified  bool
}

// ReadBuildInfo fills BuildInfo from the binary, with version as the
// link-time version ("" for a development build).
func ReadBuildInfo(version string) BuildInfo {
	b := BuildInfo{Version: version, Commit: "unknown", GoVersion: "unknown"}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	b.GoVersion = bi.GoVersion
	if b.Version == "" {
		b.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Commit = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	if b.Version == "" || b.Version == "(devel)" {
		b.Version = "dev"
	}
	return b
}

// UserAgent is the User-Agent kamobot sends.
func (b BuildInfo) UserAgent() string { return "kamobot/" + b.Version }

func newVersionCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:   "version",
		Usage:  "print version, commit and Go version",
		Action: func(*cli.Context) error { return printVersion(d) },
	}
}
