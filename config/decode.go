package config

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/kamobot/kamobot/internal/fuzzy"
	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// fileDoc is a config file as written. go-toml/v2 decodes into it strictly:
// a key it does not declare is an error. Pointers tell a key left out (the
// default applies) from one given empty. Values are checked afterwards, in
// validate.go, so that every problem is reported at once.
type fileDoc struct {
	Kamonohashi kamonohashiFile     `toml:"kamonohashi"`
	Slack       slackFile           `toml:"slack"`
	Watch       watchFile           `toml:"watch"`
	Schedule    scheduleFile        `toml:"schedule"`
	Report      reportFile          `toml:"report"`
	Tenant      []tenantFile        `toml:"tenant"`
	Owners      map[string]string   `toml:"owners"`
	Messages    map[string][]string `toml:"messages"`
}

type kamonohashiFile struct {
	Server       string  `toml:"server"`
	User         string  `toml:"user"`
	Password     string  `toml:"password"`
	PasswordFile string  `toml:"password_file"`
	CAFile       string  `toml:"ca_file"`
	Timezone     *string `toml:"timezone"`
	MaxInFlight  *int64  `toml:"max_in_flight"`
}

type slackFile struct {
	Webhook      string    `toml:"webhook"`
	WebhookFile  string    `toml:"webhook_file"`
	Language     *string   `toml:"language"`
	BotToken     string    `toml:"bot_token"`
	BotTokenFile string    `toml:"bot_token_file"`
	Channel      string    `toml:"channel"`
	AppToken     string    `toml:"app_token"`
	AppTokenFile string    `toml:"app_token_file"`
	APIURL       string    `toml:"api_url"`
	Broadcast    *[]string `toml:"broadcast"`
	MuteAllowed  []string  `toml:"mute_allowed"`
	Board        bool      `toml:"board"`
}

type watchFile struct {
	Interval            *string   `toml:"interval"`
	Kinds               *[]string `toml:"kinds"`
	Notify              *[]string `toml:"notify"`
	NotifyFrom          *[]string `toml:"notify_from"`
	AllTenants          bool      `toml:"all_tenants"`
	StuckPendingAfter   *string   `toml:"stuck_pending_after"`
	LongRunningAfter    *string   `toml:"long_running_after"`
	SummaryAfterSilence *string   `toml:"summary_after_silence"`
	// Team keys: team.go.
	Muted             *string      `toml:"muted"`
	Remind            any          `toml:"remind"` // an array of durations, or "off"
	FailingRepeatedly *failingFile `toml:"failing_repeatedly"`
	SelfAlertAfter    *string      `toml:"self_alert_after"`
}

type scheduleFile struct {
	Timezone            string            `toml:"timezone"`
	Hours               map[string]string `toml:"hours"`
	Holidays            []any             `toml:"holidays"` // "2026-12-29" or a TOML date
	OutsideHours        *string           `toml:"outside_hours"`
	OutsideHoursByEvent map[string]string `toml:"outside_hours_by_event"`
	Greetings           bool              `toml:"greetings"`
}

type tenantFile struct {
	Name        *string   `toml:"name"`
	ID          *int64    `toml:"id"`
	Mention     []string  `toml:"mention"`
	Escalate    []string  `toml:"escalate"`
	Webhook     string    `toml:"webhook"`
	WebhookFile string    `toml:"webhook_file"`
	Channel     string    `toml:"channel"`
	Kinds       *[]string `toml:"kinds"`
	Notify      *[]string `toml:"notify"`
}

