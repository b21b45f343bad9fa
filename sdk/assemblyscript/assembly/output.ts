// The output batch under construction (the C SDK's df_output / df_builder). Buffers live in the
// per-call arena (raw memory), so the GC never sees or frees what the host reads.

import { Type, TimeUnit, bit, isLarge, isVarWidth, nBuffers, typeFormat, typeWidth } from "./types";
import { Column, Batch } from "./batch";
import { arenaAlloc, arenaCalloc, arenaCString, arenaGrow } from "./arena";
import { Status, error } from "./status";

/** The per-record error column: rows where it is non-null go to the dead-letter output. */
export const ERROR_COLUMN = "_dataflare_error";

/** Row indices into the input (a "selection vector"), e.g. the rows a filter keeps. */
export class Selection {
  indices: u32[];
  constructor() { this.indices = new Array<u32>(0); }
  push(row: i32): void { this.indices.push(<u32>row); }
  get length(): i32 { return this.indices.length; }
}

enum Kind { Pass, Fixed, Append, Null, Invalid }

function bitmapBytes(bits: i32): i32 { return (bits + 7) >> 3; }
function setBit(bits: usize, i: i32, v: bool): void {
  const p = bits + (<usize>i >> 3);
  const m: i32 = 1 << (i & 7);
  const old: i32 = load<u8>(p);
  store<u8>(p, <u8>(v ? old | m : old & ~m));
}

/** Copy n bits from `src` (from bit srcOff) into `dst` (from bit dstOff, bits zero): whole bytes
 *  at a time when dstOff is byte aligned. */
function copyBits(dst: usize, dstOff: i32, src: usize, srcOff: i32, n: i32): void {
  let i = 0;
  if ((dstOff & 7) == 0) {
    const full = n >> 3;
    const d = dst + <usize>(dstOff >> 3);
    const s = src + <usize>(srcOff >> 3);
    const sh = <u32>(srcOff & 7);
    if (sh == 0) memory.copy(d, s, <usize>full);
    else {
      // the next byte holds bits of the range when sh > 0 (8k + 7 + sh < n + sh)
      for (let k = 0; k < full; k++) {
        const lo = <u32>load<u8>(s + <usize>k) >> sh;
        const hi = <u32>load<u8>(s + <usize>k + 1) << (8 - sh);
        store<u8>(d + <usize>k, <u8>(lo | hi));
      }
    }
    i = full << 3;
  }
  for (; i < n; i++) if (bit(src, srcOff + i)) setBit(dst, dstOff + i, true);
}

/** One output column being built: fixed width (numbers, bool, date32, timestamp: every row
 *  exists, zero and valid; write at random) or var width (utf8, binary, large_*: append exactly
 *  the output's row count of values). */
export class Builder {
  name: string;
  type: Type;
  format: string;
  kind: Kind;
  length: i32 = 0;
  offset: i32 = 0;
  nullCount: i64 = 0;
  /** Validity bitmap (0 = all valid); shared with the input after copy() until written. */
  validity: usize = 0;
  validityShared: bool = false;
  /** Fixed width: values / bits; var width: offsets (i32 or i64). */
  values: usize = 0;
  /** Var width: data bytes. */
  data: usize = 0;
  dataLength: i32 = 0;
  dataCapacity: i32 = 0;
  rowsCapacity: i32 = 0;
  pending: i32 = -1;
  sourceArray: usize = 0;
  misuse: string = "";

  constructor(name: string, type: Type, kind: Kind) {
    this.name = name;
    this.type = type;
    this.kind = kind;
    this.format = typeFormat(type);
  }

  fail(msg: string): void { if (this.misuse.length == 0) this.misuse = msg; }

  checkFixed(what: string, i: i32): bool {
    if (this.kind != Kind.Fixed || i < 0 || i >= this.length) {
      this.fail("column '" + this.name + "': " + what + "(" + i.toString() + ") out of range or on a column that is not fixed width");
      return false;
    }
    return true;
  }

  /** Fixed width: set element i (T must have the column's width). */
  // @ts-ignore: decorator
  @inline set<T>(i: i32, v: T): void {
    store<T>(this.values + ((<usize>(this.offset + i)) << alignof<T>()), v);
  }
  /** Fixed width: element i. */
  // @ts-ignore: decorator
  @inline get<T>(i: i32): T {
    return load<T>(this.values + ((<usize>(this.offset + i)) << alignof<T>()));
  }
  /** Fixed width: address of element 0, for bulk loops. */
  valuesPtr<T>(): usize { return this.values + ((<usize>this.offset) << alignof<T>()); }

