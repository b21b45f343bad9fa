// SDK self-test (Go): a source emitting `rows` ids in batches of at most maxRows.
package main

import (
	df "github.com/dataflare/dataflare-provider/sdk/go"
	_ "github.com/dataflare/dataflare-provider/sdk/go/export/read"
)

type ids struct{ total, next int64 }

func (s *ids) Init(cfg *df.JSON) error {
	var ok bool
	if s.total, ok = cfg.Get("rows").Int64(); !ok {
		return df.ConfigError("'rows' must be an integer")
	}
	return nil
}

func (s *ids) Read(maxRows int, out *df.Output) (df.Status, error) {
	n := min(s.total-s.next, int64(maxRows))
	if n <= 0 {
		return df.NoOutput, nil
	}
	out.Begin(int(n))
	v := out.Add("id", df.TypeInt64).Int64()
	e := out.Add("even", df.TypeUtf8)
	for j := range v {
		v[j] = s.next + int64(j)
		if v[j]%2 == 0 {
			e.AppendStr("even")
		} else {
			e.AppendNull()
		}
	}
	s.next += n
	return df.OK, nil
}

func init() { df.RegisterSource(&ids{}) }

func main() {}
