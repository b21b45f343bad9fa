package dataflare

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
)

// JSON is a parsed config value (the C SDK's df_json). Methods on a nil *JSON (a missing
// member or item) report "missing" and false, so lookups chain: cfg.Get("a").At(0).Str().
type JSON struct {
	kind  string // "null", "boolean", "number", "string", "array", "object"
	b     bool
	num   string // number literal
	s     string
	items []*JSON // array items / object member values
	keys  []string
}

// ParseJSON parses a JSON text (one value).
func ParseJSON(text []byte) (*JSON, error) {
	d := json.NewDecoder(bytes.NewReader(text))
	d.UseNumber()
	v, err := decodeValue(d)
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("trailing characters after the JSON value")
	}
	return v, nil
}

func decodeValue(d *json.Decoder) (*JSON, error) {
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case nil:
		return &JSON{kind: "null"}, nil
	case bool:
		return &JSON{kind: "boolean", b: t}, nil
	case json.Number:
		return &JSON{kind: "number", num: string(t)}, nil
	case string:
		return &JSON{kind: "string", s: t}, nil
	case json.Delim:
		v := &JSON{kind: "array"}
		if t == '{' {
			v.kind = "object"
		}
		for d.More() {
			if v.kind == "object" {
				k, err := d.Token()
				if err != nil {
					return nil, err
				}
				v.keys = append(v.keys, k.(string))
			}
			item, err := decodeValue(d)
			if err != nil {
				return nil, err
			}
			v.items = append(v.items, item)
		}
		if _, err := d.Token(); err != nil { // closing delimiter
			return nil, err
		}
		return v, nil
	}
	return nil, errors.New("unexpected JSON token")
}

// TypeName is "null", "boolean", "number", "string", "array", "object", or "missing" for nil.
func (j *JSON) TypeName() string {
	if j == nil {
		return "missing"
	}
	return j.kind
}

func (j *JSON) IsNull() bool   { return j != nil && j.kind == "null" }
func (j *JSON) IsBool() bool   { return j != nil && j.kind == "boolean" }
func (j *JSON) IsNumber() bool { return j != nil && j.kind == "number" }
func (j *JSON) IsString() bool { return j != nil && j.kind == "string" }
func (j *JSON) IsArray() bool  { return j != nil && j.kind == "array" }
func (j *JSON) IsObject() bool { return j != nil && j.kind == "object" }

// Len is the number of items of an array or members of an object; 0 otherwise.
func (j *JSON) Len() int {
	if j.IsArray() || j.IsObject() {
		return len(j.items)
	}
	return 0
}

// Get is the object member key (the last one if repeated), or nil.
func (j *JSON) Get(key string) *JSON {
	if !j.IsObject() {
		return nil
	}
	for i := len(j.keys) - 1; i >= 0; i-- {
		if j.keys[i] == key {
			return j.items[i]
		}
	}
	return nil
}

// At is array item i, or nil.
func (j *JSON) At(i int) *JSON {
	if !j.IsArray() || i < 0 || i >= len(j.items) {
		return nil
	}
	return j.items[i]
}

// Keys are an object's member names in document order.
func (j *JSON) Keys() []string {
	if !j.IsObject() {
		return nil
	}
	return j.keys
}

// Str is the string value.
func (j *JSON) Str() (string, bool) {
	if !j.IsString() {
		return "", false
	}
	return j.s, true
}

// Bool is the boolean value.
func (j *JSON) Bool() (bool, bool) {
	if !j.IsBool() {
		return false, false
	}
	return j.b, true
}

func (j *JSON) isIntLiteral() bool {
	return j.IsNumber() && !strings.ContainsAny(j.num, ".eE")
}

// Int64 is the value of an integer literal (no fraction or exponent) in int64 range.
func (j *JSON) Int64() (int64, bool) {
	if !j.isIntLiteral() {
		return 0, false
	}
	v, err := strconv.ParseInt(j.num, 10, 64)
	return v, err == nil
}

// Uint64 is the value of an integer literal in uint64 range.
func (j *JSON) Uint64() (uint64, bool) {
	if !j.isIntLiteral() {
		return 0, false
	}
	if j.num == "-0" {
		return 0, true
	}
	v, err := strconv.ParseUint(j.num, 10, 64)
	return v, err == nil
}

// Float64 is any number as the nearest double.
func (j *JSON) Float64() (float64, bool) {
	if !j.IsNumber() {
		return 0, false
	}
	v, _ := strconv.ParseFloat(j.num, 64) // out of range: +-Inf, as strtod
	return v, true
}

// UnknownKey is the first member name of an object not in allowed (strict configs), or "".
func (j *JSON) UnknownKey(allowed ...string) string {
	for _, k := range j.Keys() {
		if !slices.Contains(allowed, k) {
			return k
		}
	}
	return ""
}
