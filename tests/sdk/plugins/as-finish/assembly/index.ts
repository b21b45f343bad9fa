// SDK self-test (AssemblyScript): a stateful processor. process passes batches through and
// counts rows; finish emits rows exercising the builders the reference plugins do not use.
import {
  Batch, JSON, Output, Processor, Status, TimeUnit, Type, counterAdd, histogramRecord, logInfo, registerProcessor,
} from "@dataflare/sdk";

class Totals extends Processor {
  rows: i64 = 0;
  batches: i64 = 0;
  label: string = "total";

  init(cfg: JSON): i32 {
    const l = cfg.get("label");
    if (l !== null && l.isString()) this.label = l.string;
    return Status.OK;
  }

  process(input: Batch, out: Output): i32 {
    this.rows += input.numRows;
    this.batches++;
    counterAdd("rows_seen", <i64>input.numRows);
    histogramRecord("batch_rows", <f64>input.numRows);
    out.passAll(input);
    return Status.OK;
  }

  finish(out: Output): i32 {
    logInfo("finishing after " + this.batches.toString() + " batches");
    out.begin(2);
    const rows = out.add("rows", Type.Int64);
    rows.setI64(0, this.rows);
    rows.setI64(1, this.batches);
    const label = out.add("label", Type.Utf8);
    label.appendString(this.label + "=" + this.rows.toString());
    label.appendNull();
    const b = out.add("flag", Type.Bool);
    b.setBool(0, true);
    b.setNull(1);
    out.addTimestamp("at", TimeUnit.Milli, "UTC").setTimestamp(1, 86400000);
    out.add("day", Type.Date32).setDate32(0, 19000);
    out.add("nothing", Type.Null);
    const big = out.add("big", Type.LargeBinary);
    const bytes = new Uint8Array(2);
    bytes[1] = 1;
    big.appendBytes(bytes);
    big.extendString(this.batches.toString());
    big.commit();
    return Status.OK;
  }
}

registerProcessor(new Totals());

export * from "@dataflare/sdk/exports/processor";
export * from "@dataflare/sdk/exports/finish";
