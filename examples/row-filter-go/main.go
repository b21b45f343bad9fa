// row-filter (Go SDK): keeps the rows whose numeric column satisfies `column op value`, drops
// the others, and sends rows where the column is null to the dead-letter output (through the
// _dataflare_error column). Exact semantics: examples/row-filter/README.md (the same as the C,
// Rust and AssemblyScript versions; all of them pass tests/vectors/row-filter).
package main

import (
	"math"

	df "github.com/dataflare/dataflare-provider/sdk/go"
	_ "github.com/dataflare/dataflare-provider/sdk/go/export/process"
)

// keep[class]: class 0 less, 1 equal, 2 greater, 3 unordered (NaN).
var ops = map[string][4]bool{
	">": {false, false, true, false}, ">=": {false, true, true, false},
	"<": {true, false, false, false}, "<=": {true, true, false, false},
	"==": {false, true, false, false}, "!=": {true, false, true, true},
}

type rowFilter struct {
	column, nullMessage string
	keep                [4]bool
	value               *df.JSON
}

func (p *rowFilter) Init(cfg *df.JSON) error {
	if !cfg.IsObject() {
		return df.ConfigError("config must be an object, got %s", cfg.TypeName())
	}
	if bad := cfg.UnknownKey("column", "op", "value"); bad != "" {
		return df.ConfigError("unknown config key '%s'", bad)
	}
	var ok bool
	if p.column, ok = cfg.Get("column").Str(); !ok {
		return df.ConfigError("'column' is required and must be a string")
	}
	op, ok := cfg.Get("op").Str()
	if !ok {
		return df.ConfigError("'op' is required and must be a string")
	}
	if p.keep, ok = ops[op]; !ok {
		return df.ConfigError("'op' must be one of > >= < <= == !=, got '%s'", op)
	}
	p.value = cfg.Get("value")
	if !p.value.IsNumber() {
		return df.ConfigError("'value' is required and must be a number, got %s", p.value.TypeName())
	}
	p.nullMessage = p.column + " is null"
	return nil
}

func cmp[T int64 | uint64](x, t T, frac bool) int {
	switch {
	case x < t:
		return 0
	case x > t:
		return 2
	case frac:
		return 0
	}
	return 1
}

// classifier returns the comparison class of row j of c.
func (p *rowFilter) classifier(c *df.Column) func(j int) int {
	v, _ := p.value.Float64()
	if c.Type.IsFloat() {
		return func(j int) int {
			x := c.GetFloat64(j)
			switch {
			case x > v:
				return 2
			case x == v:
				return 1
			case x < v:
				return 0
			}
			return 3
		}
	}
	less, greater := func(int) int { return 0 }, func(int) int { return 2 }
	i, isI64 := p.value.Int64()
	u, isU64 := p.value.Uint64()
	f := math.Floor(v)
	frac := !isI64 && !isU64 && v != f
	if c.Type.IsSignedInt() {
		var t int64
		switch {
		case isI64:
			t = i
		case isU64, v >= 9223372036854775808.0:
			return less
		case v < -9223372036854775808.0:
			return greater
		default:
			t = int64(f)
		}
		return func(j int) int { return cmp(c.GetInt64(j), t, frac) }
	}
	var t uint64
	switch {
	case isU64:
		t = u
	case isI64: // negative
		return greater
	case v >= 18446744073709551616.0:
		return less
	case v < 0:
		return greater
	default:
		t = uint64(f)
	}
	return func(j int) int { return cmp(uint64(c.GetInt64(j)), t, frac) }
}

func (p *rowFilter) Process(in *df.Batch, out *df.Output) (df.Status, error) {
	c := in.Find(p.column)
	if c == nil {
		return 0, df.SchemaError("column '%s' not found", p.column)
	}
	if !c.Type.IsNumeric() {
		return 0, df.SchemaError("column '%s' is %s, expected a numeric column", p.column, c.Type)
	}
	n := in.NumRows
	sel := df.NewSelection(n)
	errors := 0
	class := p.classifier(c)
	for j := 0; j < n; j++ {
		if c.IsNull(j) {
			sel.Push(j)
			errors++
		} else if p.keep[class(j)] {
			sel.Push(j)
		}
	}
	kept := sel.Len()
	df.CounterAdd("rows_dropped", int64(n-kept))
	if kept == 0 {
		return df.NoOutput, nil
	}
	out.Begin(kept)
	if kept == n {
		out.PassAll(in) // nothing dropped: zero-copy
	} else {
		out.TakeAll(in, sel)
	}
	e := out.ErrorColumn()
	if errors == 0 {
		e.AppendNulls(kept)
	} else {
		for _, k := range sel.Indices {
			if c.IsNull(int(k)) {
				e.AppendStr(p.nullMessage)
			} else {
				e.AppendNull()
			}
		}
	}
	return df.OK, nil
}

func init() { df.RegisterProcessor(&rowFilter{}) }

func main() {}
