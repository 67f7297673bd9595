package commands

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// newLogger builds the slog logger: text (default) or JSON, to w.
func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usageErrorf("--log-level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(format) {
	case "", "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usageErrorf("--log-format %q: use text or json", format)
}

// errAttr is how errors appear in logs.
func errAttr(err error) slog.Attr { return slog.String("err", fmt.Sprint(err)) }
