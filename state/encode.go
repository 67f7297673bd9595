package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// Encode returns the JSON document of st: see EncodeTo.
func Encode(st *State) ([]byte, error) {
	var buf bytes.Buffer
	size := 4096
	for _, t := range st.Tenants {
		size += t.sizeHint()
	}
	buf.Grow(size + size/8)
	if err := EncodeTo(&buf, st); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// EncodeTo writes the JSON document of st to w, byte for byte what
// json.Marshal writes, in a fraction of the time and memory: the tenants'
// cursors, the bulk of a large state, are written by hand (no reflection,
// no allocation per time and no re-validation), a batch of tenants at a
// time (several batches at once on several CPUs), and never held whole in
// memory. Every other field goes through json.Marshal, so a field added to
// State is saved without a change here. TestEncodeMatchesMarshal fills
// every field of the hand-written types (new ones too) and compares.
//
// An error of w is returned as it is; any other error is one json.Marshal
// would give.
func EncodeTo(w io.Writer, st *State) error {
	head := *st
	head.Tenants = nil
	b, err := json.Marshal(&head)
	if err != nil {
		return err
	}
	// With Tenants nil, json.Marshal wrote `"tenants":null`, once, at the
	// top level: Tenants comes before every map or struct field that could
	// hold a key "tenants", and inside a string every `"` is escaped.
	at := bytes.Index(b, []byte(`"tenants":null`))
	if at < 0 {
		return errors.New(`encode state: no "tenants" field`)
	}
	at += len(`"tenants":`)
	if _, err := w.Write(b[:at]); err != nil {
		return err
	}
	if err := writeTenants(w, st.Tenants); err != nil {
		return err
	}
	_, err = w.Write(b[at+len("null"):])
	return err
}

// batchSize is about how many bytes of tenants are written at a time.
const batchSize = 256 << 10

// writeTenants writes the tenants object in batches of whole tenants, in
// key order. With several CPUs and batches, up to one batch a CPU (at most
// 8) is encoded while the one before is written; the memory held is a few
// batches, whatever the size of the state.
func writeTenants(w io.Writer, m map[string]*TenantState) error {
	if m == nil {
		_, err := io.WriteString(w, "null")
		return err
	}
	keys := slices.Sorted(maps.Keys(m))
	type batch struct {
		keys []string
		size int // estimated
	}
	var batches []batch
	for lo := 0; lo < len(keys); {
		b := batch{}
		hi := lo
		for ; hi < len(keys) && (hi == lo || b.size < batchSize); hi++ {
			b.size += m[keys[hi]].sizeHint()
		}
		b.keys = keys[lo:hi]
		batches = append(batches, b)
		lo = hi
	}
	encode := func(i int) ([]byte, error) {
		b := getBuf(batches[i].size + batches[i].size/8)
		if i > 0 {
			b = append(b, ',')
		}
		return appendTenantRange(b, m, batches[i].keys)
	}
	if _, err := io.WriteString(w, "{"); err != nil {
		return err
	}
	workers := min(runtime.GOMAXPROCS(0), 8)
	if workers < 2 || len(batches) < 2 {
		for i := range batches {
			b, err := encode(i)
			if err != nil {
				return err
			}
			_, err = w.Write(b)
			putBuf(b)
			if err != nil {
				return err
			}
		}
	} else if err := writeParallel(w, len(batches), workers, encode); err != nil {
		return err
	}
	_, err := io.WriteString(w, "}")
	return err
}

// writeParallel encodes n batches, up to workers at once and never more
// than workers ahead of the writer, and writes them in order. It returns
// the first error, once every goroutine it started has finished.
func writeParallel(w io.Writer, n, workers int, encode func(int) ([]byte, error)) error {
	type result struct {
		b   []byte
		err error
	}
	results := make([]chan result, n)
	for i := range results {
		results[i] = make(chan result, 1)
	}
	ahead := make(chan struct{}, workers) // batches encoded or encoding, not yet written
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range n {
			select {
			case ahead <- struct{}{}:
			case <-stop:
				return
			}
			wg.Go(func() {
				b, err := encode(i)
				results[i] <- result{b, err}
			})
		}
	})
	var err error
	for i := range n {
		r := <-results[i]
		<-ahead
		if err = r.err; err == nil {
			_, err = w.Write(r.b)
			putBuf(r.b)
		}
		if err != nil {
			close(stop)
			break
		}
	}
	wg.Wait()
	return err
}

