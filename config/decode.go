package config

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// decoder turns the generic value tree of a TOML document into typed values,
// collecting every problem (with its line) instead of stopping at the first.
//
// kamobot decodes into map[string]any rather than into structs: the struct
// decoder of BurntSushi/toml stops at the first type mismatch, matches keys
// case-insensitively, and cannot tell on which line a key inside an array of
// tables is. Checking each table's keys here does what MetaData.Undecoded
// would, and more strictly.
type decoder struct {
	file  string
	pos   map[string]position
	errs  []*Error
	warns []Warning
}

// where returns the position of p, or of its closest ancestor that has one.
func (d *decoder) where(p keyPath) position {
	for q := p; len(q) > 0; q = q[:len(q)-1] {
		if pos, ok := d.pos[q.id()]; ok {
			return pos
		}
	}
	return position{}
}

func (d *decoder) errorf(p keyPath, format string, args ...any) {
	d.fail(p, ErrInvalid, fmt.Sprintf(format, args...))
}

func (d *decoder) fail(p keyPath, err error, msg string) {
	pos := d.where(p)
	d.errs = append(d.errs, &Error{File: d.file, Line: pos.Line, Col: pos.Col, Key: p.String(), Msg: msg, Err: err})
}

func (d *decoder) warnf(p keyPath, format string, args ...any) {
	pos := d.where(p)
	d.warns = append(d.warns, Warning{File: d.file, Line: pos.Line, Col: pos.Col, Key: p.String(), Msg: fmt.Sprintf(format, args...)})
}

// result returns the problems found, in the order of the file.
func (d *decoder) result() ([]Warning, error) {
	slices.SortStableFunc(d.errs, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
	slices.SortStableFunc(d.warns, func(a, b Warning) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
	errs := make([]error, len(d.errs))
	for i, e := range d.errs {
		errs[i] = e
	}
	return d.warns, errors.Join(errs...)
}

// checkKeys reports every key of m that is not in known, suggesting the
// known key it was probably meant to be.
func (d *decoder) checkKeys(p keyPath, m map[string]any, known ...string) {
	for _, k := range sortedKeys(m) {
		if slices.Contains(known, k) {
			continue
		}
		where := "at the top level"
		if len(p) > 0 {
			where = "in [" + p.String() + "]"
		}
		msg := fmt.Sprintf("unknown key %s %s", quoteTOML(k), where)
		if s := suggest(k, known); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		} else {
			msg += fmt.Sprintf(" (known keys: %s)", strings.Join(known, ", "))
		}
		d.errorf(p.key(k), "%s", msg)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// suggest returns the known key closest to k, if it is close enough to be
// a likely typo: same letters in another case, an abbreviation, or at most
// two edits away.
func suggest(k string, known []string) string {
	best, bestDist := "", 3
	for _, c := range known {
		if strings.EqualFold(c, k) || len(k) >= 3 && strings.HasPrefix(c, strings.ToLower(k)) {
			return c
		}
		if dist := editDistance(strings.ToLower(k), c); dist < bestDist {
			best, bestDist = c, dist
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// typeName names the TOML type of a decoded value for messages.
func typeName(v any) string {
	switch v := v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case time.Time:
		switch v.Location().String() {
		case "date-local":
			return "a date"
		case "time-local":
			return "a time"
		}
		return "a date-time"
	case []map[string]any:
		return "an array of tables"
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	}
	return fmt.Sprintf("a %T", v)
}

// table returns v as a table.
func (d *decoder) table(p keyPath, v any) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		d.errorf(p, "want a table, got %s", typeName(v))
	}
	return m, ok
}

// str returns v as a string. Its messages never show v, which may be a
// secret.
func (d *decoder) str(p keyPath, v any) (string, bool) {
	s, ok := v.(string)
	if !ok {
		d.errorf(p, "want a string, got %s", typeName(v))
	}
	return s, ok
}

// integer returns v as an integer.
func (d *decoder) integer(p keyPath, v any) (int64, bool) {
	n, ok := v.(int64)
	if !ok {
		d.errorf(p, "want an integer, got %s", typeName(v))
	}
	return n, ok
}

// boolean returns v as a boolean.
func (d *decoder) boolean(p keyPath, v any) (bool, bool) {
	b, ok := v.(bool)
	if !ok {
		d.errorf(p, "want true or false, got %s", typeName(v))
	}
	return b, ok
}

// array returns v as an array. A single value is not taken for a one-element
// array: the user would not see that the two mean the same.
func (d *decoder) array(p keyPath, v any) ([]any, bool) {
	a, ok := v.([]any)
	if !ok {
		d.errorf(p, "want an array like [\"a\", \"b\"], got %s", typeName(v))
	}
	return a, ok
}

// strings returns v as an array of strings, reporting each bad element.
func (d *decoder) strings(p keyPath, v any) ([]string, bool) {
	a, ok := d.array(p, v)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(a))
	for i, el := range a {
		if s, ok := d.str(p.index(i), el); ok {
			out = append(out, s)
		} else {
			ok = false
		}
	}
	return out, ok
}

// duration returns v, a string like "30s", as a duration. With off true,
// "0" and "off" mean 0 (disabled).
func (d *decoder) duration(p keyPath, v any, off bool) (time.Duration, bool) {
	s, ok := v.(string)
	if !ok {
		hint := ""
		if _, isInt := v.(int64); isInt {
			hint = fmt.Sprintf(` (write a unit: "%ds" for seconds)`, v)
		}
		d.errorf(p, "want a duration string like \"30s\", \"15m\" or \"2h\", got %s%s", typeName(v), hint)
		return 0, false
	}
	dur, err := parseDuration(s, off)
	if err != nil {
		d.errorf(p, "%v", err)
		return 0, false
	}
	return dur, true
}

// parseDuration reads a Go duration; with off true, "0" and "off" mean 0.
func parseDuration(s string, off bool) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if off && (t == "off" || t == "0") {
		return 0, nil
	}
	dur, err := time.ParseDuration(t)
	if err != nil {
		hint := `like "30s", "15m" or "2h"`
		if strings.HasSuffix(t, "d") {
			hint = `in hours, e.g. "48h" for two days`
		}
		if off {
			hint += `, or "off"`
		}
		return 0, fmt.Errorf("%q is not a duration: write it %s", s, hint)
	}
	if dur < 0 {
		return 0, fmt.Errorf("%q is negative", s)
	}
	if dur == 0 && !off {
		return 0, fmt.Errorf("%q must be more than zero", s)
	}
	return dur, nil
}
