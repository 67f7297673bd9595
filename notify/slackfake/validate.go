package slackfake

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Limits are the Block Kit and message limits the fake enforces. Lengths are
// counted in characters (runes).
type Limits struct {
	// MaxText is the limit on the top-level text: 0 means Slack's 4,000,
	// a negative value no limit.
	MaxText int
	// TruncateText stores a cut copy of a longer text (and flags the message)
	// instead of answering 400 msg_too_long.
	TruncateText bool
	// MaxBlocksChars limits the sum of all text in all blocks: more is
	// answered 400 msg_blocks_too_long. Slack documents no such total, but
	// has refused about 11,300 characters in 45 blocks (and 13,200 in
	// others) for chat.postMessage (slackapi/bolt-js issues 2867 and 2509).
	// Zero means DefaultMaxBlocksChars; a negative value turns the check off.
	MaxBlocksChars int
}

// DefaultMaxBlocksChars is the fake's default total of block text: the
// budget kamobot keeps to, safely under the totals Slack has refused.
const DefaultMaxBlocksChars = 8000

// DefaultLimits are Slack's documented limits, with msg_too_long on, and
// the cumulative block text check at DefaultMaxBlocksChars.
func DefaultLimits() Limits { return Limits{MaxText: 4000, MaxBlocksChars: DefaultMaxBlocksChars} }

// Block Kit limits (Block Kit reference).
const (
	maxBlocks        = 50
	maxAttachments   = 100
	maxSectionText   = 3000
	maxFields        = 10
	maxFieldText     = 2000
	maxHeaderText    = 150
	maxBlockID       = 255
	maxContextElems  = 10
	maxMarkdownBlock = 12000
	maxAltText       = 2000
	maxImageURL      = 3000
)

// Reject is Slack's answer to a request it refuses: an HTTP status and the
// bare error string Slack writes as the body.
type Reject struct {
	Status int
	Code   string
	// Detail says why, for test failure messages; Slack does not send it.
	Detail string
}

func (r *Reject) Error() string { return fmt.Sprintf("%d %s: %s", r.Status, r.Code, r.Detail) }

// reject is Slack's 400 answer with the error code, and why.
func reject(code, format string, args ...any) *Reject {
	return &Reject{Status: 400, Code: code, Detail: fmt.Sprintf(format, args...)}
}

// Validate checks a JSON message body the way Slack does for an incoming
// webhook, with DefaultLimits. It returns nil or a *Reject.
func Validate(body []byte) error { return DefaultLimits().Validate(body) }

// Validate checks a JSON message body against these limits. It returns nil
// or a *Reject.
func (l Limits) Validate(body []byte) error {
	if _, rej := parsePayload(body, l); rej != nil {
		return rej
	}
	return nil
}

// parsed is a validated message.
type parsed struct {
	text      string
	truncated bool
	blocks    json.RawMessage // as sent; nil when absent or null
	texts     []textObject    // every text object in the blocks, in order
}

type textObject struct {
	Type string `json:"type"`
	Text string `json:"text"`
	// where and block say which block the text belongs to, for Readable views.
	where string
	block int
}

// parsePayload validates a JSON body.
func parsePayload(body []byte, lim Limits) (*parsed, *Reject) {
	lim.MaxText = cmp.Or(lim.MaxText, DefaultLimits().MaxText)
	lim.MaxBlocksChars = cmp.Or(lim.MaxBlocksChars, DefaultMaxBlocksChars)
	if !utf8.Valid(body) {
		return nil, reject("invalid_payload", "body is not UTF-8")
	}
	var fields map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&fields); err != nil || fields == nil {
		return nil, reject("invalid_payload", "body is not a JSON object")
	}
	if dec.More() {
		return nil, reject("invalid_payload", "trailing data after the JSON object")
	}
	// field decodes fields[name] into v; a missing or null field leaves v as is.
	field := func(name string, v any) bool {
		raw, ok := fields[name]
		return !ok || json.Unmarshal(raw, v) == nil
	}
	p := &parsed{}
	var blocks, attachments []json.RawMessage
	switch {
	case !field("text", &p.text):
		return nil, reject("invalid_payload", "text is not a string")
	case !field("blocks", &blocks):
		return nil, reject("invalid_blocks_format", "blocks is not an array")
	case !field("attachments", &attachments):
		return nil, reject("invalid_payload", "attachments is not an array")
	case p.text == "" && len(blocks) == 0 && len(attachments) == 0:
		return nil, reject("no_text", "no text, blocks or attachments")
	case len(attachments) > maxAttachments:
		return nil, reject("too_many_attachments", "%d attachments", len(attachments))
	}
	if blocks != nil {
		p.blocks = fields["blocks"]
	}
	if rej := p.checkBlocks(blocks, lim); rej != nil {
		return nil, rej
	}
	if n := utf8.RuneCountInString(p.text); lim.MaxText > 0 && n > lim.MaxText {
		if !lim.TruncateText {
			return nil, reject("msg_too_long", "text has %d characters", n)
		}
		p.text = string([]rune(p.text)[:lim.MaxText])
		p.truncated = true
	}
	return p, nil
}

// knownBlocks are the block types Slack accepts in messages. Only the ones
// kamobot uses are checked in depth.
var knownBlocks = map[string]bool{
	"section": true, "header": true, "context": true, "divider": true, "image": true,
	"actions": true, "input": true, "rich_text": true, "markdown": true, "file": true,
	"video": true, "table": true, "context_actions": true,
}

