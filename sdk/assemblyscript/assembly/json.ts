// A minimal JSON reader for plugin configs (the C SDK's df_json).

export enum JSONKind { Null, Bool, Number, String, Array, Object }

const KIND_NAMES: string[] = ["null", "boolean", "number", "string", "array", "object"];

/** A parsed JSON value. Numbers keep their literal's integer readings next to the double. */
export class JSON {
  kind: JSONKind = JSONKind.Null;
  boolean: bool = false;
  /** Number: the literal parsed to the nearest double. */
  number: f64 = 0;
  /** Number: an integer literal (no fraction/exponent) in int64 range; then int64Value is set. */
  fitsInt64: bool = false;
  int64Value: i64 = 0;
  /** Number: an integer literal in uint64 range; then uint64Value is set. */
  fitsUint64: bool = false;
  uint64Value: u64 = 0;
  /** String value. */
  string: string = "";
  /** Array items / object member values. */
  items: JSON[] = [];
  /** Object member names, in document order. */
  keys: string[] = [];

  /** Parse a JSON text; null (and `parseError` set) on a syntax error. */
  static parse(text: string): JSON | null {
    const buf = String.UTF8.encode(text);
    return JSON.parseBytes(changetype<usize>(buf), buf.byteLength);
  }

  static parseBytes(ptr: usize, len: i32): JSON | null {
    const p = new Parser(ptr, len);
    const v = p.value();
    if (v === null) { parseError = p.error; return null; }
    p.ws();
    if (p.i != len) { parseError = "trailing characters after the JSON value at byte " + p.i.toString(); return null; }
    return v;
  }

  typeName(): string { return KIND_NAMES[<i32>this.kind]; }
  isNull(): bool { return this.kind == JSONKind.Null; }
  isBool(): bool { return this.kind == JSONKind.Bool; }
  isNumber(): bool { return this.kind == JSONKind.Number; }
  isString(): bool { return this.kind == JSONKind.String; }
  isArray(): bool { return this.kind == JSONKind.Array; }
  isObject(): bool { return this.kind == JSONKind.Object; }

  /** Items of an array or members of an object; 0 otherwise. */
  get length(): i32 {
    return this.kind == JSONKind.Array || this.kind == JSONKind.Object ? this.items.length : 0;
  }

  /** Object member by name (the last one if repeated), or null. */
  get(key: string): JSON | null {
    if (this.kind != JSONKind.Object) return null;
    for (let i = this.keys.length - 1; i >= 0; i--) if (this.keys[i] == key) return this.items[i];
    return null;
  }

  /** Array item i, or null. */
  at(i: i32): JSON | null {
    if (this.kind != JSONKind.Array || i < 0 || i >= this.items.length) return null;
    return this.items[i];
  }

  /** The first member name not in `allowed` (strict configs), or null. */
  unknownKey(allowed: string[]): string | null {
    if (this.kind != JSONKind.Object) return null;
    for (let i = 0; i < this.keys.length; i++) if (!allowed.includes(this.keys[i])) return this.keys[i];
    return null;
  }
}

/** "missing" for null, else the value's type name (for messages). */
export function jsonTypeName(v: JSON | null): string {
  return v === null ? "missing" : v.typeName();
}

/** The message of the last failed JSON.parse. */
export let parseError = "";

const MAX_DEPTH = 64;

class Parser {
  i: i32 = 0;
  depth: i32 = 0;
  error: string = "";
  constructor(public p: usize, public n: i32) {}