  setI8(i: i32, v: i8): void { this.set<i8>(i, v); }
  setI16(i: i32, v: i16): void { this.set<i16>(i, v); }
  setI32(i: i32, v: i32): void { this.set<i32>(i, v); }
  setI64(i: i32, v: i64): void { this.set<i64>(i, v); }
  setU8(i: i32, v: u8): void { this.set<u8>(i, v); }
  setU16(i: i32, v: u16): void { this.set<u16>(i, v); }
  setU32(i: i32, v: u32): void { this.set<u32>(i, v); }
  setU64(i: i32, v: u64): void { this.set<u64>(i, v); }
  setF32(i: i32, v: f32): void { this.set<f32>(i, v); }
  setF64(i: i32, v: f64): void { this.set<f64>(i, v); }
  setDate32(i: i32, v: i32): void { this.set<i32>(i, v); }
  setTimestamp(i: i32, v: i64): void { this.set<i64>(i, v); }
  setBool(i: i32, v: bool): void { if (this.checkFixed("setBool", i)) setBit(this.values, this.offset + i, v); }

  /** Make the validity bitmap writable (all valid if absent). */
  ownValidity(): usize {
    const bytes = bitmapBytes(this.offset + this.length);
    if (this.validity == 0) {
      this.validity = arenaAlloc(bytes);
      memory.fill(this.validity, 0xff, <usize>max(bytes, 1));
      this.nullCount = 0;
    } else if (this.validityShared) {
      const v = arenaAlloc(bytes);
      memory.copy(v, this.validity, <usize>bytes);
      this.validity = v;
    }
    this.validityShared = false;
    return this.validity;
  }

  /** Fixed width: mark element i null. */
  setNull(i: i32): void {
    if (!this.checkFixed("setNull", i)) return;
    setBit(this.ownValidity(), this.offset + i, false);
    this.nullCount = -1;
  }
  /** Fixed width: mark element i valid. */
  setValid(i: i32): void {
    if (!this.checkFixed("setValid", i) || this.validity == 0) return;
    setBit(this.ownValidity(), this.offset + i, true);
    this.nullCount = -1;
  }
  /** Fixed width: take validity from input column `src` (same length): nulls propagate. */
  copyValidity(src: Column): void {
    if (this.kind != Kind.Fixed || src.length != this.length) {
      this.fail("column '" + this.name + "': copyValidity needs a fixed-width column of " + src.length.toString() + " rows");
      return;
    }
    this.validityShared = false;
    if (!src.hasNulls()) { this.validity = 0; this.nullCount = 0; return; }
    this.validity = arenaCalloc(bitmapBytes(this.offset + this.length));
    copyBits(this.validity, this.offset, src.validity, src.offset, this.length);
    this.nullCount = src.nullCount;
  }

  // -- var width --------------------------------------------------------------------------------

  checkAppend(): bool {
    if (this.kind != Kind.Append) {
      this.fail("column '" + this.name + "': append on a column that is not an appendable utf8/binary column");
      return false;
    }
    return true;
  }

  /** Room for n more data bytes; returns their address. */
  reserve(n: i32): usize {
    if (n > this.dataCapacity - this.dataLength) {
      let cap = max(this.dataCapacity * 2, 256);
      while (cap - this.dataLength < n) cap *= 2;
      this.data = arenaGrow(this.data, this.dataLength, cap);
      this.dataCapacity = cap;
    }
    const p = this.data + <usize>this.dataLength;
    this.dataLength += n;
    return p;
  }