func (p *parsed) checkBlocks(blocks []json.RawMessage, lim Limits) *Reject {
	if len(blocks) > maxBlocks {
		return reject("invalid_blocks", "%d blocks, more than %d", len(blocks), maxBlocks)
	}
	for i, raw := range blocks {
		var b map[string]json.RawMessage
		if err := json.Unmarshal(raw, &b); err != nil || b == nil {
			return reject("invalid_blocks", "block %d is not an object", i)
		}
		var typ string
		if err := json.Unmarshal(b["type"], &typ); err != nil || !knownBlocks[typ] {
			return reject("invalid_blocks", "block %d has unknown type %s", i, b["type"])
		}
		if raw, ok := b["block_id"]; ok {
			var id string
			if err := json.Unmarshal(raw, &id); err != nil || id == "" || utf8.RuneCountInString(id) > maxBlockID {
				return reject("invalid_blocks", "block %d: bad block_id", i)
			}
		}
		if rej := p.checkBlock(i, typ, b, raw); rej != nil {
			return rej
		}
	}
	if lim.MaxBlocksChars > 0 {
		n := 0
		for _, t := range p.texts {
			n += utf8.RuneCountInString(t.Text)
		}
		if n > lim.MaxBlocksChars {
			return reject("msg_blocks_too_long", "%d characters in blocks", n)
		}
	}
	return nil
}

// checkBlock checks block i, of type typ, in depth: b holds its fields.
func (p *parsed) checkBlock(i int, typ string, b map[string]json.RawMessage, raw json.RawMessage) *Reject {
	switch typ {
	case "section":
		if b["text"] == nil && b["fields"] == nil {
			return reject("invalid_blocks", "section %d has neither text nor fields", i)
		}
		if b["text"] != nil {
			if rej := p.text1(i, "section", b["text"], maxSectionText, false); rej != nil {
				return rej
			}
		}
		if b["fields"] != nil {
			return p.textList(i, "field", b["fields"], maxFields, maxFieldText)
		}
	case "header":
		return p.text1(i, "header", b["text"], maxHeaderText, true)
	case "context":
		return p.textList(i, "context", b["elements"], maxContextElems, maxSectionText)
	case "image":
		return checkImage(i, raw)
	case "markdown":
		var s string
		if err := json.Unmarshal(b["text"], &s); err != nil || s == "" || utf8.RuneCountInString(s) > maxMarkdownBlock {
			return reject("invalid_blocks", "markdown %d: text must be 1 to %d characters", i, maxMarkdownBlock)
		}
		p.texts = append(p.texts, textObject{Type: "mrkdwn", Text: s, where: "markdown", block: i})
	}
	return nil
}

// textList checks the fields of a section or the elements of a context
// (where says which) in block i: 1 to most text objects of at most limit
// characters each, or images in a context.
func (p *parsed) textList(i int, where string, raw json.RawMessage, most, limit int) *Reject {
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil || len(list) == 0 || len(list) > most {
		return reject("invalid_blocks", "block %d: %d %s elements, want 1 to %d", i, len(list), where, most)
	}
	for _, e := range list {
		var head struct {
			Type string `json:"type"`
		}
		_ = json.Unmarshal(e, &head) // text1 refuses what is not an object
		var rej *Reject
		if where == "context" && head.Type == "image" {
			rej = checkImage(i, e)
		} else {
			rej = p.text1(i, where, e, limit, false)
		}
		if rej != nil {
			return rej
		}
	}
	return nil
}

// checkImage checks an image block or element of block i.
func checkImage(i int, raw json.RawMessage) *Reject {
	var img struct {
		ImageURL string `json:"image_url"`
		AltText  string `json:"alt_text"`
	}
	switch {
	case json.Unmarshal(raw, &img) != nil:
		return reject("invalid_blocks", "block %d: image is not an object with image_url and alt_text strings", i)
	case img.ImageURL == "" || utf8.RuneCountInString(img.ImageURL) > maxImageURL:
		return reject("invalid_blocks", "block %d: image_url missing or too long", i)
	case img.AltText == "" || utf8.RuneCountInString(img.AltText) > maxAltText:
		return reject("invalid_blocks", "block %d: alt_text missing or too long", i)
	}
	return nil
}

// text1 checks one text object of block i and remembers it.
func (p *parsed) text1(i int, where string, raw json.RawMessage, limit int, plainOnly bool) *Reject {
	var t textObject
	if len(raw) == 0 || json.Unmarshal(raw, &t) != nil {
		return reject("invalid_blocks", "%s %d: text is not a text object", where, i)
	}
	switch {
	case t.Type != "plain_text" && t.Type != "mrkdwn":
		return reject("invalid_blocks", "%s %d: text type %q", where, i, t.Type)
	case plainOnly && t.Type != "plain_text":
		return reject("invalid_blocks", "%s %d: text must be plain_text", where, i)
	case t.Text == "":
		return reject("invalid_blocks", "%s %d: empty text", where, i)
	}
	if n := utf8.RuneCountInString(t.Text); n > limit {
		return reject("invalid_blocks", "%s %d: text has %d characters, more than %d", where, i, n, limit)
	}
	t.where, t.block = where, i
	p.texts = append(p.texts, t)
	return nil
}