// parseFile decodes src into a fileDoc and finds where each key starts. A
// syntax error or a value of the wrong type stops the decoding (doc is then
// nil); unknown keys do not, and are all reported. The errors are *Error
// values.
func parseFile(path string, src []byte) (doc *fileDoc, pl places, errs []*Error) {
	pl, perr := keyPlaces(src)
	if perr != nil {
		return nil, nil, []*Error{syntaxError(path, src, perr)}
	}
	doc = &fileDoc{}
	err := toml.NewDecoder(bytes.NewReader(src)).DisallowUnknownFields().Decode(doc)
	var strict *toml.StrictMissingError
	var de *toml.DecodeError
	switch {
	case err == nil:
	case errors.As(err, &strict):
		for i := range strict.Errors {
			errs = append(errs, unknownKeyError(path, src, pl, &strict.Errors[i]))
		}
	case errors.As(err, &de):
		return nil, nil, []*Error{typeError(path, src, pl, de)}
	default:
		return nil, nil, []*Error{&Error{File: path, Msg: err.Error(), Err: ErrInvalid}}
	}
	// go-toml/v2 takes a [tenant] table for a one-element array.
	if _, isArray := pl["tenant[0]"]; len(doc.Tenant) > 0 && !isArray {
		pos := pl["tenant"].pos
		return nil, nil, []*Error{&Error{File: path, Line: pos.Line, Col: pos.Col, Key: "tenant", Err: ErrInvalid,
			Msg: "want [[tenant]] tables, got a table"}}
	}
	// go-toml/v2 matches a key to a field regardless of case; kamobot does
	// not, and does not check a value that went to the wrong key.
	caseOK := true
	for id, v := range pl {
		if msg := wrongCase(v.path); msg != "" {
			errs = append(errs, &Error{File: path, Line: v.pos.Line, Col: v.pos.Col, Key: id, Msg: msg, Err: ErrInvalid})
			caseOK = false
		}
	}
	if !caseOK {
		return nil, nil, errs
	}
	return doc, pl, errs
}

// syntaxError turns a TOML parse error into an *Error with line and column.
// When the line holds a secret, only the position is given.
func syntaxError(path string, src []byte, err error) *Error {
	var pe *unstable.ParserError
	if !errors.As(err, &pe) {
		return &Error{File: path, Msg: "syntax error: " + err.Error(), Err: ErrInvalid}
	}
	pos := positionAt(src, highlightOffset(src, pe.Highlight))
	lines := strings.Split(string(src), "\n")[:pos.Line]
	// The key the error's line belongs to: a multi-line string goes on
	// below the key that holds it.
	key := ""
	for _, l := range slices.Backward(lines) {
		if keyLineRE.MatchString(l) {
			key = l
			break
		}
	}
	msg := "syntax error: " + pe.Message
	if holdsSecret(lines[pos.Line-1]) || holdsSecret(key) || holdsSecret(strings.Join(pe.Key, ".")) {
		msg = "syntax error (details hidden: this part of the file holds a secret)"
	}
	return &Error{File: path, Line: pos.Line, Col: pos.Col, Msg: msg, Err: ErrInvalid}
}

// keyLineRE matches a line that starts a key/value pair.
var keyLineRE = regexp.MustCompile(`^\s*[A-Za-z0-9_."'-]+(\s*\.\s*[A-Za-z0-9_"'-]+)*\s*=`)

// highlightOffset returns where highlight, a subslice of src, starts.
func highlightOffset(src, highlight []byte) int {
	if highlight == nil {
		return len(src)
	}
	return min(max(cap(src)-cap(highlight), 0), len(src))
}

// mismatchRE finds the TOML type in go-toml/v2's type mismatch messages.
var mismatchRE = regexp.MustCompile(`cannot (?:decode TOML|store (?:a|an)) ([a-z ]+) (?:into|in) `)

// typeError explains a value of the wrong type: which key, and what it
// should have been. The value itself is not shown; it may be a secret.
func typeError(path string, src []byte, pl places, de *toml.DecodeError) *Error {
	at := pl.at(src, de)
	p, pos := at.path, at.pos
	e := &Error{File: path, Line: pos.Line, Col: pos.Col, Key: pathString(p), Err: ErrInvalid}
	m := mismatchRE.FindStringSubmatch(de.Error())
	if m == nil {
		// Such as "key password is already defined": go-toml/v2 quotes no
		// string value in these.
		e.Msg = strings.TrimPrefix(de.Error(), "toml: ")
		return e
	}
	got := cmp.Or(tomlTypes[m[1]], m[1])
	want, hint := wantFor(p), ""
	if strings.HasPrefix(want, "a duration") && m[1] == "integer" {
		hint = fmt.Sprintf(` (write a unit: "%ss" for seconds)`, at.raw)
	}
	e.Msg = fmt.Sprintf("want %s, got %s%s", want, got, hint)
	return e
}

