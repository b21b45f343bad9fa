// basic-transformer (AssemblyScript SDK): ASCII-lowercases string columns in place and appends
// derived numeric columns (from * multiply + add); every other column passes through zero-copy.
// Exact semantics: examples/basic-transformer/README.md (the same as the C, Rust and Go
// versions; all of them pass tests/vectors/basic-transformer).
import {
  Batch, Builder, Column, JSON, Output, Processor, Status, Type,
  error, isFloat, isInt, isString, jsonTypeName, registerProcessor, typeName,
} from "@dataflare/sdk";

class Derive {
  name: string = "";
  from: string = "";
  multiply: JSON | null = null; // null = 1
  add: JSON | null = null;      // null = 0
}

class BasicTransformer extends Processor {
  lowercase: string[] = [];
  derive: Derive[] = [];

  init(cfg: JSON): i32 {
    if (!cfg.isObject()) return error(Status.INVALID_CONFIG, "config must be an object, got " + cfg.typeName());
    const bad = cfg.unknownKey(["lowercase", "derive"]);
    if (bad !== null) return error(Status.INVALID_CONFIG, "unknown config key '" + bad + "'");
    const lc = cfg.get("lowercase");
    if (lc !== null) {
      if (!lc.isArray()) return error(Status.INVALID_CONFIG, "'lowercase' must be an array of column names, got " + lc.typeName());
      for (let i = 0; i < lc.length; i++) {
        const item = lc.at(i)!;
        if (!item.isString())
          return error(Status.INVALID_CONFIG, "'lowercase'[" + i.toString() + "] must be a string, got " + item.typeName());
        this.lowercase.push(item.string);
      }
    }
    const dv = cfg.get("derive");
    if (dv !== null) {
      if (!dv.isArray()) return error(Status.INVALID_CONFIG, "'derive' must be an array of objects, got " + dv.typeName());
      for (let i = 0; i < dv.length; i++) {
        const d = dv.at(i)!;
        const at = "'derive'[" + i.toString() + "]";
        if (!d.isObject()) return error(Status.INVALID_CONFIG, at + " must be an object, got " + d.typeName());
        const badKey = d.unknownKey(["name", "from", "multiply", "add"]);
        if (badKey !== null) return error(Status.INVALID_CONFIG, at + ": unknown key '" + badKey + "'");
        const e = new Derive();
        const name = d.get("name");
        if (name === null || !name.isString()) return error(Status.INVALID_CONFIG, at + ": 'name' must be a string");
        const from = d.get("from");
        if (from === null || !from.isString()) return error(Status.INVALID_CONFIG, at + ": 'from' must be a string");
        e.name = name.string;
        e.from = from.string;
        e.multiply = d.get("multiply");
        e.add = d.get("add");
        if (e.multiply !== null && !e.multiply!.isNumber()) return error(Status.INVALID_CONFIG, at + ": 'multiply' must be a number");
        if (e.add !== null && !e.add!.isNumber()) return error(Status.INVALID_CONFIG, at + ": 'add' must be a number");
        this.derive.push(e);
      }
    }
    return Status.OK;
  }

  process(input: Batch, out: Output): i32 {
    // check the schema first, so that a bad column fails before any work
    for (let i = 0; i < this.lowercase.length; i++) {
      const name = this.lowercase[i];
      if (input.find(name) === null) return error(Status.UNSUPPORTED_SCHEMA, "lowercase: column '" + name + "' not found");
      for (let k = 0; k < input.numColumns; k++) {
        const c = input.column(k);
        if (c.name == name && !isString(c.type))
          return error(Status.UNSUPPORTED_SCHEMA, "lowercase: column '" + c.name + "' is " + typeName(c.type) +
            ", expected string or large_string");
      }
    }
    for (let i = 0; i < this.derive.length; i++) {
      const d = this.derive[i];
      if (input.find(d.from) === null)
        return error(Status.UNSUPPORTED_SCHEMA, "derive '" + d.name + "': column '" + d.from + "' not found");
    }
    for (let k = 0; k < input.numColumns; k++) {
      const c = input.column(k);
      if (this.lowercase.includes(c.name)) {
        const b = out.copy(c, c.name);
        const end = b.data + <usize>c.dataEnd();
        for (let p = b.data + <usize>c.dataStart(); p < end; p++) {
          const ch = load<u8>(p);
          if (<u8>(ch - 0x41) < 26) store<u8>(p, ch + 32);
        }
      } else {
        out.pass(c);
      }
    }
    for (let i = 0; i < this.derive.length; i++) {
      const rc = deriveColumn(out, this.derive[i], input.find(this.derive[i].from)!);
      if (rc != Status.OK) return rc;
    }
    return Status.OK;
  }
}

