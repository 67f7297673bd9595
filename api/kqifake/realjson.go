package kqifake

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
)

// realJSON encodes v as the real server does: Newtonsoft.Json with
// Formatting.Indented and its default NullValueHandling.Include
// (Controllers/Util/CustomJsonResult.cs, SerializeJsonAsync, lines 96-106),
// so the answer is indented by two spaces and an unset string, object or
// list is written as an explicit null rather than left out. The wire types
// mark those fields omitempty; numbers and booleans keep their value, as
// .NET's value types do.
func realJSON(v any) ([]byte, error) {
	return json.MarshalIndent(tree(reflect.ValueOf(v)), "", "  ")
}

// member is one property of an object, in declaration order.
type member struct {
	name  string
	value any
}

// object is a JSON object whose properties keep their order.
type object []member

// MarshalJSON writes the properties in order.
func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(m.name)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(m.value)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// tree turns v into values json encodes with explicit nulls.
func tree(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Invalid:
		return nil
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return tree(v.Elem())
	case reflect.Struct:
		if _, ok := v.Interface().(json.Marshaler); ok {
			return v.Interface()
		}
		var o object
		members(v, &o)
		return o
	case reflect.Slice:
		if v.IsNil() {
			return nil
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = tree(v.Index(i))
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return nil
		}
		keys := make([]string, 0, v.Len())
		for _, k := range v.MapKeys() {
			keys = append(keys, k.String())
		}
		slices.Sort(keys)
		o := make(object, 0, len(keys))
		for _, k := range keys {
			o = append(o, member{k, tree(v.MapIndex(reflect.ValueOf(k).Convert(v.Type().Key())))})
		}
		return o
	}
	return v.Interface()
}

// members appends the fields of struct v, inlining untagged embedded
// structs as encoding/json does.
func members(v reflect.Value, o *object) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		fv := v.Field(i)
		if f.Anonymous && name == "" && fv.Kind() == reflect.Struct {
			members(fv, o)
			continue
		}
		if name == "" {
			name = f.Name
		}
		omit := strings.Contains(","+opts+",", ",omitempty,")
		switch fv.Kind() {
		case reflect.String, reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
			if omit && fv.IsZero() {
				*o = append(*o, member{name, nil}) // .NET writes null
				continue
			}
		}
		*o = append(*o, member{name, tree(fv)})
	}
}