// tomlTypes names the TOML types of go-toml/v2's type mismatch messages.
var tomlTypes = map[string]string{
	"string": "a string", "integer": "an integer", "float": "a float", "boolean": "a boolean",
	"local date": "a date", "local time": "a time", "datetime": "a date-time", "local datetime": "a date-time",
	"array": "an array", "table": "a table", "inline table": "a table", "array table": "an array of tables",
}

// wantFor says what the key at p takes, from the type of its field.
func wantFor(p []string) string {
	t, ok := fieldType(p)
	if !ok {
		return "another type"
	}
	switch last := p[len(p)-1]; {
	case last == "tenant":
		return "[[tenant]] tables"
	case strings.HasSuffix(last, "interval") || strings.HasSuffix(last, "_after") || strings.HasSuffix(last, "_silence"):
		return `a duration string like "30s", "15m" or "2h"`
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	kinds := map[reflect.Kind]string{reflect.String: "a string", reflect.Bool: "true or false",
		reflect.Int64: "an integer", reflect.Slice: `an array like ["a", "b"]`}
	return cmp.Or(kinds[t.Kind()], "a table")
}

// fieldType follows p through fileDoc's types; array indexes step into a
// slice, any key into a map.
func fieldType(p []string) (reflect.Type, bool) {
	t := reflect.TypeFor[fileDoc]()
	for _, seg := range p {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch {
		case isIndexSegment(seg) && t.Kind() == reflect.Slice:
			t = t.Elem()
		case t.Kind() == reflect.Map:
			t = t.Elem()
		case t.Kind() == reflect.Struct:
			f, ok := fieldByTag(t, seg)
			if !ok {
				return nil, false
			}
			t = f.Type
		default:
			return nil, false
		}
	}
	return t, true
}

// fieldByTag finds the field of struct type t whose TOML key is key.
func fieldByTag(t reflect.Type, key string) (reflect.StructField, bool) {
	for f := range t.Fields() {
		if f.Tag.Get("toml") == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// knownKeys lists the keys of the table at p, in the order of its fields.
func knownKeys(p []string) []string {
	t, ok := fieldType(p)
	if !ok {
		return nil
	}
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var keys []string
	for f := range t.Fields() {
		keys = append(keys, f.Tag.Get("toml"))
	}
	return keys
}

// wrongCase returns a message when the last key of p matches a field only
// when case is ignored, as go-toml/v2 allows.
func wrongCase(p []string) string {
	if len(p) == 0 || isIndexSegment(p[len(p)-1]) {
		return ""
	}
	parent, key := p[:len(p)-1], p[len(p)-1]
	known := knownKeys(parent)
	if len(known) == 0 || slices.Contains(known, key) {
		return ""
	}
	for _, k := range known {
		if strings.EqualFold(k, key) {
			return unknownKeyMsg(parent, key, known)
		}
	}
	return ""
}

// unknownKeyError turns one of go-toml/v2's StrictMissingError entries into
// an *Error naming the key, its table, and the key probably meant.
func unknownKeyError(path string, src []byte, pl places, de *toml.DecodeError) *Error {
	at := pl.at(src, de)
	p, pos := at.path, at.pos
	if len(p) == 0 {
		return &Error{File: path, Line: pos.Line, Col: pos.Col, Msg: "unknown key", Err: ErrInvalid}
	}
	parent, key := p[:len(p)-1], p[len(p)-1]
	return &Error{File: path, Line: pos.Line, Col: pos.Col, Key: pathString(p), Err: ErrInvalid,
		Msg: unknownKeyMsg(parent, key, knownKeys(parent))}
}

// unknownKeyMsg says that key is not known in the table at parent, and
// which known key it probably is.
func unknownKeyMsg(parent []string, key string, known []string) string {
	where := "at the top level"
	if len(parent) > 0 {
		where = "in [" + pathString(parent) + "]"
	}
	msg := fmt.Sprintf("unknown key %s %s", quoteTOML(key), where)
	if s := suggest(key, known); s != "" {
		return msg + fmt.Sprintf(" (did you mean %q?)", s)
	}
	return msg + fmt.Sprintf(" (known keys: %s)", strings.Join(known, ", "))
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
		if dist := fuzzy.Distance(strings.ToLower(k), c); dist < bestDist {
			best, bestDist = c, dist
		}
	}
	return best
}