  fail(what: string): JSON | null {
    if (this.error.length == 0) this.error = what + " at byte " + this.i.toString();
    return null;
  }
  peek(): i32 { return this.i < this.n ? <i32>load<u8>(this.p + <usize>this.i) : -1; }
  ws(): void {
    while (this.i < this.n) {
      const c = load<u8>(this.p + <usize>this.i);
      if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) break;
      this.i++;
    }
  }
  word(w: string, v: JSON): JSON | null {
    for (let k = 0; k < w.length; k++) {
      if (this.peek() != w.charCodeAt(k)) return this.fail("unexpected character");
      this.i++;
    }
    return v;
  }

  value(): JSON | null {
    this.ws();
    const c = this.peek();
    if (c < 0) return this.fail("unexpected end of input");
    if (c == 0x7b) return this.container(true);
    if (c == 0x5b) return this.container(false);
    if (c == 0x22) {
      const s = this.string();
      if (s === null) return null;
      const v = new JSON();
      v.kind = JSONKind.String;
      v.string = s;
      return v;
    }
    if (c == 0x74) { const v = new JSON(); v.kind = JSONKind.Bool; v.boolean = true; return this.word("true", v); }
    if (c == 0x66) { const v = new JSON(); v.kind = JSONKind.Bool; return this.word("false", v); }
    if (c == 0x6e) return this.word("null", new JSON());
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    return this.fail("unexpected character");
  }

  container(object: bool): JSON | null {
    if (++this.depth > MAX_DEPTH) return this.fail("nesting too deep");
    const close = object ? 0x7d : 0x5d;
    const v = new JSON();
    v.kind = object ? JSONKind.Object : JSONKind.Array;
    this.i++;
    this.ws();
    if (this.peek() == close) {
      this.i++;
    } else {
      while (true) {
        this.ws();
        if (object) {
          if (this.peek() != 0x22) return this.fail("expected a member name");
          const k = this.string();
          if (k === null) return null;
          this.ws();
          if (this.peek() != 0x3a) return this.fail("expected ':'");
          this.i++;
          v.keys.push(k);
        }
        const item = this.value();
        if (item === null) return null;
        v.items.push(item);
        this.ws();
        const c = this.peek();
        if (c == 0x2c) { this.i++; continue; }
        if (c == close) { this.i++; break; }
        return this.fail(object ? "expected ',' or '}'" : "expected ',' or ']'");
      }
    }
    this.depth--;
    return v;
  }

  hex4(): i32 {
    if (this.i + 4 > this.n) return -1;
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const c = <i32>load<u8>(this.p + <usize>(this.i + k));
      let d = -1;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x61 + 10;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x41 + 10;
      if (d < 0) return -1;
      v = (v << 4) | d;
    }
    this.i += 4;
    return v;
  }

  /** At the opening quote. UTF-8 bytes are decoded in one go; escapes are encoded to UTF-8. */
  string(): string | null {
    this.i++;
    const out = heap.alloc(<usize>max(this.n - this.i, 1) * 2); // escapes never grow
    let n: usize = 0;
    let result: string | null = null;
    while (true) {
      const c = this.peek();
      if (c < 0) { this.fail("unterminated string"); break; }
      this.i++;
      if (c == 0x22) { result = String.UTF8.decodeUnsafe(out, n); break; }
      if (c < 0x20) { this.i--; this.fail("control character in string"); break; }
      if (c != 0x5c) { store<u8>(out + n++, <u8>c); continue; }
      const e = this.peek();
      this.i++;
      if (e == 0x22 || e == 0x5c || e == 0x2f) store<u8>(out + n++, <u8>e);
      else if (e == 0x62) store<u8>(out + n++, 8);
      else if (e == 0x66) store<u8>(out + n++, 12);
      else if (e == 0x6e) store<u8>(out + n++, 10);
      else if (e == 0x72) store<u8>(out + n++, 13);
      else if (e == 0x74) store<u8>(out + n++, 9);
      else if (e == 0x75) {
        let cp = this.hex4();
        if (cp < 0) { this.fail("bad \\u escape"); break; }
        if (cp >= 0xd800 && cp <= 0xdbff) {
          if (this.peek() != 0x5c || this.i + 1 >= this.n || load<u8>(this.p + <usize>this.i + 1) != 0x75) {
            this.fail("unpaired surrogate in \\u escape"); break;
          }
          this.i += 2;
          const lo = this.hex4();
          if (lo < 0xdc00 || lo > 0xdfff) { this.fail("unpaired surrogate in \\u escape"); break; }
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        } else if (cp >= 0xdc00 && cp <= 0xdfff) { this.fail("unpaired surrogate in \\u escape"); break; }
        if (cp < 0x80) store<u8>(out + n++, <u8>cp);
        else if (cp < 0x800) {
          store<u8>(out + n++, <u8>(0xc0 | (cp >> 6)));
          store<u8>(out + n++, <u8>(0x80 | (cp & 0x3f)));
        } else if (cp < 0x10000) {
          store<u8>(out + n++, <u8>(0xe0 | (cp >> 12)));
          store<u8>(out + n++, <u8>(0x80 | ((cp >> 6) & 0x3f)));
          store<u8>(out + n++, <u8>(0x80 | (cp & 0x3f)));
        } else {
          store<u8>(out + n++, <u8>(0xf0 | (cp >> 18)));
          store<u8>(out + n++, <u8>(0x80 | ((cp >> 12) & 0x3f)));
          store<u8>(out + n++, <u8>(0x80 | ((cp >> 6) & 0x3f)));
          store<u8>(out + n++, <u8>(0x80 | (cp & 0x3f)));
        }
      } else { this.i--; this.fail("bad escape in string"); break; }
    }
    heap.free(out);
    return result;
  }

  digits(): bool {
    const s = this.i;
    while (this.peek() >= 0x30 && this.peek() <= 0x39) this.i++;
    return this.i > s;
  }

  number(): JSON | null {
    const start = this.i;
    const neg = this.peek() == 0x2d;
    if (neg) this.i++;
    if (this.peek() == 0x30) this.i++;
    else if (!this.digits()) return this.fail("bad number");
    const intEnd = this.i;
    let integral = true;
    if (this.peek() == 0x2e) {
      integral = false;
      this.i++;
      if (!this.digits()) return this.fail("bad number");
    }
    if (this.peek() == 0x65 || this.peek() == 0x45) {
      integral = false;
      this.i++;
      if (this.peek() == 0x2b || this.peek() == 0x2d) this.i++;
      if (!this.digits()) return this.fail("bad number");
    }
    const v = new JSON();
    v.kind = JSONKind.Number;
    v.number = parseFloat(String.UTF8.decodeUnsafe(this.p + <usize>start, <usize>(this.i - start)));
    if (integral) {
      let mag: u64 = 0;
      let overflow = false;
      for (let k = start + (neg ? 1 : 0); k < intEnd; k++) {
        const d = <u64>(load<u8>(this.p + <usize>k) - 0x30);
        if (mag > (U64.MAX_VALUE - d) / 10) { overflow = true; break; }
        mag = mag * 10 + d;
      }
      if (!overflow) {
        if (neg) {
          if (mag <= (<u64>1 << 63)) {
            v.fitsInt64 = true;
            v.int64Value = <i64>(0 - mag);
            if (mag == 0) v.fitsUint64 = true;
          }
        } else {
          v.fitsUint64 = true;
          v.uint64Value = mag;
          if (mag <= <u64>I64.MAX_VALUE) { v.fitsInt64 = true; v.int64Value = <i64>mag; }
        }
      }
    }
    return v;
  }
}
