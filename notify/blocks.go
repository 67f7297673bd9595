package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"unicode/utf8"
)

// Slack's limits (Block Kit reference; shared/notes/slack-webhook.md §5),
// counted in characters, and the tighter budgets kamobot renders to.
const (
	MaxBlocks      = 50   // blocks per message
	MaxSectionText = 3000 // section text
	MaxHeaderText  = 150  // header block, plain_text
	MaxTextLen     = 3000 // kamobot's budget for the top-level text (Slack: 4,000)
	// MaxBlocksChars is kamobot's budget for all text in the blocks of one
	// message. Slack documents no total, but has refused about 11,300
	// characters in 45 blocks, and 13,200 in others, as msg_blocks_too_long
	// (chat.postMessage; slackapi/bolt-js issues 2867 and 2509).
	MaxBlocksChars = 8000
)

// Payload is one Slack message: the text fallback, shown in notifications
// and read by screen readers, and the Block Kit blocks shown in the channel.
type Payload struct {
	Text   string  `json:"text"`
	Blocks []Block `json:"blocks,omitempty"`
}

// Block is one Block Kit layout block. kamobot uses four types: header
// (Text, plain_text), section (Text and/or Fields, mrkdwn), context
// (Elements) and divider.
type Block struct {
	Type     string  `json:"type"`
	Text     *Text   `json:"text,omitempty"`
	Fields   []*Text `json:"fields,omitempty"`
	Elements []*Text `json:"elements,omitempty"`
}

// Text is a Block Kit text object: "mrkdwn" or "plain_text".
type Text struct {
	Type  string `json:"type"`
	Text  string `json:"text"`
	Emoji bool   `json:"emoji,omitempty"`
}

// Mrkdwn returns a mrkdwn text object. s must already be escaped.
func Mrkdwn(s string) *Text { return &Text{Type: "mrkdwn", Text: s} }

// Header returns a header block: plain_text that renders emoji
// shortcodes. plain must already be escaped: Slack decodes &amp; &lt; &gt;
// there too.
func Header(plain string) Block {
	return Block{Type: "header", Text: &Text{Type: "plain_text", Text: plain, Emoji: true}}
}

// Section returns a section block with mrkdwn text.
func Section(mrkdwn string) Block { return Block{Type: "section", Text: Mrkdwn(mrkdwn)} }

// Fields returns a section block of mrkdwn fields (two columns in Slack).
func Fields(mrkdwn ...string) Block { return Block{Type: "section", Fields: texts(mrkdwn)} }

// Context returns a context block of mrkdwn elements (small grey text).
func Context(mrkdwn ...string) Block { return Block{Type: "context", Elements: texts(mrkdwn)} }

func texts(mrkdwn []string) []*Text {
	var out []*Text
	for _, s := range mrkdwn {
		out = append(out, Mrkdwn(s))
	}
	return out
}

// blocksChars counts the characters of text in blocks.
func blocksChars(blocks []Block) int {
	n := 0
	for _, b := range blocks {
		if b.Text != nil {
			n += utf8.RuneCountInString(b.Text.Text)
		}
		for _, t := range slices.Concat(b.Fields, b.Elements) {
			n += utf8.RuneCountInString(t.Text)
		}
	}
	return n
}

// JSON encodes the payload compactly, without escaping <, > and & as
// \u003c (Slack reads both; this keeps payloads readable).
func (p Payload) JSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return nil, fmt.Errorf("encode slack payload: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
