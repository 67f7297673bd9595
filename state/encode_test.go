package state

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
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