// bufs keeps the buffers of batches written, for the next ones and the
// next Save (a big state then allocates a few batches, not its size).
var bufs sync.Pool

func getBuf(size int) []byte {
	if p, ok := bufs.Get().(*[]byte); ok && cap(*p) >= size {
		return (*p)[:0]
	}
	return make([]byte, 0, max(size, batchSize))
}

func putBuf(b []byte) {
	if cap(b) <= 4*batchSize { // a huge tenant's buffer is let go
		bufs.Put(&b)
	}
}

// sizeHint guesses the size of a tenant's JSON.
func (t *TenantState) sizeHint() int {
	n := 64
	if t == nil {
		return n
	}
	for _, c := range t.Kinds {
		if c == nil {
			continue
		}
		n += 350*len(c.Open) + 80*len(c.Ended)
		for _, d := range c.Defs {
			if d != nil {
				n += 100 + 8*len(d.Known)
			}
		}
	}
	return n
}

// appendTenantRange writes the tenants named by keys, comma-separated.
func appendTenantRange(b []byte, m map[string]*TenantState, keys []string) ([]byte, error) {
	var err error
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		if b, err = appendTenant(b, m[k]); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func appendTenant(b []byte, t *TenantState) ([]byte, error) {
	if t == nil {
		return append(b, "null"...), nil
	}
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, t.ID, 10)
	b = append(b, `,"name":`...)
	b = appendString(b, t.Name)
	if t.DisplayName != "" {
		b = append(b, `,"display_name":`...)
		b = appendString(b, t.DisplayName)
	}
	b = append(b, `,"kinds":`...)
	if t.Kinds == nil {
		b = append(b, "null"...)
		return append(b, '}'), nil
	}
	b = append(b, '{')
	var err error
	for i, k := range slices.Sorted(maps.Keys(t.Kinds)) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, string(k))
		b = append(b, ':')
		if b, err = appendCursor(b, t.Kinds[k]); err != nil {
			return nil, err
		}
	}
	return append(b, "}}"...), nil
}

