package config

import (
	"bytes"
	"sort"
	"strconv"
	"unicode/utf8"
)

// keyPositions finds where each key, table and array element of a TOML
// document starts. BurntSushi/toml v1.6 keeps key positions private (and
// keeps only the last one for keys inside an array of tables), so kamobot
// scans the document itself.
//
// The scanner runs only on documents the TOML parser has accepted. It knows
// just enough TOML to follow keys (bare, quoted and dotted), table headers,
// arrays of tables, strings of the four kinds, comments, arrays and inline
// tables. Whatever it does not understand ends the scan early: positions are
// then missing, never wrong, and messages fall back to the key alone.
func keyPositions(src []byte) map[string]position {
	s := &posScanner{
		src: src,
		pos: make(map[string]position),
		aot: make(map[string]int),
	}
	s.lineStarts = append(s.lineStarts, 0)
	for i, c := range src {
		if c == '\n' {
			s.lineStarts = append(s.lineStarts, i+1)
		}
	}
	s.document()
	return s.pos
}

type posScanner struct {
	src        []byte
	off        int
	lineStarts []int
	pos        map[string]position
	aot        map[string]int // id of an array of tables -> index of its last element
}

func (s *posScanner) eof() bool { return s.off >= len(s.src) }

func (s *posScanner) rest() []byte {
	if s.eof() {
		return nil
	}
	return s.src[s.off:]
}

func (s *posScanner) peek() byte {
	if s.eof() {
		return 0
	}
	return s.src[s.off]
}

func (s *posScanner) at(off int) position {
	line := sort.Search(len(s.lineStarts), func(i int) bool { return s.lineStarts[i] > off }) - 1
	if line < 0 {
		line = 0
	}
	start := s.lineStarts[line]
	if off > len(s.src) {
		off = len(s.src)
	}
	return position{Line: line + 1, Col: utf8.RuneCount(s.src[start:off]) + 1}
}

// record notes that p starts at offset off, unless p was seen before: a
// table defined by a header keeps the header's line, not that of the first
// dotted key that reaches into it.
func (s *posScanner) record(p keyPath, off int, overwrite bool) {
	id := p.id()
	if _, ok := s.pos[id]; ok && !overwrite {
		return
	}
	s.pos[id] = s.at(off)
}

func (s *posScanner) document() {
	var table keyPath
	for {
		s.skipBlank(true)
		if s.eof() {
			return
		}
		before := s.off
		if s.peek() == '[' {
			t, ok := s.header()
			if !ok {
				return
			}
			table = t
		} else if !s.keyValue(table) {
			return
		}
		if s.off == before {
			return
		}
	}
}

// skipBlank skips spaces, tabs, comments and, if newlines is true, line ends.
func (s *posScanner) skipBlank(newlines bool) {
	for !s.eof() {
		switch c := s.peek(); {
		case c == ' ' || c == '\t':
			s.off++
		case c == '\r' || c == '\n':
			if !newlines {
				return
			}
			s.off++
		case c == '#':
			for !s.eof() && s.peek() != '\n' {
				s.off++
			}
		default:
			return
		}
	}
}

// header reads "[a.b]" or "[[a.b]]" and returns the table it opens.
func (s *posScanner) header() (keyPath, bool) {
	start := s.off
	array := bytes.HasPrefix(s.rest(), []byte("[["))
	if array {
		s.off += 2
	} else {
		s.off++
	}
	parts, ok := s.keyParts()
	if !ok || len(parts) == 0 {
		return nil, false
	}
	s.skipBlank(false)
	if array {
		if !bytes.HasPrefix(s.rest(), []byte("]]")) {
			return nil, false
		}
		s.off += 2
	} else {
		if s.peek() != ']' {
			return nil, false
		}
		s.off++
	}
	var p keyPath
	for i, part := range parts {
		p = p.key(part)
		last := i == len(parts)-1
		if last && array {
			n, seen := s.aot[p.id()]
			if seen {
				n++
			}
			s.aot[p.id()] = n
			s.record(p, start, false)
			p = p.index(n)
			s.record(p, start, true)
			continue
		}
		if n, ok := s.aot[p.id()]; ok {
			p = p.index(n)
		}
		s.record(p, start, last)
	}
	return p, true
}

