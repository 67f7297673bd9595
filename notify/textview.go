package notify

import (
	"encoding/json"
	"strings"
)

// TextView shows a Slack payload as a person reads it in Slack, for
// `check --dry-run` and `demo`: the blocks as lines of text (bold stays
// *bold*, links as "label (url)", mentions as @U…), or the fallback text
// when there are no blocks.
func TextView(payload []byte) string {
	var p Payload
	if err := json.Unmarshal(payload, &p); err != nil {
		return string(payload)
	}
	if len(p.Blocks) == 0 {
		return Readable(p.Text)
	}
	var lines []string
	for _, b := range p.Blocks {
		switch {
		case b.Type == "divider":
			lines = append(lines, "────────")
		case b.Type == "header" && b.Text != nil:
			lines = append(lines, "*"+b.Text.Text+"*")
		case b.Text != nil:
			lines = append(lines, Readable(b.Text.Text))
		}
		// Fields are "*Label*\nvalue": shown as "Label value", three a line.
		for i := 0; i < len(b.Fields); i += 3 {
			var row []string
			for _, f := range b.Fields[i:min(i+3, len(b.Fields))] {
				row = append(row, strings.ReplaceAll(Readable(f.Text), "\n", " "))
			}
			lines = append(lines, strings.Join(row, "   "))
		}
		var elems []string
		for _, e := range b.Elements {
			elems = append(elems, Readable(e.Text))
		}
		if len(elems) > 0 {
			lines = append(lines, strings.Join(elems, "  ·  "))
		}
	}
	return strings.Join(lines, "\n")
}
