package notify

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ellipsis marks text that was cut.
const ellipsis = "…"

// Escape makes s literal in Slack mrkdwn (and plain_text): & becomes &amp;,
// < and > become &lt; and &gt;. Nothing else has an escape in Slack; *, _,
// ~ and ` only change how text looks.
func Escape(s string) string { return escaper.Replace(s) }

var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Truncate cuts s to at most n characters (runes), ending a cut text with
// "…". It never cuts inside a rune. Use it on raw text, before escaping.
func Truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if n <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + ellipsis
}

// EscapeLimit escapes s and cuts the result to at most n characters, ending
// a cut text with "…". It cuts between whole characters of s, so never
// inside a rune or an escape such as &amp;.
func EscapeLimit(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if n <= 0 {
		return ""
	}
	e := Escape(s)
	if utf8.RuneCountInString(e) <= n {
		return e
	}
	// Every & of e starts an escape: one with no ; after it was cut.
	e = string([]rune(e)[:n-1])
	if i := strings.LastIndexByte(e, '&'); i >= 0 && !strings.Contains(e[i:], ";") {
		e = e[:i]
	}
	return e + ellipsis
}

// spaceControl turns a control character (newline, tab, ..., and the line
// and paragraph separators) into a space.
func spaceControl(r rune) rune {
	if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
		return ' '
	}
	return r
}

// oneLine replaces control characters (newlines, tabs, ...) with spaces and
// trims the ends, for values shown on one line.
func oneLine(s string) string {
	return strings.TrimSpace(strings.Map(spaceControl, strings.ToValidUTF8(s, "\uFFFD")))
}

// inline is a value from KAMONOHASHI or a user, made one line, cut to n
// characters once escaped, and escaped. An empty value becomes def.
func inline(s string, n int, def string) string {
	s = oneLine(s)
	if s == "" {
		return def
	}
	return EscapeLimit(s, n)
}

// codeBlock shows text in a mrkdwn code block, escaped and cut from the
// front to at most n characters (inside the fences), so the end of a log
// stays visible. Backticks become ˋ so the text cannot close the block.
func codeBlock(text string, n int) string {
	text = strings.ToValidUTF8(text, "\uFFFD")
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.Map(func(r rune) rune {
		switch r {
		case '`':
			return 'ˋ'
		case '\n':
			return r
		}
		return spaceControl(r)
	}, text)
	text = strings.Trim(text, "\n ")
	if text == "" {
		return ""
	}
	return "```" + escapeTail(text, n) + "```"
}

// escapeTail escapes the end of s, at most n characters once escaped; a
// cut text starts at a line boundary when one is near, after "…".
func escapeTail(s string, n int) string {
	runes := []rune(s)
	used, start := 0, len(runes)
	for start > 0 {
		escaped := utf8.RuneCountInString(Escape(string(runes[start-1])))
		if used+escaped > n-2 { // room for "…\n"
			break
		}
		used += escaped
		start--
	}
	if start == 0 {
		return Escape(s)
	}
	tail := runes[start:]
	// Start at the next line when that loses less than a third of the tail.
	for i, r := range tail {
		if r == '\n' && i < len(tail)/3 && i+1 < len(tail) {
			tail = tail[i+1:]
			break
		}
	}
	return ellipsis + "\n" + Escape(string(tail))
}

var (
	slackUser    = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)
	slackSubteam = regexp.MustCompile(`^S[A-Z0-9]{2,}$`)
)

// mention turns a configured Slack target into a mention: "U…"/"W…" →
// <@U…>, "S…" → <!subteam^S…>, "here"/"channel"/"everyone" → <!here>,
// <!channel>, <!everyone>. Decorated forms ("<@U1>", "@here",
// "subteam^S1") are accepted. Anything else is shown escaped as "@text",
// which mentions no one and makes the mistake visible.
func mention(target string) string {
	t := strings.TrimSpace(target)
	t = strings.TrimSuffix(strings.TrimPrefix(t, "<"), ">")
	t = strings.TrimLeft(t, "@!")
	t, _, _ = strings.Cut(t, "|")
	t = strings.TrimPrefix(t, "subteam^")
	switch {
	case t == "here" || t == "channel" || t == "everyone":
		return "<!" + t + ">"
	case slackUser.MatchString(t):
		return "<@" + t + ">"
	case slackSubteam.MatchString(t):
		return "<!subteam^" + t + ">"
	}
	return "@" + inline(strings.TrimSpace(target), 80, "?")
}

// mentions formats the configured targets, without duplicates.
func mentions(targets []string) string {
	var out []string
	for _, t := range targets {
		if strings.TrimSpace(t) == "" {
			continue
		}
		if m := mention(t); !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return strings.Join(out, " ")
}

// link is a mrkdwn link to url with an already escaped label. The URL is
// made safe for Slack's <url|label> form: | < > and spaces are
// percent-encoded, & is escaped.
func link(url, label string) string {
	url = strings.NewReplacer("|", "%7C", "<", "%3C", ">", "%3E", " ", "%20").Replace(oneLine(url))
	if !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://") {
		return label
	}
	return "<" + strings.ReplaceAll(url, "&", "&amp;") + "|" + label + ">"
}

// clipLines keeps whole lines of an escaped text while it fits in n
// characters, so a cut never splits an escape or a link.
func clipLines(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	var out []string
	used := 0
	for _, line := range strings.Split(s, "\n") {
		l := utf8.RuneCountInString(line) + 1
		if used+l > n-1 {
			break
		}
		out = append(out, line)
		used += l
	}
	if len(out) == 0 {
		return ellipsis
	}
	return strings.Join(out, "\n") + "\n" + ellipsis
}
