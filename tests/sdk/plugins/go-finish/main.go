// SDK self-test (Go): a stateful processor. Process passes batches through and counts rows;
// Finish emits rows exercising the builders the reference plugins do not use.
package main

import (
	df "github.com/dataflare/dataflare-provider/sdk/go"
	_ "github.com/dataflare/dataflare-provider/sdk/go/export/finish"
)

type totals struct {
	rows, batches int64
	label         string
}

func (p *totals) Init(cfg *df.JSON) error {
	p.label = "total"
	if s, ok := cfg.Get("label").Str(); ok {
		p.label = s
	}
	return nil
}

func (p *totals) Process(in *df.Batch, out *df.Output) (df.Status, error) {
	p.rows += int64(in.NumRows)
	p.batches++
	df.CounterAdd("rows_seen", int64(in.NumRows))
	df.HistogramRecord("batch_rows", float64(in.NumRows))
	out.PassAll(in)
	return df.OK, nil
}

func (p *totals) Finish(out *df.Output) (df.Status, error) {
	df.LogInfo("finishing after %d batches", p.batches)
	out.Begin(2)
	copy(out.Add("rows", df.TypeInt64).Int64(), []int64{p.rows, p.batches})
	label := out.Add("label", df.TypeUtf8)
	label.Appendf("%s=%d", p.label, p.rows)
	label.AppendNull()
	b := out.Add("flag", df.TypeBool)
	b.SetBool(0, true)
	b.SetNull(1)
	out.AddTimestamp("at", df.Milli, "UTC").Timestamp()[1] = 86_400_000
	out.Add("day", df.TypeDate32).Date32()[0] = 19_000
	out.Add("nothing", df.TypeNull)
	big := out.Add("big", df.TypeLargeBinary)
	big.Append([]byte{0, 1})
	big.Extend([]byte("2"))
	big.Commit()
	return df.OK, nil
}

func init() { df.RegisterProcessor(&totals{}) }

func main() {}
