package notify

import (
	"regexp"
	"strings"
)

// View is what a person sees of one mrkdwn text in Slack, plus what the
// control sequences in it would do.
type View struct {
	// Text is the visible text: entities decoded, links as "label (url)",
	// mentions as "@U1", "@S1", "@here".
	Text string `json:"text"`
	// Links are the <url> and <url|label> sequences, in order.
	Links []Link `json:"links,omitempty"`
	// Users are the user IDs mentioned with <@U…>.
	Users []string `json:"users,omitempty"`
	// Subteams are the user-group IDs mentioned with <!subteam^S…>.
	Subteams []string `json:"subteams,omitempty"`
	// Specials are the special mentions: "here", "channel", "everyone".
	Specials []string `json:"specials,omitempty"`
	// Channels are the channel IDs linked with <#C…>.
	Channels []string `json:"channels,omitempty"`
	// Unescaped lists every <, > or & that is not part of a valid control
	// sequence or entity: text that was not escaped before it was sent.
	Unescaped []Flaw `json:"unescaped,omitempty"`
}

// Link is one link in a mrkdwn text.
type Link struct {
	URL   string `json:"url"`
	Label string `json:"label,omitempty"`
}

// Flaw is one unescaped control character at a byte offset of the text.
type Flaw struct {
	Offset int    `json:"offset"`
	Char   string `json:"char"`
}

var (
	userID    = regexp.MustCompile(`^[UW][A-Z0-9]+$`)
	subteamID = regexp.MustCompile(`^S[A-Z0-9]+$`)
	channelID = regexp.MustCompile(`^[CG][A-Z0-9]+$`)
	linkURL   = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s]+$`)
)

// Readable turns a mrkdwn text into what a person sees in Slack: it decodes
// &amp; &lt; &gt;, shows <url|label> as "label (url)", <@U1> as "@U1",
// <!subteam^S1> as "@S1" and <!here> as "@here". Use Inspect to find the
// characters that were not escaped.
func Readable(mrkdwn string) string { return Inspect(mrkdwn).Text }

// Inspect reads a mrkdwn text the way Slack does and reports what it shows,
// what it links and mentions, and every unescaped <, > or &.
func Inspect(mrkdwn string) View {
	var v View
	var b strings.Builder
	s := mrkdwn
	plain := 0 // where the text outside control sequences starts
	for i := 0; i < len(s); i++ {
		if s[i] != '<' {
			continue
		}
		end := strings.IndexAny(s[i+1:], "<>")
		if end < 0 || s[i+1+end] != '>' {
			continue
		}
		b.WriteString(v.decode(s[plain:i], plain))
		plain = i // a < that starts no control sequence is text
		if v.control(&b, s[i+1:i+1+end], i+1) {
			i += end + 1
			plain = i + 1
		}
	}
	b.WriteString(v.decode(s[plain:], plain))
	v.Text = b.String()
	return v
}

// decode turns text at byte offset offset of the whole into visible text:
// it decodes the three entities Slack knows and flags every other <, >
// or &.
func (v *View) decode(s string, offset int) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], "&amp;"):
			b.WriteByte('&')
			i += 4
		case strings.HasPrefix(s[i:], "&lt;"):
			b.WriteByte('<')
			i += 3
		case strings.HasPrefix(s[i:], "&gt;"):
			b.WriteByte('>')
			i += 3
		case s[i] == '&' || s[i] == '<' || s[i] == '>':
			v.Unescaped = append(v.Unescaped, Flaw{offset + i, s[i : i+1]})
			fallthrough
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// control renders one <…> sequence (inner is the text between the brackets,
// at byte offset off). It reports false when inner is not a sequence Slack
// understands, in which case the < was not escaped.
func (v *View) control(b *strings.Builder, inner string, off int) bool {
	target, label, hasLabel := strings.Cut(inner, "|")
	labelled := hasLabel && label != ""
	show := func(def string) {
		if labelled {
			def = v.decode(label, off+len(target)+1)
		}
		b.WriteString(def)
	}
	switch {
	case strings.HasPrefix(target, "@") && userID.MatchString(target[1:]):
		v.Users = append(v.Users, target[1:])
		if labelled {
			b.WriteString("@")
		}
		show(target)
	case strings.HasPrefix(target, "#") && channelID.MatchString(target[1:]):
		v.Channels = append(v.Channels, target[1:])
		show(target)
	case target == "!here" || target == "!channel" || target == "!everyone":
		v.Specials = append(v.Specials, target[1:])
		b.WriteString("@" + target[1:])
	case strings.HasPrefix(target, "!subteam^") && subteamID.MatchString(target[len("!subteam^"):]):
		id := target[len("!subteam^"):]
		v.Subteams = append(v.Subteams, id)
		b.WriteString("@" + id)
	case strings.HasPrefix(target, "!date^") && hasLabel:
		show("")
	case linkURL.MatchString(target):
		l := Link{URL: v.decode(target, off)}
		if labelled {
			l.Label = v.decode(label, off+len(target)+1)
			b.WriteString(l.Label + " (" + l.URL + ")")
		} else {
			b.WriteString(l.URL)
		}
		v.Links = append(v.Links, l)
	default:
		return false
	}
	return true
}
