package config

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// jnode is a JSON value with the offset it starts at, so that problems in
// the old bot's files can be reported with their line and column.
type jnode struct {
	off int
	// val is a string, json.Number, bool or nil; an object's []jfield, in
	// file order; or an array's []*jnode.
	val any
}

type jfield struct {
	key string
	val *jnode
}

// field returns the value of key in an object, or nil.
func (n *jnode) field(key string) *jnode {
	var found *jnode
	if n != nil {
		fields, _ := n.val.([]jfield)
		for _, f := range fields {
			if f.key == key {
				found = f.val // the last one wins, as in encoding/json
			}
		}
	}
	return found
}

// kind names the node's JSON type for messages.
func (n *jnode) kind() string {
	switch n.val.(type) {
	case []jfield:
		return "an object"
	case []*jnode:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return "null"
}

// jsonFile is one of the old bot's files being read.
type jsonFile struct {
	name string
	src  []byte
}

// placeholderRE matches the template placeholder a text starts with, such
// as "(TenantIDs)", "(TenantID)" or "(SlackUserName)" in the old bot's
// files, with the name inside the parentheses.
var placeholderRE = regexp.MustCompile(`^\(([A-Za-z_]{1,39})\)`)

// placeholderHints say what the placeholders of the old bot's templates
// stand for.
var placeholderHints = map[string]string{
	"TenantIDs":     "write the ids of the tenants to watch, e.g. [1, 2], or [] for every tenant",
	"TenantID":      "write a tenant id in double quotes, e.g. \"3\", or remove the entry",
	"SlackUserName": "write names in double quotes, e.g. \"alice\" (better: Slack user IDs such as \"U01ABCDEF\"), or remove the entry",
}

// placeholderMsg says what to do about the placeholder b starts with, if
// it starts with one.
func placeholderMsg(b []byte) (string, bool) {
	m := placeholderRE.FindSubmatch(b)
	if m == nil {
		return "", false
	}
	hint := cmp.Or(placeholderHints[string(m[1])], "replace it with a value, or remove the entry")
	return fmt.Sprintf("the template placeholder %s must be filled in: %s", m[0], hint), true
}

// parse reads the whole file into a tree. A syntax error is reported with
// its line and column; a template placeholder left in the file gets a
// message of its own.
func (f jsonFile) parse() (*jnode, error) {
	var v any
	err := json.Unmarshal(f.src, &v)
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		e := f.syntaxError(int(se.Offset), se.Error())
		if !strings.HasPrefix(e.Msg, "the template placeholder") {
			return nil, e
		}
		// One placeholder left suggests others: report them all at once.
		var errs []error
		for _, off := range f.placeholders() {
			errs = append(errs, f.syntaxError(off+1, ""))
		}
		return nil, errors.Join(errs...)
	case err != nil:
		return nil, &Error{File: f.name, Msg: err.Error(), Err: ErrInvalid}
	}
	dec := json.NewDecoder(bytes.NewReader(f.src))
	dec.UseNumber()
	return f.value(dec), nil
}

// syntaxError explains a JSON syntax error found at offset off (the byte
// after the offending one, as encoding/json counts).
func (f jsonFile) syntaxError(off int, msg string) *Error {
	// The offending byte, past any blanks.
	at := f.skip(max(off-1, 0), " \t\r\n")
	p := positionAt(f.src, at)
	e := &Error{File: f.name, Line: p.Line, Col: p.Col, Err: ErrInvalid}
	if msg, ok := placeholderMsg(f.src[at:]); ok {
		e.Msg = msg
		return e
	}
	e.Msg = "JSON syntax error: " + msg
	if strings.Contains(msg, "looking for beginning of object key string") {
		e.Msg += " (JSON keys must be in double quotes, e.g. \"3\": { ... })"
	}
	return e
}

// placeholders returns the offsets of the template placeholders outside
// strings in the file.
func (f jsonFile) placeholders() []int {
	var offs []int
	inString := false
	for i := 0; i < len(f.src); i++ {
		switch c := f.src[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case !inString && c == '(':
			if placeholderRE.Match(f.src[i:]) {
				offs = append(offs, i)
			}
		}
	}
	return offs
}

// value reads one JSON value from dec, which reads JSON that parse found
// valid: its Token cannot fail. The decoder's offset is before the blanks
// and separators it has not consumed yet.
func (f jsonFile) value(dec *json.Decoder) *jnode {
	n := &jnode{off: f.skip(int(dec.InputOffset()), " \t\r\n:,")}
	tok, _ := dec.Token()
	switch tok {
	case json.Delim('{'):
		fields := []jfield{}
		for dec.More() {
			key, _ := dec.Token()
			fields = append(fields, jfield{key: key.(string), val: f.value(dec)})
		}
		n.val = fields
		_, _ = dec.Token() // the closing brace
	case json.Delim('['):
		elems := []*jnode{}
		for dec.More() {
			elems = append(elems, f.value(dec))
		}
		n.val = elems
		_, _ = dec.Token() // the closing bracket
	default:
		n.val = tok
	}
	return n
}

// skip returns the offset of the first byte at or after off that is not
// in chars.
func (f jsonFile) skip(off int, chars string) int {
	for off < len(f.src) && strings.IndexByte(chars, f.src[off]) >= 0 {
		off++
	}
	return off
}
