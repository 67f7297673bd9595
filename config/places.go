package config

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// places maps a key path (as pathString writes it) to where it starts in
// the file: a key, a table header, an element of an array.
type places map[string]placed

type placed struct {
	path []string
	off  int
	pos  position
	raw  string // a scalar value as written
}

// at returns the key or element de is about: the path that starts last at
// or before de's position, on its line; else de's own key and position.
func (pl places) at(src []byte, de *toml.DecodeError) placed {
	line, col := de.Position()
	found := placed{path: de.Key(), pos: position{Line: line, Col: col}, off: -1}
	start := 0
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(src[start:], '\n')
		if i < 0 {
			return found
		}
		start += i + 1
	}
	off := start + col - 1
	for _, v := range pl {
		if v.pos.Line == line && v.off <= off && (v.off > found.off || v.off == found.off && len(v.path) > len(found.path)) {
			found = v
		}
	}
	return found
}

// keyPlaces parses src with go-toml/v2's parser and records where each key,
// table and array element starts. It returns the parser's error for a
// document that is not TOML.
func keyPlaces(src []byte) (places, error) {
	w := &placeWalker{src: src, pl: places{}, aot: map[string]int{}}
	var p unstable.Parser
	p.Reset(src)
	var table []string
	for p.NextExpression() {
		n := p.Expression()
		switch n.Kind {
		case unstable.Table, unstable.ArrayTable:
			table = w.header(n)
		case unstable.KeyValue:
			w.keyValue(table, n)
		}
	}
	return w.pl, p.Error()
}

type placeWalker struct {
	src []byte
	pl  places
	aot map[string]int // array of tables -> how many elements it has
	// starts are the offsets where the lines of src start, found once:
	// a position is then a binary search, not a count from the top.
	starts []int
}

// pos is positionAt(w.src, off), in O(log lines).
func (w *placeWalker) pos(off int) position {
	if w.starts == nil {
		w.starts = []int{0}
		for i, b := range w.src {
			if b == '\n' {
				w.starts = append(w.starts, i+1)
			}
		}
	}
	off = min(max(off, 0), len(w.src))
	line, _ := slices.BinarySearch(w.starts, off+1) // lines starting at or before off
	start := w.starts[line-1]
	return position{Line: line, Col: utf8.RuneCount(w.src[start:off]) + 1}
}

func (w *placeWalker) record(p []string, off int, overwrite bool) {
	id := pathString(p)
	if _, ok := w.pl[id]; ok && !overwrite {
		return
	}
	w.pl[id] = placed{path: slices.Clone(p), off: off, pos: w.pos(off)}
}

// header records the table a [table] or [[table]] header opens, at its "[".
func (w *placeWalker) header(n *unstable.Node) []string {
	parts, off := keyParts(n)
	for off > 0 && strings.ContainsRune("[ \t", rune(w.src[off-1])) {
		off--
	}
	var p []string
	for i, part := range parts {
		p = append(p, part)
		last := i == len(parts)-1
		if last && n.Kind == unstable.ArrayTable {
			id := pathString(p)
			w.record(p, off, false)
			p = append(p, index(w.aot[id]))
			w.aot[id]++
			w.record(p, off, true)
			continue
		}
		if count, ok := w.aot[pathString(p)]; ok {
			p = append(p, index(count-1))
		}
		w.record(p, off, last)
	}
	return p
}

// keyParts returns the parts of n's (dotted) key and where the key starts.
func keyParts(n *unstable.Node) (parts []string, off int) {
	off = -1
	for it := n.Key(); it.Next(); {
		k := it.Node()
		if off < 0 {
			off = int(k.Raw.Offset)
		}
		parts = append(parts, string(k.Data))
	}
	return parts, off
}

// keyValue records "key = value" inside table, and what is inside the value.
func (w *placeWalker) keyValue(table []string, n *unstable.Node) {
	parts, off := keyParts(n)
	p := slices.Clone(table)
	for _, part := range parts {
		p = append(p, part)
		w.record(p, off, false)
	}
	w.record(p, off, true)
	if v := n.Value(); v.Kind != unstable.InlineTable && v.Kind != unstable.Array {
		e := w.pl[pathString(p)]
		e.raw = string(w.src[v.Raw.Offset : v.Raw.Offset+v.Raw.Length])
		w.pl[pathString(p)] = e
	}
	w.value(p, n.Value())
}

func (w *placeWalker) value(p []string, v *unstable.Node) {
	switch v.Kind {
	case unstable.InlineTable:
		it := v.Children()
		for it.Next() {
			if c := it.Node(); c.Kind == unstable.KeyValue {
				w.keyValue(p, c)
			}
		}
	case unstable.Array:
		it := v.Children()
		i := 0
		for it.Next() {
			c := it.Node()
			if c.Kind == unstable.Comment {
				continue
			}
			el := append(slices.Clone(p), index(i))
			if c.Kind != unstable.Array {
				w.record(el, int(c.Raw.Offset), true)
			}
			w.value(el, c)
			i++
		}
	}
}

// index is the path segment of element i of an array.
func index(i int) string { return "[" + strconv.Itoa(i) + "]" }

func isIndexSegment(s string) bool {
	if len(s) < 3 || s[0] != '[' || s[len(s)-1] != ']' {
		return false
	}
	_, err := strconv.Atoi(s[1 : len(s)-1])
	return err == nil
}

// pathString writes a key path as a user reads it: "schedule.hours.monday",
// "tenant[0].mention[1]", `owners."yamada.taro"`.
func pathString(p []string) string {
	s := ""
	for _, seg := range p {
		if isIndexSegment(seg) {
			s += seg
		} else {
			s = sub(s, seg)
		}
	}
	return s
}

func isBareKey(s string) bool {
	return s != "" && strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == ""
}

// quoteTOML returns s as a TOML basic string. Unlike strconv.Quote it keeps
// non-ASCII text as it is and only escapes what TOML requires.
func quoteTOML(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteString(`\` + string(r))
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// sub returns the path of key k inside the table at p.
func sub(p, k string) string {
	if !isBareKey(k) {
		k = quoteTOML(k)
	}
	if p == "" {
		return k
	}
	return p + "." + k
}

// elem returns the path of element i of the array at p.
func elem(p string, i int) string { return p + index(i) }
