package kqifake

import (
	"bytes"
	"encoding/json"
	"reflect"
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
	var b, out bytes.Buffer
	if err := encodeReal(&b, reflect.ValueOf(v)); err != nil {
		return nil, err
	}
	err := json.Indent(&out, b.Bytes(), "", "  ")
	return out.Bytes(), err
}

// encodeReal appends v to b as encoding/json would, but with explicit nulls.
func encodeReal(b *bytes.Buffer, v reflect.Value) error {
	switch v.Kind() {
	case reflect.Invalid:
		b.WriteString("null")
		return nil
	case reflect.Interface, reflect.Pointer, reflect.Slice:
		if v.IsNil() {
			b.WriteString("null")
			return nil
		}
		if v.Kind() != reflect.Slice {
			return encodeReal(b, v.Elem())
		}
		b.WriteByte('[')
		for i := range v.Len() {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := encodeReal(b, v.Index(i)); err != nil {
				return err
			}
		}
		b.WriteByte(']')
		return nil
	case reflect.Struct:
		if _, ok := v.Interface().(json.Marshaler); !ok {
			b.WriteByte('{')
			err := encodeFields(b, v)
			b.WriteByte('}')
			return err
		}
	}
	data, err := json.Marshal(v.Interface())
	b.Write(data)
	return err
}

// encodeFields appends the fields of struct v in declaration order,
// inlining untagged embedded structs as encoding/json does. An omitempty
// string, pointer, slice, map or interface that is empty is written null.
func encodeFields(b *bytes.Buffer, v reflect.Value) error {
	t := v.Type()
	for i := range t.NumField() {
		f, fv := t.Field(i), v.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-" || (!f.IsExported() && !f.Anonymous):
			continue
		case f.Anonymous && name == "" && fv.Kind() == reflect.Struct:
			if err := encodeFields(b, fv); err != nil {
				return err
			}
			continue
		case name == "":
			name = f.Name
		}
		if b.Bytes()[b.Len()-1] != '{' {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(name)
		b.Write(k)
		b.WriteByte(':')
		switch fv.Kind() {
		case reflect.String, reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
			if strings.Contains(","+opts+",", ",omitempty,") && fv.IsZero() {
				b.WriteString("null") // .NET writes null
				continue
			}
		}
		if err := encodeReal(b, fv); err != nil {
			return err
		}
	}
	return nil
}
