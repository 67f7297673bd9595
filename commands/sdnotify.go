package commands

import (
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

// sdNotifier tells systemd (Type=notify) how the watch loop does: READY=1,
// STATUS=, WATCHDOG=1, STOPPING=1. Without NOTIFY_SOCKET it does nothing.
// Only the loop itself calls it, so a hung loop stops the watchdog pings
// and systemd restarts the service.
type sdNotifier struct {
	log *slog.Logger
	// every is how often the loop must ping while it waits: half of
	// WatchdogSec, as sd_watchdog_enabled(3) advises; 0 without a watchdog.
	every time.Duration
	once  sync.Once
}

func newSDNotifier(log *slog.Logger) *sdNotifier {
	wd, err := daemon.SdWatchdogEnabled(false)
	if err != nil {
		log.Warn("ignoring the systemd watchdog setting", errAttr(err))
	}
	return &sdNotifier{log: log, every: wd / 2}
}

// notify sends the lines as one datagram. A failure is logged once: the
// service manager may be gone while the work goes on.
func (s *sdNotifier) notify(lines ...string) {
	if _, err := daemon.SdNotify(false, strings.Join(lines, "\n")); err != nil {
		s.once.Do(func() { s.log.Warn("cannot notify systemd", errAttr(err)) })
	}
}
