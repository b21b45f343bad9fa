// Read-only views of the input batch (the C SDK's df_batch / df_column).

import { Type, TimeUnit, bit, isLarge, nBuffers, parseFormat, typeName } from "./types";
import { Status, error } from "./status";

/** A read-only view of one input column. Element j is element `offset + j` of every buffer; the
 *  accessors apply the offset. Views and addresses are valid during the call only. */
export class Column {
  name: string = "";
  /** Arrow format string. */
  format: string = "";
  type: Type = Type.Unsupported;
  /** Timestamps. */
  unit: TimeUnit = TimeUnit.Micro;
  /** Timestamps: "" when none. */
  timezone: string = "";
  length: i32 = 0;
  /** Exact for host input; -1 = unknown. */
  nullCount: i64 = 0;
  offset: i32 = 0;
  /** Buffer addresses (0 = absent); `values` is NOT offset-adjusted. */
  validity: usize = 0;
  values: usize = 0;
  data: usize = 0;
  array: usize = 0;

  isValid(i: i32): bool {
    return this.type != Type.Null && (this.validity == 0 || bit(this.validity, this.offset + i));
  }
  isNull(i: i32): bool { return !this.isValid(i); }
  hasNulls(): bool {
    if (this.type == Type.Null) return this.length > 0;
    return this.validity != 0 && this.nullCount != 0;
  }

  /** Element i of a fixed-width column as T (i8 ... f64; T's width must be the column's). */
  // @ts-ignore: decorator
  @inline value<T>(i: i32): T {
    return load<T>(this.values + ((<usize>(this.offset + i)) << alignof<T>()));
  }
  /** Address of element 0 (offset applied), for bulk loops: element j is at ptr + j * sizeof<T>(). */
  valuesPtr<T>(): usize { return this.values + ((<usize>this.offset) << alignof<T>()); }

  i8(i: i32): i8 { return this.value<i8>(i); }
  i16(i: i32): i16 { return this.value<i16>(i); }
  i32(i: i32): i32 { return this.value<i32>(i); }
  i64(i: i32): i64 { return this.value<i64>(i); }
  u8(i: i32): u8 { return this.value<u8>(i); }
  u16(i: i32): u16 { return this.value<u16>(i); }
  u32(i: i32): u32 { return this.value<u32>(i); }
  u64(i: i32): u64 { return this.value<u64>(i); }
  f32(i: i32): f32 { return this.value<f32>(i); }
  f64(i: i32): f64 { return this.value<f64>(i); }
  /** date32: days since the epoch. */
  date32(i: i32): i32 { return this.value<i32>(i); }
  /** timestamp: `unit`s since the epoch. */
  timestamp(i: i32): i64 { return this.value<i64>(i); }
  /** Bool column: element i. */
  bool(i: i32): bool { return bit(this.values, this.offset + i); }

  // @ts-ignore: decorator
  @inline offsetAt(k: i32): i32 {
    return isLarge(this.type) ? <i32>load<i64>(this.values + (<usize>k << 3)) : load<i32>(this.values + (<usize>k << 2));
  }
  /** Var-width columns: address of element i's bytes. */
  bytesPtr(i: i32): usize { return this.data + <usize>this.offsetAt(this.offset + i); }
  /** Var-width columns: byte length of element i (0 for a null). */
  bytesLength(i: i32): i32 { return this.offsetAt(this.offset + i + 1) - this.offsetAt(this.offset + i); }
  /** utf8 columns: element i as a string (decoded). */
  str(i: i32): string { return String.UTF8.decodeUnsafe(this.bytesPtr(i), <usize>this.bytesLength(i)); }
  /** Var-width columns: element i's bytes (copied). */
  bytes(i: i32): Uint8Array {
    const n = this.bytesLength(i);
    const out = new Uint8Array(n);
    memory.copy(out.dataStart, this.bytesPtr(i), <usize>n);
    return out;
  }
  /** Var-width columns: start of the byte range of the data buffer this column references. */
  dataStart(): i32 { return this.values == 0 ? 0 : this.offsetAt(this.offset); }
  /** Var-width columns: end of that range. */
  dataEnd(): i32 { return this.values == 0 ? 0 : this.offsetAt(this.offset + this.length); }

