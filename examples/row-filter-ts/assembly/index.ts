// row-filter (AssemblyScript SDK): keeps the rows whose numeric column satisfies
// `column op value`, drops the others, and sends rows where the column is null to the
// dead-letter output (through the _dataflare_error column). Exact semantics:
// examples/row-filter/README.md (the same as the C, Rust and Go versions; all of them pass
// tests/vectors/row-filter).
import {
  Batch, Column, JSON, Output, Processor, Selection, Status, Type,
  counterAdd, error, isFloat, isNumeric, isSignedInt, jsonTypeName, registerProcessor, typeName,
} from "@dataflare/sdk";

const OPS = [">", ">=", "<", "<=", "==", "!="];
// keep[op * 4 + class]: class 0 less, 1 equal, 2 greater, 3 unordered (NaN)
const KEEP: bool[] = [
  false, false, true, false, false, true, true, false, true, false, false, false,
  true, true, false, false, false, true, false, false, true, false, true, true,
];

// How the value compares with every integer of a column's domain.
const CMP_ROWS = 0; // compare each row with the threshold
const ALL_LESS = 1; // every x < value
const ALL_GREATER = 2; // every x > value

class RowFilter extends Processor {
  column: string = "";
  nullMessage: string = "";
  op: i32 = 0;
  value: JSON = new JSON();

  init(cfg: JSON): i32 {
    if (!cfg.isObject()) return error(Status.INVALID_CONFIG, "config must be an object, got " + cfg.typeName());
    const bad = cfg.unknownKey(["column", "op", "value"]);
    if (bad !== null) return error(Status.INVALID_CONFIG, "unknown config key '" + bad + "'");
    const column = cfg.get("column");
    if (column === null || !column.isString()) return error(Status.INVALID_CONFIG, "'column' is required and must be a string");
    const op = cfg.get("op");
    if (op === null || !op.isString()) return error(Status.INVALID_CONFIG, "'op' is required and must be a string");
    this.op = OPS.indexOf(op.string);
    if (this.op < 0) return error(Status.INVALID_CONFIG, "'op' must be one of > >= < <= == !=, got '" + op.string + "'");
    const value = cfg.get("value");
    if (value === null || !value.isNumber())
      return error(Status.INVALID_CONFIG, "'value' is required and must be a number, got " + jsonTypeName(value));
    this.column = column.string;
    this.value = value;
    this.nullMessage = this.column + " is null";
    return Status.OK;
  }

  process(input: Batch, out: Output): i32 {
    const found = input.find(this.column);
    if (found === null) return error(Status.UNSUPPORTED_SCHEMA, "column '" + this.column + "' not found");
    const c = found!;
    if (!isNumeric(c.type))
      return error(Status.UNSUPPORTED_SCHEMA, "column '" + this.column + "' is " + typeName(c.type) + ", expected a numeric column");
    const n = input.numRows;
    const sel = new Selection();
    let errors = 0;
    const base = this.op * 4;
    const v = this.value;
    if (isFloat(c.type)) {
      const t = v.number;
      for (let j = 0; j < n; j++) {
        if (c.isNull(j)) { sel.push(j); errors++; continue; }
        const x = c.getF64(j);
        const cls = x > t ? 2 : x == t ? 1 : x < t ? 0 : 3;
        if (KEEP[base + cls]) sel.push(j);
      }
    } else if (isSignedInt(c.type)) {
      // the threshold: x < t -> less, x > t -> greater, x == t -> (frac ? less : equal)
      let mode = CMP_ROWS, t: i64 = 0, frac = false;
      if (v.fitsInt64) t = v.int64Value;
      else if (v.fitsUint64 || v.number >= 9223372036854775808.0) mode = ALL_LESS;
      else if (v.number < -9223372036854775808.0) mode = ALL_GREATER;
      else { const f = Math.floor(v.number); t = <i64>f; frac = v.number != f; }
      for (let j = 0; j < n; j++) {
        if (c.isNull(j)) { sel.push(j); errors++; continue; }
        let cls = mode == ALL_LESS ? 0 : 2;
        if (mode == CMP_ROWS) { const x = c.getI64(j); cls = x < t ? 0 : x > t ? 2 : frac ? 0 : 1; }
        if (KEEP[base + cls]) sel.push(j);
      }
    } else {
      let mode = CMP_ROWS, t: u64 = 0, frac = false;
      if (v.fitsUint64) t = v.uint64Value;
      else if (v.fitsInt64) mode = ALL_GREATER; // a negative integer
      else if (v.number >= 18446744073709551616.0) mode = ALL_LESS;
      else if (v.number < 0) mode = ALL_GREATER;
      else { const f = Math.floor(v.number); t = <u64>f; frac = v.number != f; }
      for (let j = 0; j < n; j++) {
        if (c.isNull(j)) { sel.push(j); errors++; continue; }
        let cls = mode == ALL_LESS ? 0 : 2;
        if (mode == CMP_ROWS) { const x = <u64>c.getI64(j); cls = x < t ? 0 : x > t ? 2 : frac ? 0 : 1; }
        if (KEEP[base + cls]) sel.push(j);
      }
    }
    const kept = sel.length;
    counterAdd("rows_dropped", <i64>(n - kept));
    if (kept == 0) return Status.NO_OUTPUT;
    out.begin(kept);
    if (kept == n) out.passAll(input); // nothing dropped: zero-copy
    else out.takeAll(input, sel);
    const err = out.errorColumn();
    if (errors == 0) err.appendNulls(kept);
    else {
      for (let k = 0; k < kept; k++) {
        if (c.isNull(<i32>sel.indices[k])) err.appendString(this.nullMessage);
        else err.appendNull();
      }
    }
    return Status.OK;
  }
}

registerProcessor(new RowFilter());

export * from "@dataflare/sdk/exports/processor";