function intParamError(d: Derive, key: string, c: Column): i32 {
  return error(Status.INVALID_CONFIG, "derive '" + d.name + "': '" + key + "' must be an integer for integer column '" +
    d.from + "' (" + typeName(c.type) + ")");
}

// Typed loops over the raw values (offset applied by valuesPtr): no per-row type dispatch.
function deriveInts<T>(b: Builder, c: Column, m: i64, a: i64): void {
  const src = c.valuesPtr<T>();
  const dst = b.valuesPtr<i64>();
  for (let j = 0; j < c.length; j++) {
    store<i64>(dst + (<usize>j << 3), <i64>load<T>(src + (<usize>j << alignof<T>())) * m + a); // i64 wraps
  }
}

function deriveFloats<T>(b: Builder, c: Column, m: f64, a: f64): void {
  const src = c.valuesPtr<T>();
  const dst = b.valuesPtr<f64>();
  for (let j = 0; j < c.length; j++) {
    store<f64>(dst + (<usize>j << 3), <f64>load<T>(src + (<usize>j << alignof<T>())) * m + a);
  }
}

function deriveColumn(out: Output, d: Derive, c: Column): i32 {
  let b: Builder;
  if (isInt(c.type)) {
    let m: i64 = 1, a: i64 = 0;
    if (d.multiply !== null) {
      if (!d.multiply!.fitsInt64) return intParamError(d, "multiply", c);
      m = d.multiply!.int64Value;
    }
    if (d.add !== null) {
      if (!d.add!.fitsInt64) return intParamError(d, "add", c);
      a = d.add!.int64Value;
    }
    b = out.add(d.name, Type.Int64);
    switch (c.type) {
      case Type.Int8: deriveInts<i8>(b, c, m, a); break;
      case Type.Int16: deriveInts<i16>(b, c, m, a); break;
      case Type.Int32: deriveInts<i32>(b, c, m, a); break;
      case Type.Int64: deriveInts<i64>(b, c, m, a); break;
      case Type.UInt8: deriveInts<u8>(b, c, m, a); break;
      case Type.UInt16: deriveInts<u16>(b, c, m, a); break;
      case Type.UInt32: deriveInts<u32>(b, c, m, a); break;
      default: deriveInts<u64>(b, c, m, a);
    }
    if (c.hasNulls()) for (let j = 0; j < c.length; j++) if (c.isNull(j)) b.setI64(j, 0); // 0 under a null
  } else if (isFloat(c.type)) {
    const m: f64 = d.multiply !== null ? d.multiply!.number : 1.0;
    const a: f64 = d.add !== null ? d.add!.number : 0.0;
    b = out.add(d.name, Type.Float64);
    if (c.type == Type.Float32) deriveFloats<f32>(b, c, m, a);
    else deriveFloats<f64>(b, c, m, a);
    if (c.hasNulls()) for (let j = 0; j < c.length; j++) if (c.isNull(j)) b.setF64(j, 0.0);
  } else {
    return error(Status.UNSUPPORTED_SCHEMA, "derive '" + d.name + "': column '" + d.from + "' is " + typeName(c.type) +
      ", expected an integer or floating-point column");
  }
  b.copyValidity(c);
  return Status.OK;
}

registerProcessor(new BasicTransformer());

export * from "@dataflare/sdk/exports/processor";
