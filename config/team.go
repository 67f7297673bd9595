package config

import (
	"cmp"
	"fmt"
	"strings"
	"time"
)

// Team is what [watch] says of mutes, reminders, repeated failures and
// kamobot's watch over itself.
type Team struct {
	// Muted is what becomes of an event a mute holds: MutedDigest (kept
	// for the digest posted when the mute ends) or MutedDrop.
	Muted string
	// Remind lists when a job still stuck pending, or still in trouble, is
	// reminded of, counted from when it began waiting (or its trouble); the
	// last step repeats. Nil: no reminders.
	Remind []time.Duration
	// FailingCount failures of one job name (or one series, FailingBy)
	// within FailingWithin post one "failing repeatedly" message; 0
	// disables it.
	FailingCount  int
	FailingWithin time.Duration
	// FailingBy is how failures are grouped: FailingByName (the exact job
	// name) or FailingBySeries (one owner's names that differ only by a
	// trailing run number or date, "resnet-run-12" and "resnet-run-13").
	FailingBy string
	// SelfAlertAfter is how long KAMONOHASHI may be unreachable (or refuse
	// kamobot's login) before the channel is told; 0 disables it.
	SelfAlertAfter time.Duration
}

// How failures are grouped for failing_repeatedly.
const (
	FailingByName   = "name"
	FailingBySeries = "series"
)

// What a mute does with the events it holds.
const (
	MutedDigest = "digest"
	MutedDrop   = "drop"
)

const (
	defaultMuted          = MutedDigest
	defaultFailingCount   = 3
	defaultFailingWithin  = 24 * time.Hour
	defaultSelfAlertAfter = "10m"
	minRemindStep         = 10 * time.Minute
	maxFailingCount       = 100
)

// DefaultRemind is the reminder steps when [watch] remind is not set.
func DefaultRemind() []time.Duration {
	return []time.Duration{time.Hour, 4 * time.Hour, 24 * time.Hour}
}

// RemindAt is how long after a job began waiting (or its trouble) its
// reminder number n (from 0) is due: the steps in order, then the last
// step again and again. ok is false when reminders are off.
func (t Team) RemindAt(n int) (d time.Duration, ok bool) {
	if len(t.Remind) == 0 || n < 0 {
		return 0, false
	}
	if n < len(t.Remind) {
		return t.Remind[n], true
	}
	last := t.Remind[len(t.Remind)-1]
	return last * time.Duration(n-len(t.Remind)+2), true
}

type failingFile struct {
	Count  *int64  `toml:"count"`
	Within *string `toml:"within"`
	By     *string `toml:"by"`
}

// team checks the team keys of [watch], applying the defaults.
func (c *checker) team(f *watchFile, t *Team) {
	t.Muted = c.oneOf("watch.muted", f.Muted, defaultMuted,
		"%q: want \"digest\" (held events come in a digest when the mute ends) or \"drop\"", MutedDigest, MutedDrop)
	t.Remind = c.remind(f.Remind)
	fr := cmp.Or(f.FailingRepeatedly, &failingFile{})
	t.FailingBy = c.oneOf("watch.failing_repeatedly.by", fr.By, FailingByName, "%q: want \"name\" (the same job name) or \"series\" "+
		"(one owner's names that differ only by a trailing run number or date)", FailingByName, FailingBySeries)
	t.FailingCount, t.FailingWithin = defaultFailingCount, defaultFailingWithin
	if fr.Count != nil {
		switch n := *fr.Count; {
		case n == 0:
			t.FailingCount = 0
		case n < 2 || n > maxFailingCount:
			c.errorf("watch.failing_repeatedly.count", "%d: want 2 to %d failures (or 0 to switch it off)", n, maxFailingCount)
		default:
			t.FailingCount = int(n)
		}
	}
	if fr.Within != nil {
		d, err := parseDuration(*fr.Within, false)
		switch {
		case err != nil:
			c.errorf("watch.failing_repeatedly.within", "%v", err)
		case d < time.Hour || d > 30*24*time.Hour:
			c.errorf("watch.failing_repeatedly.within", "%s: want 1h to 30 days", fmtDuration(d))
		default:
			t.FailingWithin = d
		}
	}
	t.SelfAlertAfter = c.alertAfter("self_alert_after", f.SelfAlertAfter, defaultSelfAlertAfter, "")
}

// remind checks [watch] remind: an array of growing durations, or "off".
func (c *checker) remind(v any) []time.Duration {
	const p = "watch.remind"
	switch v := v.(type) {
	case nil:
		return DefaultRemind()
	case string:
		if isOff(v) {
			return nil
		}
		c.errorf(p, "%q: want an array of durations such as [\"1h\", \"4h\", \"24h\"], or \"off\"", v)
		return nil
	case []any:
		var out []time.Duration
		for i, e := range v {
			s, ok := e.(string)
			if !ok {
				c.errorf(elem(p, i), "%v: want a duration in quotes, such as \"4h\"", e)
				return nil
			}
			d, err := parseDuration(s, false)
			switch {
			case err != nil:
				c.errorf(elem(p, i), "%v", err)
				return nil
			case d < minRemindStep:
				c.errorf(elem(p, i), "%s is too short: the minimum is %s", fmtDuration(d), fmtDuration(minRemindStep))
				return nil
			case len(out) > 0 && d <= out[len(out)-1]:
				c.errorf(elem(p, i), "%s: each step must come after the one before (%s)", fmtDuration(d), fmtDuration(out[len(out)-1]))
				return nil
			}
			out = append(out, d)
		}
		return out
	}
	c.errorf(p, "%v: want an array of durations such as [\"1h\", \"4h\", \"24h\"], or \"off\"", fmt.Sprint(v))
	return nil
}

// Describe says the effective team settings, one line per [watch] key,
// for config check.
func (t Team) Describe() []string {
	muted := `muted = "digest": events a mute holds come in a digest when it ends`
	if t.Muted == MutedDrop {
		muted = `muted = "drop": events a mute holds are dropped`
	}
	remind := "remind = off"
	if n := len(t.Remind); n > 0 {
		steps := make([]string, n)
		for i, d := range t.Remind {
			steps[i] = fmtDuration(d)
		}
		remind = fmt.Sprintf("remind = after %s, then every %s", strings.Join(steps, ", "), steps[n-1])
	}
	failing := fmt.Sprintf("failing_repeatedly = %d failures within %s of one job name", t.FailingCount, fmtDuration(t.FailingWithin))
	switch {
	case t.FailingCount == 0:
		failing = "failing_repeatedly = off"
	case t.FailingBy == FailingBySeries:
		failing = fmt.Sprintf("failing_repeatedly = %d failures within %s of one owner's series "+
			"(names differing only by a trailing run number or date)", t.FailingCount, fmtDuration(t.FailingWithin))
	}
	self := "self_alert_after = off"
	if t.SelfAlertAfter != 0 {
		self = "self_alert_after = " + fmtDuration(t.SelfAlertAfter)
	}
	return []string{muted, remind, failing, self}
}
