package dataflare

import (
	"strings"
	"testing"
)

func TestNumbersKeepTheirIntegerReadings(t *testing.T) {
	v, err := ParseJSON([]byte(`[1, -0, 9223372036854775808, -9223372036854775808, 18446744073709551616, 2.5, 1e3, 0.1]`))
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		i   int64
		iok bool
		u   uint64
		uok bool
		f   float64
	}
	for k, w := range []want{
		{1, true, 1, true, 1}, {0, true, 0, true, 0}, {0, false, 1 << 63, true, 9223372036854775808},
		{-1 << 63, true, 0, false, -9223372036854775808}, {0, false, 0, false, 18446744073709551616},
		{0, false, 0, false, 2.5}, {0, false, 0, false, 1000}, {0, false, 0, false, 0.1},
	} {
		n := v.At(k)
		i, iok := n.Int64()
		u, uok := n.Uint64()
		f, _ := n.Float64()
		if i != w.i || iok != w.iok || u != w.u || uok != w.uok || f != w.f {
			t.Errorf("item %d: got %d %v %d %v %v", k, i, iok, u, uok, f)
		}
	}
}

func TestStringsObjectsAndLookups(t *testing.T) {
	v, err := ParseJSON([]byte(` {"a": "x\u00e9\ud83d\ude00\n", "b": [true, null], "a": {"c": 1}} `))
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := v.Get("a").Get("c").Int64(); !ok || c != 1 {
		t.Errorf("the last member of a name wins: %v %v", c, ok)
	}
	if v.Len() != 3 || v.UnknownKey("a") != "b" || v.Get("missing").TypeName() != "missing" {
		t.Errorf("len %d, unknown %q", v.Len(), v.UnknownKey("a"))
	}
	if b, ok := v.Get("b").At(0).Bool(); !ok || !b || !v.Get("b").At(1).IsNull() {
		t.Error("array items")
	}
	s, _ := ParseJSON([]byte(`"x\u00e9\ud83d\ude00\n"`))
	if got, _ := s.Str(); got != "x\u00e9\U0001F600\n" {
		t.Errorf("escapes: %q", got)
	}
}

func TestSyntaxErrorsNameTheByte(t *testing.T) {
	for text, what := range map[string]string{
		"[": "unexpected end of input", "{": "expected a member name", "[1,]": "unexpected character",
		`{"a" 1}`: "expected ':'", `"\ud800"`: "unpaired surrogate", "01": "trailing characters",
		"1.": "bad number", "\"a\x01\"": "control character",
		strings.Repeat("[", 65) + strings.Repeat("]", 65): "nesting too deep",
	} {
		_, err := ParseJSON([]byte(text))
		if err == nil || !strings.Contains(err.Error(), what) || !strings.Contains(err.Error(), " at byte ") {
			t.Errorf("%q: %v", text, err)
		}
	}
}
