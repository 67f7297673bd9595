package job

import (
	"regexp"
	"slices"
	"strings"

	"github.com/kamobot/kamobot/api"
)

// The words a job's memo (or a training's tags) may carry to steer
// kamobot, set where the job is made. They are matched case-sensitively,
// anywhere in the memo, separated by spaces, commas or new lines.
const (
	// WordQuiet: no message about the job at all.
	WordQuiet = "kamobot:quiet"
	// WordLoud: the job's events are sent at once, even outside office
	// hours.
	WordLoud = "kamobot:loud"
	// WordMention prefixes a Slack user ID (U…, W…) or user group ID (S…)
	// to mention on the job's events: "kamobot:mention=U01ABCDEF".
	WordMention = "kamobot:mention="
)

// Control is what a job's words ask of kamobot.
type Control struct {
	Quiet bool
	Loud  bool
	// Mentions are the valid Slack IDs of kamobot:mention=, in order.
	Mentions []string
	// Invalid are kamobot: words not understood (a mention of no valid
	// ID, an unknown word); they are ignored with a warning.
	Invalid []string
}

// slackID is the form of a Slack user (U, W) or user group (S) ID.
var slackID = regexp.MustCompile(`^[UWS][A-Z0-9]{2,20}$`)

// Words returns the kamobot: words of a memo and tags, in order, once
// each; nil when there are none (the usual case).
func Words(memo string, tags []string) []string {
	var out []string
	add := func(s string) {
		for _, w := range strings.FieldsFunc(s, func(r rune) bool {
			return r == ' ' || r == ',' || r == '\n' || r == '\r' || r == '\t' || r == '、' || r == '　'
		}) {
			if strings.HasPrefix(w, "kamobot:") && !slices.Contains(out, w) {
				out = append(out, w)
			}
		}
	}
	add(memo)
	for _, t := range tags {
		add(t)
	}
	return out
}

// MaxMemoMentions caps the mentions one job's memo adds, as the configured
// mentions are capped: a message section stays within Slack's limits.
const MaxMemoMentions = 20

// ControlOf reads the kamobot: words of a job's memo and tags.
func ControlOf(j api.Job) Control {
	var c Control
	for _, w := range Words(j.Memo, j.Tags) {
		switch {
		case w == WordQuiet:
			c.Quiet = true
		case w == WordLoud:
			c.Loud = true
		case strings.HasPrefix(w, WordMention):
			id := strings.TrimPrefix(w, WordMention)
			if slackID.MatchString(id) && !slices.Contains(c.Mentions, id) && len(c.Mentions) < MaxMemoMentions {
				c.Mentions = append(c.Mentions, id)
			} else if !slackID.MatchString(id) {
				c.Invalid = append(c.Invalid, w)
			}
		default:
			c.Invalid = append(c.Invalid, w)
		}
	}
	return c
}

// MentionMarkup is how Slack writes a mention of a user or user group ID.
func MentionMarkup(id string) string {
	if strings.HasPrefix(id, "S") {
		return "<!subteam^" + id + ">"
	}
	return "<@" + id + ">"
}

// words records the kamobot: words of a row in the job's record. A
// preprocessing run's row carries its definition's memo only when the
// definition was listed this pass; otherwise the definition's words last
// listed apply.
func (d *differ) words(t *Tracked, j api.Job) {
	if d.kind != api.KindPreprocessing || j.Memo != "" {
		t.Words = Words(j.Memo, j.Tags)
		return
	}
	if dc := d.next.Defs[j.ParentID]; dc != nil && dc.Words != nil {
		t.Words = slices.Clone(dc.Words)
	}
}
