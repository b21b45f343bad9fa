// basic-transformer (Go SDK): ASCII-lowercases string columns in place and appends derived
// numeric columns (from * multiply + add); every other column passes through zero-copy.
// Exact semantics: examples/basic-transformer/README.md (the same as the C, Rust and
// AssemblyScript versions; all of them pass tests/vectors/basic-transformer).
package main

import (
	"slices"

	df "github.com/dataflare/dataflare-provider/sdk/go"
	_ "github.com/dataflare/dataflare-provider/sdk/go/export/process"
)

type derive struct {
	name, from    string
	multiply, add *df.JSON // nil = 1, 0
}

type basicTransformer struct {
	lowercase []string
	derive    []derive
}

func (p *basicTransformer) Init(cfg *df.JSON) error {
	if !cfg.IsObject() {
		return df.ConfigError("config must be an object, got %s", cfg.TypeName())
	}
	if bad := cfg.UnknownKey("lowercase", "derive"); bad != "" {
		return df.ConfigError("unknown config key '%s'", bad)
	}
	if lc := cfg.Get("lowercase"); lc != nil {
		if !lc.IsArray() {
			return df.ConfigError("'lowercase' must be an array of column names, got %s", lc.TypeName())
		}
		for i := 0; i < lc.Len(); i++ {
			s, ok := lc.At(i).Str()
			if !ok {
				return df.ConfigError("'lowercase'[%d] must be a string, got %s", i, lc.At(i).TypeName())
			}
			p.lowercase = append(p.lowercase, s)
		}
	}
	if dv := cfg.Get("derive"); dv != nil {
		if !dv.IsArray() {
			return df.ConfigError("'derive' must be an array of objects, got %s", dv.TypeName())
		}
		for i := 0; i < dv.Len(); i++ {
			d := dv.At(i)
			if !d.IsObject() {
				return df.ConfigError("'derive'[%d] must be an object, got %s", i, d.TypeName())
			}
			if bad := d.UnknownKey("name", "from", "multiply", "add"); bad != "" {
				return df.ConfigError("'derive'[%d]: unknown key '%s'", i, bad)
			}
			var e derive
			var ok bool
			if e.name, ok = d.Get("name").Str(); !ok {
				return df.ConfigError("'derive'[%d]: 'name' must be a string", i)
			}
			if e.from, ok = d.Get("from").Str(); !ok {
				return df.ConfigError("'derive'[%d]: 'from' must be a string", i)
			}
			e.multiply, e.add = d.Get("multiply"), d.Get("add")
			if e.multiply != nil && !e.multiply.IsNumber() {
				return df.ConfigError("'derive'[%d]: 'multiply' must be a number", i)
			}
			if e.add != nil && !e.add.IsNumber() {
				return df.ConfigError("'derive'[%d]: 'add' must be a number", i)
			}
			p.derive = append(p.derive, e)
		}
	}
	return nil
}

func (p *basicTransformer) Process(in *df.Batch, out *df.Output) (df.Status, error) {
	// check the schema first, so that a bad column fails before any work
	for _, name := range p.lowercase {
		if in.Find(name) == nil {
			return 0, df.SchemaError("lowercase: column '%s' not found", name)
		}
		for _, c := range in.Columns {
			if c.Name == name && !c.Type.IsString() {
				return 0, df.SchemaError("lowercase: column '%s' is %s, expected string or large_string", c.Name, c.Type)
			}
		}
	}
	for _, d := range p.derive {
		if in.Find(d.from) == nil {
			return 0, df.SchemaError("derive '%s': column '%s' not found", d.name, d.from)
		}
	}
	for _, c := range in.Columns {
		if slices.Contains(p.lowercase, c.Name) {
			start, end := c.DataRange()
			data := out.Copy(c, c.Name).Data()[start:end]
			for i, ch := range data {
				if ch-'A' < 26 {
					data[i] = ch + 32
				}
			}
		} else {
			out.Pass(c)
		}
	}
	for _, d := range p.derive {
		if err := deriveColumn(out, d, in.Find(d.from)); err != nil {
			return 0, err
		}
	}
	return df.OK, nil
}

func intParam(d derive, v *df.JSON, key string, def int64, c *df.Column) (int64, error) {
	if v == nil {
		return def, nil
	}
	x, ok := v.Int64()
	if !ok {
		return 0, df.ConfigError("derive '%s': '%s' must be an integer for integer column '%s' (%s)", d.name, key, d.from, c.Type)
	}
	return x, nil
}

func deriveInts[T df.Native](dst []int64, src []T, m, a int64) {
	for j, x := range src {
		dst[j] = int64(x)*m + a // Go integer arithmetic wraps
	}
}

func deriveColumn(out *df.Output, d derive, c *df.Column) error {
	switch {
	case c.Type.IsInt():
		m, err := intParam(d, d.multiply, "multiply", 1, c)
		if err != nil {
			return err
		}
		a, err := intParam(d, d.add, "add", 0, c)
		if err != nil {
			return err
		}
		b := out.Add(d.name, df.TypeInt64)
		dst := b.Int64()
		switch c.Type {
		case df.TypeInt8:
			deriveInts(dst, c.Int8(), m, a)
		case df.TypeInt16:
			deriveInts(dst, c.Int16(), m, a)
		case df.TypeInt32:
			deriveInts(dst, c.Int32(), m, a)
		case df.TypeInt64:
			deriveInts(dst, c.Int64(), m, a)
		case df.TypeUint8:
			deriveInts(dst, c.Uint8(), m, a)
		case df.TypeUint16:
			deriveInts(dst, c.Uint16(), m, a)
		case df.TypeUint32:
			deriveInts(dst, c.Uint32(), m, a)
		default:
			deriveInts(dst, c.Uint64(), m, a)
		}
		zeroNulls(dst, c)
		b.CopyValidity(c)
	case c.Type.IsFloat():
		m, a := 1.0, 0.0
		if d.multiply != nil {
			m, _ = d.multiply.Float64()
		}
		if d.add != nil {
			a, _ = d.add.Float64()
		}
		b := out.Add(d.name, df.TypeFloat64)
		dst := b.Float64()
		if c.Type == df.TypeFloat32 {
			for j, x := range c.Float32() {
				dst[j] = float64(float64(x)*m) + a // explicit conversion: no fused multiply-add
			}
		} else {
			for j, x := range c.Float64() {
				dst[j] = float64(x*m) + a
			}
		}
		zeroNulls(dst, c)
		b.CopyValidity(c)
	default:
		return df.SchemaError("derive '%s': column '%s' is %s, expected an integer or floating-point column", d.name, d.from, c.Type)
	}
	return nil
}

// zeroNulls: the value slot under a null is 0.
func zeroNulls[T int64 | float64](dst []T, c *df.Column) {
	if c.HasNulls() {
		for j := range dst {
			if c.IsNull(j) {
				dst[j] = 0
			}
		}
	}
}

func init() { df.RegisterProcessor(&basicTransformer{}) }

func main() {}
