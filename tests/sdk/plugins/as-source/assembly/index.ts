// SDK self-test (AssemblyScript): a source emitting `rows` ids in batches of at most maxRows.
import { JSON, Output, Source, Status, Type, error, registerSource } from "@dataflare/sdk";

class Ids extends Source {
  total: i64 = 0;
  next: i64 = 0;

  init(cfg: JSON): i32 {
    const r = cfg.get("rows");
    if (r === null || !r.fitsInt64) return error(Status.INVALID_CONFIG, "'rows' must be an integer");
    this.total = r.int64Value;
    return Status.OK;
  }

  read(maxRows: i32, out: Output): i32 {
    const rest = this.total - this.next;
    const n = <i32>(rest < <i64>maxRows ? rest : <i64>maxRows);
    if (n <= 0) return Status.NO_OUTPUT;
    out.begin(n);
    const id = out.add("id", Type.Int64);
    const even = out.add("even", Type.Utf8);
    for (let j = 0; j < n; j++) {
      const v = this.next + <i64>j;
      id.setI64(j, v);
      if (v % 2 == 0) even.appendString("even");
      else even.appendNull();
    }
    this.next += <i64>n;
    return Status.OK;
  }
}

registerSource(new Ids());

export * from "@dataflare/sdk/exports/source";
