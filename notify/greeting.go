package notify

import (
	"cmp"
	"strings"
)

// Greeting kinds for RenderGreeting.
const (
	GreetingEnter       = "enter"
	GreetingLeave       = "leave"
	GreetingLeaveFriday = "leave_friday"
	GreetingLeaveQuiet  = "leave_quiet" // leaving on a day no job ended
)

// RenderGreeting renders an office-hours greeting: kind is one of the
// Greeting constants, phrase the text to say (empty: o.Phrase(kind), then a
// built-in line), and extra lines (e.g. "3 jobs ended today") are shown
// small underneath. Greetings mention no one.
func RenderGreeting(kind, phrase string, o RenderOptions, extra ...string) Payload {
	r := newRenderer(o)
	say := inline(phrase, phraseBudget, "")
	if say == "" {
		say = r.phrase(kind)
	}
	say = cmp.Or(say, r.l.said[kind], r.l.said[GreetingEnter])
	main := cmp.Or(greetingEmoji[kind], ":wave:") + " " + say
	blocks := []Block{Section(main)}
	var small []string
	for _, e := range extra {
		if line := inline(e, phraseBudget, ""); line != "" && len(small) < 9 {
			small = append(small, line)
		}
	}
	small = nonEmpty(append(small, r.when(o.Now))...)
	if len(small) > 0 {
		blocks = append(blocks, Context(strings.Join(small, "\n")))
	}
	return Payload{Text: main, Blocks: blocks}
}