  endValue(valid: bool): void {
    const large = isLarge(this.type);
    if (this.length == this.rowsCapacity) {
      const cap = max(this.rowsCapacity * 2, 16);
      const w = large ? 8 : 4;
      this.values = arenaGrow(this.values, (this.rowsCapacity + 1) * w, (cap + 1) * w);
      if (this.validity != 0) {
        const v = arenaAlloc(bitmapBytes(cap));
        memory.fill(v, 0xff, <usize>bitmapBytes(cap));
        memory.copy(v, this.validity, <usize>bitmapBytes(this.rowsCapacity));
        this.validity = v;
      }
      this.rowsCapacity = cap;
    }
    if (large) store<i64>(this.values + (<usize>(this.length + 1) << 3), <i64>this.dataLength);
    else store<i32>(this.values + (<usize>(this.length + 1) << 2), this.dataLength);
    if (!valid) {
      if (this.validity == 0) {
        this.validity = arenaAlloc(bitmapBytes(this.rowsCapacity));
        memory.fill(this.validity, 0xff, <usize>bitmapBytes(this.rowsCapacity));
      }
      this.nullCount++;
    }
    if (this.validity != 0) setBit(this.validity, this.length, valid);
    this.length++;
    this.pending = -1;
  }

  /** Append n bytes at address p as one value. */
  appendRaw(p: usize, n: i32): void {
    if (!this.checkAppend()) return;
    memory.copy(this.reserve(n), p, <usize>n);
    this.endValue(true);
  }
  /** Append one string (UTF-8). */
  appendString(s: string): void {
    if (!this.checkAppend()) return;
    const n = String.UTF8.byteLength(s, false);
    String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, this.reserve(n), false);
    this.endValue(true);
  }
  /** Append one value of bytes. */
  appendBytes(b: Uint8Array): void { this.appendRaw(b.dataStart, b.length); }
  /** Append a null. */
  appendNull(): void {
    if (!this.checkAppend()) return;
    if (this.pending >= 0) this.dataLength = this.pending;
    this.endValue(false);
  }
  /** Append n nulls. */
  appendNulls(n: i32): void { for (let k = 0; k < n; k++) this.appendNull(); }
  /** Add bytes to the value being built; commit() ends it. */
  extendString(s: string): void {
    if (!this.checkAppend()) return;
    if (this.pending < 0) this.pending = this.dataLength;
    const n = String.UTF8.byteLength(s, false);
    String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, this.reserve(n), false);
  }
  commit(): void { if (this.checkAppend()) this.endValue(true); }
}

/** The output batch under construction. process() starts it with the input's row count,
 *  finish()/read() with 0 (call begin() for another length); add columns in output order. */
export class Output {
  numRows: i32 = 0;
  columns: Builder[] = [];

  constructor(numRows: i32) { this.numRows = numRows; }

  /** (Re)start with numRows rows and no columns. */
  begin(numRows: i32): void { this.numRows = max(numRows, 0); this.columns.length = 0; }
  get numColumns(): i32 { return this.columns.length; }

  push(b: Builder): Builder { this.columns.push(b); return b; }

  /** Pass input column c through unchanged and zero-copy. */
  pass(c: Column): Builder { return this.passAs(c, c.name); }
  passAs(c: Column, name: string): Builder {
    const b = new Builder(name, c.type, Kind.Pass);
    b.format = c.format;
    b.length = c.length;
    b.offset = c.offset;
    b.nullCount = c.nullCount;
    b.sourceArray = c.array;
    if (c.length != this.numRows)
      b.fail("column '" + name + "': passed through with " + c.length.toString() + " rows, output has " + this.numRows.toString());
    return this.push(b);
  }
  /** Pass every input column through. */
  passAll(batch: Batch): void { for (let i = 0; i < batch.columns.length; i++) this.pass(batch.columns[i]); }

  newColumn(name: string, type: Type, format: string): Builder {
    const rows = this.numRows;
    const b = new Builder(name, type, Kind.Fixed);
    b.format = format;
    if (type == Type.Unsupported) {
      b.kind = Kind.Invalid;
      b.fail("column '" + name + "': cannot build a column of an unsupported type");
    } else if (type == Type.Null) {
      b.kind = Kind.Null;
      b.length = rows;
      b.nullCount = rows;
    } else if (isVarWidth(type)) {
      b.kind = Kind.Append;
      const w = isLarge(type) ? 8 : 4;
      b.rowsCapacity = max(rows, 16);
      b.values = arenaCalloc((b.rowsCapacity + 1) * w);
      b.dataCapacity = max(rows * 8, 256);
      b.data = arenaAlloc(b.dataCapacity);
    } else {
      b.length = rows;
      b.values = arenaCalloc(type == Type.Bool ? bitmapBytes(rows) : rows * typeWidth(type));
    }
    return this.push(b);
  }