  /** Element i of any integer, bool, date32, timestamp or float column as i64 (uint64 wraps). */
  getI64(i: i32): i64 {
    switch (this.type) {
      case Type.Bool: return this.bool(i) ? 1 : 0;
      case Type.Int8: return <i64>this.i8(i);
      case Type.Int16: return <i64>this.i16(i);
      case Type.Int32: case Type.Date32: return <i64>this.i32(i);
      case Type.Int64: case Type.Timestamp: return this.i64(i);
      case Type.UInt8: return <i64>this.u8(i);
      case Type.UInt16: return <i64>this.u16(i);
      case Type.UInt32: return <i64>this.u32(i);
      case Type.UInt64: return <i64>this.u64(i);
      case Type.Float32: return <i64>this.f32(i);
      case Type.Float64: return <i64>this.f64(i);
      default: return 0;
    }
  }
  /** Element i of any numeric (or bool, date32, timestamp) column as f64. */
  getF64(i: i32): f64 {
    switch (this.type) {
      case Type.Float32: return <f64>this.f32(i);
      case Type.Float64: return this.f64(i);
      case Type.UInt64: return <f64>this.u64(i);
      default: return <f64>this.getI64(i);
    }
  }
}

/** A read-only view of the input batch. */
export class Batch {
  numRows: i32 = 0;
  columns: Column[] = [];
  get numColumns(): i32 { return this.columns.length; }
  column(i: i32): Column { return this.columns[i]; }
  /** The first column named `name`, or null. */
  find(name: string): Column | null {
    for (let i = 0; i < this.columns.length; i++) if (this.columns[i].name == name) return this.columns[i];
    return null;
  }
}

function cstr(p: usize): string {
  if (p == 0) return "";
  let n: usize = 0;
  while (load<u8>(p + n) != 0) n++;
  return String.UTF8.decodeUnsafe(p, n);
}

/** Error message of a failed import (status -3). */
export let importError: i32 = 0;

/** Build the column views of a host batch; null after storing an error. */
export function importBatch(s: usize, a: usize): Batch | null {
  if (s == 0 || a == 0) { importError = error(Status.UNSUPPORTED_SCHEMA, "input batch is missing"); return null; }
  const format = cstr(load<u32>(s));
  if (format != "+s") {
    importError = error(Status.UNSUPPORTED_SCHEMA, "input batch format is '" + format + "', expected '+s'");
    return null;
  }
  const n = load<i64>(s, 24);
  if (n != load<i64>(a, 32) || n < 0) {
    importError = error(Status.UNSUPPORTED_SCHEMA, "input batch has " + n.toString() + " schema children but " +
      load<i64>(a, 32).toString() + " array children");
    return null;
  }
  const b = new Batch();
  const length = load<i64>(a);
  b.numRows = <i32>length;
  const schemaChildren = <usize>load<u32>(s, 32);
  const arrayChildren = <usize>load<u32>(a, 44);
  for (let i = 0; i < <i32>n; i++) {
    const cs = <usize>load<u32>(schemaChildren + (<usize>i << 2));
    const ca = <usize>load<u32>(arrayChildren + (<usize>i << 2));
    const c = new Column();
    c.format = cstr(load<u32>(cs));
    c.name = cstr(load<u32>(cs, 4));
    const f = parseFormat(c.format);
    c.type = f.type;
    c.unit = f.unit;
    c.timezone = f.timezone;
    c.array = ca;
    const clen = load<i64>(ca);
    c.length = <i32>clen;
    c.nullCount = load<i64>(ca, 8);
    c.offset = <i32>load<i64>(ca, 16);
    const nb = load<i64>(ca, 24);
    if (clen != length) {
      importError = error(Status.UNSUPPORTED_SCHEMA, "input column '" + c.name + "' has " + clen.toString() +
        " rows, batch " + length.toString());
      return null;
    }
    if (c.type != Type.Unsupported && nb != <i64>nBuffers(c.type)) {
      importError = error(Status.UNSUPPORTED_SCHEMA, "input column '" + c.name + "' (" + typeName(c.type) + ") has " +
        nb.toString() + " buffers");
      return null;
    }
    const bufs = <usize>load<u32>(ca, 40);
    if (nb >= 2) c.values = <usize>load<u32>(bufs, 4);
    if (nb >= 3) c.data = <usize>load<u32>(bufs, 8);
    if (c.type == Type.Null) c.nullCount = <i64>c.length;
    else if (nb >= 1 && c.nullCount != 0) c.validity = <usize>load<u32>(bufs);
    b.columns.push(c);
  }
  return b;
}
