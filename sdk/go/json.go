package dataflare

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
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

// ParseJSON parses a JSON text (one value). A small reader of its own rather than
// encoding/json keeps reflection out of the module (about 0.7 MB smaller).
func ParseJSON(text []byte) (*JSON, error) {
	p := &jsonParser{s: text}
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.i != len(text) {
		return nil, p.fail("trailing characters after the JSON value")
	}
	return v, nil
}

const maxJSONDepth = 64

type jsonParser struct {
	s     []byte
	i     int
	depth int
}

func (p *jsonParser) fail(what string) error {
	return errors.New(what + " at byte " + strconv.Itoa(p.i))
}

func (p *jsonParser) ws() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *jsonParser) peek() int {
	if p.i < len(p.s) {
		return int(p.s[p.i])
	}
	return -1
}

func (p *jsonParser) value() (*JSON, error) {
	p.ws()
	switch c := p.peek(); {
	case c < 0:
		return nil, p.fail("unexpected end of input")
	case c == '{' || c == '[':
		return p.container(c == '{')
	case c == '"':
		s, err := p.str()
		return &JSON{kind: "string", s: s}, err
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	}
	for _, w := range []struct {
		text string
		v    JSON
	}{{"true", JSON{kind: "boolean", b: true}}, {"false", JSON{kind: "boolean"}}, {"null", JSON{kind: "null"}}} {
		if strings.HasPrefix(string(p.s[p.i:]), w.text) {
			p.i += len(w.text)
			v := w.v
			return &v, nil
		}
	}
	return nil, p.fail("unexpected character")
}

func (p *jsonParser) container(object bool) (*JSON, error) {
	if p.depth++; p.depth > maxJSONDepth {
		return nil, p.fail("nesting too deep")
	}
	v := &JSON{kind: "array"}
	closing := ']'
	if object {
		v.kind, closing = "object", '}'
	}
	p.i++
	p.ws()
	if p.peek() == int(closing) {
		p.i++
		p.depth--
		return v, nil
	}
	for {
		p.ws()
		if object {
			if p.peek() != '"' {
				return nil, p.fail("expected a member name")
			}
			k, err := p.str()
			if err != nil {
				return nil, err
			}
			p.ws()
			if p.peek() != ':' {
				return nil, p.fail("expected ':'")
			}
			p.i++
			v.keys = append(v.keys, k)
		}
		item, err := p.value()
		if err != nil {
			return nil, err
		}
		v.items = append(v.items, item)
		p.ws()
		switch p.peek() {
		case ',':
			p.i++
			continue
		case int(closing):
			p.i++
			p.depth--
			return v, nil
		}
		if object {
			return nil, p.fail("expected ',' or '}'")
		}
		return nil, p.fail("expected ',' or ']'")
	}
}

func (p *jsonParser) hex4() (rune, bool) {
	if p.i+4 > len(p.s) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(p.s[p.i:p.i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	p.i += 4
	return rune(v), true
}

func (p *jsonParser) str() (string, error) {
	p.i++ // opening quote
	var out []byte
	for {
		c := p.peek()
		if c < 0 {
			return "", p.fail("unterminated string")
		}
		p.i++
		switch {
		case c == '"':
			if !utf8.Valid(out) {
				return "", p.fail("invalid UTF-8 in string")
			}
			return string(out), nil
		case c < 0x20:
			p.i--
			return "", p.fail("control character in string")
		case c != '\\':
			out = append(out, byte(c))
			continue
		}
		e := p.peek()
		p.i++
		switch e {
		case '"', '\\', '/':
			out = append(out, byte(e))
		case 'b':
			out = append(out, 8)
		case 'f':
			out = append(out, 12)
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", p.fail("bad \\u escape")
			}
			if r >= 0xD800 && r < 0xDC00 {
				if !strings.HasPrefix(string(p.s[p.i:]), "\\u") {
					return "", p.fail("unpaired surrogate in \\u escape")
				}
				p.i += 2
				lo, ok := p.hex4()
				if !ok || lo < 0xDC00 || lo > 0xDFFF {
					return "", p.fail("unpaired surrogate in \\u escape")
				}
				r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
			} else if r >= 0xDC00 && r <= 0xDFFF {
				return "", p.fail("unpaired surrogate in \\u escape")
			}
			out = utf8.AppendRune(out, r)
		default:
			p.i--
			return "", p.fail("bad escape in string")
		}
	}
}

func (p *jsonParser) digits() bool {
	start := p.i
	for p.peek() >= '0' && p.peek() <= '9' {
		p.i++
	}
	return p.i > start
}

func (p *jsonParser) number() (*JSON, error) {
	start := p.i
	if p.peek() == '-' {
		p.i++
	}
	if p.peek() == '0' {
		p.i++
	} else if !p.digits() {
		return nil, p.fail("bad number")
	}
	if p.peek() == '.' {
		p.i++
		if !p.digits() {
			return nil, p.fail("bad number")
		}
	}
	if p.peek() == 'e' || p.peek() == 'E' {
		p.i++
		if p.peek() == '+' || p.peek() == '-' {
			p.i++
		}
		if !p.digits() {
			return nil, p.fail("bad number")
		}
	}
	return &JSON{kind: "number", num: string(p.s[start:p.i])}, nil
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
	if err != nil {
		return 0, false
	}
	return v, true
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
	if err != nil {
		return 0, false
	}
	return v, true
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
