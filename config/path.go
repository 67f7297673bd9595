package config

import (
	"strconv"
	"strings"
)

// keyPath names a value in a TOML document: table and key names, with array
// elements as "[i]" segments. Its String form is what error messages show,
// e.g. "tenant[1].mention[0]"; its id is the map key for positions.
type keyPath []string

// key returns the path of the key name inside p.
func (p keyPath) key(name string) keyPath {
	q := make(keyPath, len(p), len(p)+1)
	copy(q, p)
	return append(q, name)
}

// index returns the path of element i of the array at p.
func (p keyPath) index(i int) keyPath {
	return p.key("[" + strconv.Itoa(i) + "]")
}

// String returns the path as a user reads it: "schedule.hours.monday",
// "tenant[0].name". Keys that are not bare TOML keys are quoted.
func (p keyPath) String() string {
	var b strings.Builder
	for i, s := range p {
		if isIndexSegment(s) {
			b.WriteString(s)
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		if isBareKey(s) {
			b.WriteString(s)
		} else {
			b.WriteString(quoteTOML(s))
		}
	}
	return b.String()
}

// id is the path as a map key: segments joined by NUL, which no bare key
// holds and which quoted keys in a config file have no reason to hold.
func (p keyPath) id() string { return strings.Join(p, "\x00") }

func isIndexSegment(s string) bool {
	if len(s) < 3 || s[0] != '[' || s[len(s)-1] != ']' {
		return false
	}
	_, err := strconv.Atoi(s[1 : len(s)-1])
	return err == nil
}

func isBareKey(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isBareKeyByte(s[i]) {
			return false
		}
	}
	return true
}

func isBareKeyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// quoteTOML returns s as a TOML basic string. Unlike strconv.Quote it keeps
// non-ASCII text as it is and only escapes what TOML requires.
func quoteTOML(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 || r == 0x7f {
				b.WriteString(`\u00`)
				b.WriteByte("0123456789abcdef"[r>>4])
				b.WriteByte("0123456789abcdef"[r&0xf])
				continue
			}
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