  /** A new column of type `type` (not timestamp: see addTimestamp). */
  add(name: string, type: Type): Builder { return this.newColumn(name, type, typeFormat(type)); }
  /** A new timestamp column. */
  addTimestamp(name: string, unit: TimeUnit, tz: string): Builder {
    return this.newColumn(name, Type.Timestamp, "ts" + "smun".charAt(<i32>unit) + ":" + tz);
  }
  /** A new empty column with the type (unit, timezone) of input column c. */
  addLike(name: string, c: Column): Builder {
    return c.type == Type.Timestamp ? this.addTimestamp(name, c.unit, c.timezone) : this.add(name, c.type);
  }
  /** The per-record error column `_dataflare_error` (utf8): one value per output row, null for
   *  good rows, the message for bad rows (they go to the dead-letter output). */
  errorColumn(): Builder { return this.add(ERROR_COLUMN, Type.Utf8); }

  /** A modifiable copy of input column c named `name`: values (fixed width, bool) or data bytes
   *  (var width, at `b.data`) are copied and may be changed in place; validity and var-width
   *  offsets are shared with the input (zero-copy). */
  copy(c: Column, name: string): Builder {
    const b = new Builder(name, c.type, Kind.Fixed);
    b.format = c.format;
    b.length = c.length;
    b.offset = c.offset;
    b.nullCount = c.nullCount;
    b.validity = c.validity;
    b.validityShared = true;
    if (c.length != this.numRows)
      b.fail("column '" + name + "': copied with " + c.length.toString() + " rows, output has " + this.numRows.toString());
    if (c.type == Type.Unsupported) {
      b.kind = Kind.Invalid;
      b.fail("column '" + name + "': cannot copy a column of type '" + c.format + "'");
    } else if (c.type == Type.Null) {
      b.kind = Kind.Null;
    } else if (isVarWidth(c.type)) {
      const end = c.dataEnd();
      b.values = c.values; // shared offsets
      b.data = arenaAlloc(end);
      memory.copy(b.data, c.data, <usize>end);
      b.dataLength = b.dataCapacity = end;
    } else {
      const bytes = c.type == Type.Bool ? bitmapBytes(c.offset + c.length) : (c.offset + c.length) * typeWidth(c.type);
      b.values = arenaAlloc(bytes);
      memory.copy(b.values, c.values, <usize>bytes);
    }
    return this.push(b);
  }

  /** A new column of the rows `sel` selects from input column c (any type). */
  take(c: Column, sel: Selection): Builder { return this.takeAs(c, sel, c.name); }
  /** Take every input column by sel. */
  takeAll(batch: Batch, sel: Selection): void { for (let i = 0; i < batch.columns.length; i++) this.take(batch.columns[i], sel); }
  takeAs(c: Column, sel: Selection, name: string): Builder {
    const n = sel.length;
    const idx = sel.indices;
    const b = new Builder(name, c.type, Kind.Fixed);
    b.format = c.format;
    b.length = n;
    if (c.type == Type.Unsupported) {
      b.kind = Kind.Invalid;
      b.fail("column '" + name + "': cannot take from a column of type '" + c.format + "'");
      return this.push(b);
    }
    if (n != this.numRows)
      b.fail("column '" + name + "': selection has " + n.toString() + " rows, output has " + this.numRows.toString());
    if (c.type == Type.Null) { b.kind = Kind.Null; b.nullCount = n; return this.push(b); }
    if (c.hasNulls()) {
      b.validity = arenaCalloc(bitmapBytes(n));
      let nulls: i64 = 0;
      for (let j = 0; j < n; j++) {
        if (c.isValid(<i32>idx[j])) setBit(b.validity, j, true);
        else nulls++;
      }
      b.nullCount = nulls;
    }
    if (c.type == Type.Bool) {
      b.values = arenaCalloc(bitmapBytes(n));
      for (let j = 0; j < n; j++) if (c.bool(<i32>idx[j])) setBit(b.values, j, true);
    } else if (isVarWidth(c.type)) {
      const large = isLarge(c.type);
      let total = 0;
      for (let j = 0; j < n; j++) total += c.bytesLength(<i32>idx[j]);
      b.data = arenaAlloc(total);
      b.values = arenaAlloc((n + 1) * (large ? 8 : 4));
      let pos = 0;
      if (large) store<i64>(b.values, 0); else store<i32>(b.values, 0);
      for (let j = 0; j < n; j++) {
        const k = <i32>idx[j];
        const len = c.bytesLength(k);
        memory.copy(b.data + <usize>pos, c.bytesPtr(k), <usize>len);
        pos += len;
        if (large) store<i64>(b.values + (<usize>(j + 1) << 3), <i64>pos);
        else store<i32>(b.values + (<usize>(j + 1) << 2), pos);
      }
      b.dataLength = b.dataCapacity = total;
    } else {
      const w = typeWidth(c.type);
      b.values = arenaAlloc(n * w);
      const src = c.values + <usize>(c.offset * w);
      for (let j = 0; j < n; j++) memory.copy(b.values + <usize>(j * w), src + <usize>(<i32>idx[j] * w), <usize>w);
    }
    return this.push(b);
  }

