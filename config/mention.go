package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// Mention is someone to notify in Slack: a user ID ("U01ABCDEF", "W…"), a
// user group ID ("S0GROUP1"), one of the special mentions "here", "channel"
// and "everyone", or, kept only to be shown as plain text, a legacy "@name"
// that Slack no longer resolves.
type Mention string

// ParseMention reads a mention as a user writes it in the config: an ID
// ("U01ABCDEF"), an ID in Slack's own syntax ("<@U01ABCDEF>",
// "<!subteam^S0GROUP1>", "<!here>"), or a special mention with or without
// "@" or "!". A name such as "alice" or "@alice" is accepted with a warning:
// Slack stopped resolving @names in 2018, so it can only be shown as text.
// Empty strings, whitespace, channel names and stray Slack syntax are errors.
func ParseMention(s string) (m Mention, warning string, err error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return "", "", fmt.Errorf("empty mention")
	}
	// Slack's own syntax: <@U…>, <@U…|name>, <!subteam^S…>, <!here>; and
	// <@alice>, as the old bot wrote a name. Apart from the group, what is
	// inside is read below like a mention written bare.
	if strings.HasPrefix(t, "<") && strings.HasSuffix(t, ">") {
		inner, _, _ := strings.Cut(t[1:len(t)-1], "|")
		if g, ok := strings.CutPrefix(inner, "!subteam^"); ok && isGroupID(g) {
			return Mention(g), "", nil
		}
		if !(strings.HasPrefix(inner, "@") && len(inner) > 1 && !strings.ContainsAny(inner, "<>") ||
			strings.HasPrefix(inner, "!") && isSpecial(inner[1:])) {
			return "", "", fmt.Errorf("%q is not a mention Slack understands: write a user ID like \"U01ABCDEF\", a user group ID like \"S0GROUP1\", or \"here\"", s)
		}
		t = inner
	}
	bare := strings.TrimLeft(t, "@!")
	switch {
	case bare == "":
		return "", "", fmt.Errorf("%q: empty mention", s)
	case isUserID(bare) || isGroupID(bare):
		return Mention(bare), "", nil
	case isSpecial(bare):
		return Mention(strings.ToLower(bare)), "", nil
	case strings.HasPrefix(t, "#"):
		return "", "", fmt.Errorf("%q is a channel: a channel cannot be mentioned; route the tenant to it with its own webhook_file instead", s)
	case strings.ContainsFunc(t, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune("<>&|", r)
	}):
		return "", "", fmt.Errorf("%q is not a mention: write a Slack user ID like \"U01ABCDEF\"", s)
	}
	return Mention("@" + bare), fmt.Sprintf("%q is a name: Slack stopped resolving @names in 2018; use a user ID like U01ABCDEF (in Slack: the person's profile, \"⋮\", \"Copy member ID\")", s), nil
}

var (
	// isUserID reports whether s looks like a Slack user ID: U or W, then
	// upper-case letters and digits.
	isUserID = regexp.MustCompile(`^[UW][A-Z0-9]{6,20}$`).MatchString
	// isGroupID reports whether s looks like a Slack user group ID: S, then
	// upper-case letters and digits.
	isGroupID = regexp.MustCompile(`^S[A-Z0-9]{6,20}$`).MatchString
)

// isSpecial reports whether s is one of Slack's special mentions, written
// <!here> and so on.
func isSpecial(s string) bool {
	return slices.Contains([]string{"here", "channel", "everyone"}, strings.ToLower(s))
}

// IsName reports whether m is a legacy @name, which Slack shows as plain
// text and which notifies no one.
func (m Mention) IsName() bool { return strings.HasPrefix(string(m), "@") }
