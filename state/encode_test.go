package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kamobot/kamobot/api"
)

// fill sets every exported field of v (a pointer) to a random value, zero
// about one time in four, so that a field added to one of the types Encode
// writes by hand shows up as a difference with json.Marshal.
func fill(rng *rand.Rand, v reflect.Value, depth int) {
	if rng.IntN(4) == 0 && depth > 0 {
		v.SetZero()
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		fill(rng, v.Elem(), depth+1)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(randTime(rng)))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(rng, v.Field(i), depth+1)
			}
		}
	case reflect.String:
		v.SetString(randString(rng))
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(rng.Int64N(2_000_000) - 1000)
	case reflect.Bool:
		v.SetBool(rng.IntN(2) == 0)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 { // []byte: json's base64
			v.SetBytes([]byte(randString(rng)))
			return
		}
		n := rng.IntN(4)
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := range n {
			fill(rng, s.Index(i), depth+1)
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for range rng.IntN(4) {
			k := reflect.New(v.Type().Key()).Elem()
			fill(rng, k, 0)
			e := reflect.New(v.Type().Elem()).Elem()
			fill(rng, e, depth+1)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	default:
		panic("fill: unhandled kind " + v.Kind().String())
	}
}

func randString(rng *rand.Rand) string {
	parts := []string{"", "a", "resnet50-cifar10", "日本語", "<b>&</b>", `"q"`, `\`, "\n\t\r\b\f", "\x00\x1f", "\u2028\u2029",
		"\xff\xfe", "é", "tenants", `"tenants":null`, "training/12", "🙂"}
	var s string
	for range rng.IntN(3) {
		s += parts[rng.IntN(len(parts))]
	}
	return s
}

func randTime(rng *rand.Rand) time.Time {
	t := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC).Add(time.Duration(rng.Int64N(int64(400 * 24 * time.Hour))))
	switch rng.IntN(4) {
	case 0:
		return t.Truncate(time.Second)
	case 1:
		return t.In(time.FixedZone("JST", 9*3600))
	case 2:
		return t.In(time.FixedZone("", -(3*3600 + 30*60)))
	}
	return t
}

func TestEncodeMatchesMarshal(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		st := New()
		fill(rng, reflect.ValueOf(st), 0)
		if i%2 == 0 { // real kinds as keys, sometimes
			for _, ts := range st.Tenants {
				if ts != nil && ts.Kinds != nil {
					ts.Kinds[api.KindTraining] = ts.Kinds[""]
				}
			}
		}
		want, err := json.Marshal(st)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Encode(st)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("state %d: Encode differs from json.Marshal\n got: %s\nwant: %s", i, got, want)
		}
	}
}

func TestEncodeBigState(t *testing.T) {
	st := bigState(5000) // big enough to be written in parallel
	want, _ := json.Marshal(st)
	got, err := Encode(st)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("Encode differs from json.Marshal (err %v)", err)
	}
}

func TestEncodeRefusesWhatMarshalRefuses(t *testing.T) {
	for _, at := range []time.Time{
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 24*3600)),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 3600+30)),
	} {
		st := New()
		st.Tenant(1, "t", "").Cursor(api.KindTraining).Open["training/1"] = &Tracked{ID: 1, FirstSeen: at}
		_, werr := json.Marshal(st)
		_, gerr := Encode(st)
		if (werr == nil) != (gerr == nil) {
			t.Errorf("%v: Encode error %v, json.Marshal error %v", at, gerr, werr)
		}
	}
}

// failAfter fails every write once n bytes were written.
type failAfter struct{ n int }

var errFull = errors.New("disk full")

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		w := f.n
		f.n = 0
		return w, errFull
	}
	f.n -= len(p)
	return len(p), nil
}

// A write error or an encoding error in any batch, written in parallel or
// not, ends EncodeTo with that error (and -race sees no goroutine left
// writing).
func TestEncodeToStopsOnErrors(t *testing.T) {
	st := bigState(20_000) // many batches
	full, _ := json.Marshal(st)
	for _, n := range []int{0, 10, len(full) / 3, len(full) - 1} {
		if err := EncodeTo(&failAfter{n: n}, st); !errors.Is(err, errFull) {
			t.Errorf("EncodeTo to a writer failing after %d bytes: %v", n, err)
		}
	}
	if err := EncodeTo(&failAfter{n: len(full)}, st); err != nil {
		t.Errorf("EncodeTo with just enough room: %v", err)
	}
	// A time json.Marshal refuses, in a tenant in the middle.
	st.Tenants["25"].Kinds[api.KindTraining].Ended[0].At = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := json.Marshal(st); err == nil {
		t.Fatal("json.Marshal took a year 10000")
	}
	if err := EncodeTo(io.Discard, st); err == nil || errors.Is(err, errFull) {
		t.Errorf("EncodeTo of a year 10000: %v", err)
	}
	s, err := Open(filepath.Join(t.TempDir(), "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Save(st); err == nil || errors.Is(err, ErrWrite) || !strings.Contains(err.Error(), "encode state") {
		t.Errorf("Save of a year 10000 = %v; want an encoding error, not ErrWrite", err)
	}
	if _, err := os.Stat(s.Path()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Save that failed left a state file: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(s.Path()), ".*")); len(left) != 0 {
		t.Errorf("Save that failed left %v", left)
	}
}