  /** Write the batch into the host's structs (all in the arena). 0 or an error status. */
  exportTo(os: usize, oa: usize): i32 {
    const n = this.columns.length;
    for (let i = 0; i < n; i++) {
      const b = this.columns[i];
      if (b.misuse.length > 0) return error(Status.ERROR, b.misuse);
      if (b.pending >= 0) return error(Status.ERROR, "column '" + b.name + "': a value was extended but never committed");
      if (b.length != this.numRows)
        return error(Status.ERROR, "column '" + b.name + "' has " + b.length.toString() + " rows, the output batch " + this.numRows.toString());
    }
    const schemaPtrs = arenaAlloc(n * 4);
    const arrayPtrs = arenaAlloc(n * 4);
    const schemas = arenaCalloc(n * 48);
    const arrays = arenaCalloc(n * 64);
    for (let i = 0; i < n; i++) {
      const b = this.columns[i];
      const s = schemas + <usize>(i * 48);
      const a = arrays + <usize>(i * 64);
      store<u32>(schemaPtrs + (<usize>i << 2), <u32>s);
      store<u32>(arrayPtrs + (<usize>i << 2), <u32>a);
      store<u32>(s, <u32>arenaCString(b.format));
      store<u32>(s, <u32>arenaCString(b.name), 4);
      store<i64>(s, 2, 16); // ARROW_FLAG_NULLABLE
      store<i64>(a, <i64>b.length);
      store<i64>(a, <i64>b.offset, 16);
      const bufs = arenaCalloc(12);
      store<u32>(a, <u32>bufs, 40);
      if (b.kind == Kind.Pass) {
        const src = b.sourceArray;
        const nb = load<i64>(src, 24);
        store<i64>(a, load<i64>(src, 8), 8);
        store<i64>(a, nb, 24);
        const sb = <usize>load<u32>(src, 40);
        for (let k = 0; k < <i32>min(nb, 3); k++) store<u32>(bufs + (<usize>k << 2), load<u32>(sb + (<usize>k << 2)));
      } else if (b.kind == Kind.Null) {
        store<i64>(a, <i64>b.length, 8);
      } else {
        const nb = nBuffers(b.type);
        store<i64>(a, <i64>nb, 24);
        store<i64>(a, b.validity == 0 ? 0 : b.nullCount, 8);
        store<u32>(bufs, <u32>b.validity);
        store<u32>(bufs, <u32>b.values, 4);
        if (nb == 3) store<u32>(bufs, <u32>(b.data != 0 ? b.data : arenaAlloc(8)), 8);
      }
    }
    memory.fill(os, 0, 48);
    store<u32>(os, <u32>arenaCString("+s"));
    store<u32>(os, <u32>arenaCString(""), 4);
    store<i64>(os, <i64>n, 24);
    store<u32>(os, <u32>schemaPtrs, 32);
    memory.fill(oa, 0, 64);
    store<i64>(oa, <i64>this.numRows);
    store<i64>(oa, 1, 24);
    store<i64>(oa, <i64>n, 32);
    store<u32>(oa, <u32>arenaCalloc(4), 40);
    store<u32>(oa, <u32>arrayPtrs, 44);
    return Status.OK;
  }
}

// keep the bit helper referenced for plugin code that imports it from here
export { bit };