// keyValue reads "key = value" inside table.
func (s *posScanner) keyValue(table keyPath) bool {
	start := s.off
	parts, ok := s.keyParts()
	if !ok || len(parts) == 0 || s.peek() != '=' {
		return false
	}
	s.off++
	p := table
	for i, part := range parts {
		p = p.key(part)
		s.record(p, start, i == len(parts)-1)
	}
	s.value(p)
	return true
}

// keyParts reads a possibly dotted key and stops before "=", "]" or
// whatever follows it.
func (s *posScanner) keyParts() ([]string, bool) {
	var parts []string
	for {
		s.skipBlank(false)
		var part string
		switch c := s.peek(); {
		case c == '"':
			raw, ok := s.basicString()
			if !ok {
				return nil, false
			}
			part = unescapeKey(raw)
		case c == '\'':
			raw, ok := s.literalString()
			if !ok {
				return nil, false
			}
			part = raw
		case isBareKeyByte(c):
			start := s.off
			for !s.eof() && isBareKeyByte(s.peek()) {
				s.off++
			}
			part = string(s.src[start:s.off])
		default:
			return nil, false
		}
		parts = append(parts, part)
		s.skipBlank(false)
		if s.peek() != '.' {
			return parts, true
		}
		s.off++
	}
}

// value skips one value, recording the positions of array elements and of
// keys in inline tables under p.
func (s *posScanner) value(p keyPath) {
	s.skipBlank(false)
	switch c := s.peek(); c {
	case '"':
		if bytes.HasPrefix(s.rest(), []byte(`"""`)) {
			s.multiline('"')
		} else {
			s.basicString()
		}
	case '\'':
		if bytes.HasPrefix(s.rest(), []byte(`'''`)) {
			s.multiline('\'')
		} else {
			s.literalString()
		}
	case '[':
		s.array(p)
	case '{':
		s.inlineTable(p)
	default:
		for !s.eof() {
			switch s.peek() {
			case ',', ']', '}', '#', '\r', '\n':
				return
			}
			s.off++
		}
	}
}

func (s *posScanner) array(p keyPath) {
	s.off++ // [
	for i := 0; ; {
		s.skipBlank(true)
		if s.eof() {
			return
		}
		switch s.peek() {
		case ']':
			s.off++
			return
		case ',':
			s.off++
			continue
		}
		before := s.off
		el := p.index(i)
		s.record(el, s.off, true)
		s.value(el)
		i++
		if s.off == before {
			s.off++
		}
	}
}

func (s *posScanner) inlineTable(p keyPath) {
	s.off++ // {
	for {
		s.skipBlank(true)
		if s.eof() {
			return
		}
		switch s.peek() {
		case '}':
			s.off++
			return
		case ',':
			s.off++
			continue
		}
		before := s.off
		if !s.keyValue(p) && s.off == before {
			s.off++
		}
	}
}

// basicString reads a one-line "..." string and returns its raw content.
func (s *posScanner) basicString() (string, bool) {
	s.off++ // "
	start := s.off
	for !s.eof() {
		switch s.peek() {
		case '\\':
			s.off += 2
		case '"':
			raw := string(s.src[start:s.off])
			s.off++
			return raw, true
		case '\n':
			return "", false
		default:
			s.off++
		}
	}
	return "", false
}

// literalString reads a one-line '...' string.
func (s *posScanner) literalString() (string, bool) {
	s.off++ // '
	start := s.off
	for !s.eof() {
		switch s.peek() {
		case '\'':
			raw := string(s.src[start:s.off])
			s.off++
			return raw, true
		case '\n':
			return "", false
		default:
			s.off++
		}
	}
	return "", false
}

// multiline skips a """...""" or ”'...”' string. Up to two quotes right
// before the closing delimiter belong to the string.
func (s *posScanner) multiline(q byte) {
	delim := []byte{q, q, q}
	s.off += 3
	for !s.eof() {
		if q == '"' && s.peek() == '\\' {
			s.off += 2
			continue
		}
		if bytes.HasPrefix(s.rest(), delim) {
			s.off += 3
			for extra := 0; extra < 2 && s.peek() == q; extra++ {
				s.off++
			}
			return
		}
		s.off++
	}
}

// unescapeKey decodes the escapes of a quoted key. TOML's escapes are a
// subset of Go's, except \e and \x (TOML 1.1); on failure the raw text is
// kept, which only costs a position.
func unescapeKey(raw string) string {
	if u, err := strconv.Unquote(`"` + raw + `"`); err == nil {
		return u
	}
	return raw
}