func appendCursor(b []byte, c *KindCursor) ([]byte, error) {
	if c == nil {
		return append(b, "null"...), nil
	}
	b = append(b, `{"baselined":`...)
	b = strconv.AppendBool(b, c.Baselined)
	b = append(b, `,"max_id":`...)
	b = strconv.AppendInt(b, c.MaxID, 10)
	b = append(b, `,"open":`...)
	var err error
	if c.Open == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '{')
		for i, k := range slices.Sorted(maps.Keys(c.Open)) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			if b, err = appendTracked(b, c.Open[k]); err != nil {
				return nil, err
			}
		}
		b = append(b, '}')
	}
	if len(c.Ended) > 0 {
		b = append(b, `,"ended":[`...)
		for i, e := range c.Ended {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"key":`...)
			b = appendString(b, e.Key)
			b = append(b, `,"status":`...)
			b = appendString(b, e.Status)
			b = append(b, `,"at":`...)
			if b, err = appendTime(b, e.At); err != nil {
				return nil, err
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if len(c.Defs) > 0 {
		b = append(b, `,"defs":{`...)
		// json.Marshal sorts integer keys as the strings they are written as.
		keys := make([]string, 0, len(c.Defs))
		byKey := make(map[string]*DefCursor, len(c.Defs))
		for id, d := range c.Defs {
			k := strconv.FormatInt(id, 10)
			keys = append(keys, k)
			byKey[k] = d
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '"')
			b = append(b, k...)
			b = append(b, `":`...)
			if b, err = appendDef(b, byKey[k]); err != nil {
				return nil, err
			}
		}
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

func appendDef(b []byte, d *DefCursor) ([]byte, error) {
	if d == nil {
		return append(b, "null"...), nil
	}
	b = append(b, '{')
	var err error
	sep := false
	field := func(name string) {
		if sep {
			b = append(b, ',')
		}
		sep = true
		b = append(b, name...)
	}
	if !d.LastActivity.IsZero() {
		field(`"last_activity":`)
		if b, err = appendTime(b, d.LastActivity); err != nil {
			return nil, err
		}
	}
	if !d.NextCheck.IsZero() {
		field(`"next_check":`)
		if b, err = appendTime(b, d.NextCheck); err != nil {
			return nil, err
		}
	}
	if len(d.Known) > 0 {
		field(`"known":[`)
		for i, id := range d.Known {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, id, 10)
		}
		b = append(b, ']')
	}
	return append(b, '}'), nil
}

func appendTracked(b []byte, t *Tracked) ([]byte, error) {
	if t == nil {
		return append(b, "null"...), nil
	}
	var err error
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, t.ID, 10)
	if t.ParentID != 0 {
		b = append(b, `,"parent_id":`...)
		b = strconv.AppendInt(b, t.ParentID, 10)
	}
	b = append(b, `,"name":`...)
	b = appendString(b, t.Name)
	if t.Owner != "" {
		b = append(b, `,"owner":`...)
		b = appendString(b, t.Owner)
	}
	b = append(b, `,"status":`...)
	b = appendString(b, t.Status)
	if !t.CreatedAt.IsZero() {
		b = append(b, `,"created_at":`...)
		if b, err = appendTime(b, t.CreatedAt); err != nil {
			return nil, err
		}
	}
	b = append(b, `,"first_seen":`...)
	if b, err = appendTime(b, t.FirstSeen); err != nil {
		return nil, err
	}
	b = append(b, `,"changed_at":`...)
	if b, err = appendTime(b, t.ChangedAt); err != nil {
		return nil, err
	}
	if !t.StartedAt.IsZero() {
		b = append(b, `,"started_at":`...)
		if b, err = appendTime(b, t.StartedAt); err != nil {
			return nil, err
		}
	}
	b = append(b, `,"behind":`...)
	b = strconv.AppendInt(b, int64(t.Behind), 10)
	if t.Far {
		b = append(b, `,"far":true`...)
	}
	if !t.NextCheck.IsZero() {
		b = append(b, `,"next_check":`...)
		if b, err = appendTime(b, t.NextCheck); err != nil {
			return nil, err
		}
	}
	if t.Missing != 0 {
		b = append(b, `,"missing":`...)
		b = strconv.AppendInt(b, int64(t.Missing), 10)
	}
	if len(t.Alerted) > 0 {
		b = append(b, `,"alerted":[`...)
		for i, e := range t.Alerted {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, string(e))
		}
		b = append(b, ']')
	}
	return append(b, '}'), nil
}

// appendTime writes t as time.Time.MarshalJSON does, with its checks.
func appendTime(b []byte, t time.Time) ([]byte, error) {
	n0 := len(b) + 1
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	// The edge cases time.Time.MarshalJSON refuses (see appendStrictRFC3339).
	switch {
	case len(b) < n0+len("9999-") || b[n0+len("9999")] != '-':
		return nil, fmt.Errorf("json: error calling MarshalJSON for type time.Time: %w", marshalTimeErr(t))
	case b[len(b)-1] != 'Z':
		c := b[len(b)-len("Z07:00")]
		h := 10*(b[len(b)-len("07:00")]-'0') + (b[len(b)-len("7:00")] - '0')
		if ('0' <= c && c <= '9') || h >= 24 {
			return nil, fmt.Errorf("json: error calling MarshalJSON for type time.Time: %w", marshalTimeErr(t))
		}
	}
	return append(b, '"'), nil
}

func marshalTimeErr(t time.Time) error {
	if _, err := t.MarshalJSON(); err != nil {
		return err
	}
	return errors.New("Time.MarshalJSON: cannot encode")
}

const hex = "0123456789abcdef"

// appendString writes s as a JSON string exactly as json.Marshal does
// (HTML-safe: <, > and & are escaped, as are U+2028 and U+2029; invalid
// UTF-8 becomes U+FFFD).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
