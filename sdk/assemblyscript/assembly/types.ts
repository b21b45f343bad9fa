// Column types of abi 1 and their Arrow format strings.

export enum Type {
  Unsupported, // anything else: visible, can be passed through
  Null, Bool, Int8, Int16, Int32, Int64, UInt8, UInt16, UInt32, UInt64, Float32, Float64,
  Utf8, LargeUtf8, Binary, LargeBinary,
  Date32,    // int32 days since the epoch
  Timestamp, // int64 in `unit` since the epoch, optional timezone
}

export enum TimeUnit { Second, Milli, Micro, Nano }

const NAMES: string[] = ["unsupported", "null", "bool", "int8", "int16", "int32", "int64", "uint8",
  "uint16", "uint32", "uint64", "float", "double", "string", "large_string", "binary",
  "large_binary", "date32", "timestamp"];
const FORMATS: string[] = ["", "n", "b", "c", "s", "i", "l", "C", "S", "I", "L", "f", "g", "u", "U",
  "z", "Z", "tdD", ""];

/** pyarrow-style type name, for messages ("int64", "large_string", ...). */
export function typeName(t: Type): string { return NAMES[<i32>t]; }
export function typeFormat(t: Type): string { return FORMATS[<i32>t]; }
export function isSignedInt(t: Type): bool { return t >= Type.Int8 && t <= Type.Int64; }
export function isUnsignedInt(t: Type): bool { return t >= Type.UInt8 && t <= Type.UInt64; }
export function isInt(t: Type): bool { return t >= Type.Int8 && t <= Type.UInt64; }
export function isFloat(t: Type): bool { return t == Type.Float32 || t == Type.Float64; }
export function isNumeric(t: Type): bool { return t >= Type.Int8 && t <= Type.Float64; }
export function isString(t: Type): bool { return t == Type.Utf8 || t == Type.LargeUtf8; }
export function isBinary(t: Type): bool { return t == Type.Binary || t == Type.LargeBinary; }
export function isVarWidth(t: Type): bool { return t >= Type.Utf8 && t <= Type.LargeBinary; }
export function isLarge(t: Type): bool { return t == Type.LargeUtf8 || t == Type.LargeBinary; }

/** Bytes per value of a fixed-width type; 0 for null, bool (bits) and var-width types. */
export function typeWidth(t: Type): i32 {
  switch (t) {
    case Type.Int8: case Type.UInt8: return 1;
    case Type.Int16: case Type.UInt16: return 2;
    case Type.Int32: case Type.UInt32: case Type.Float32: case Type.Date32: return 4;
    case Type.Int64: case Type.UInt64: case Type.Float64: case Type.Timestamp: return 8;
    default: return 0;
  }
}

/** Number of C Data buffers of an array of type t. */
export function nBuffers(t: Type): i32 {
  if (t == Type.Null) return 0;
  return isVarWidth(t) ? 3 : 2;
}

/** Parsed Arrow format string. */
export class Format {
  type: Type = Type.Unsupported;
  unit: TimeUnit = TimeUnit.Micro;
  timezone: string = "";
}

export function parseFormat(f: string): Format {
  const r = new Format();
  for (let t = 1; t < FORMATS.length; t++) {
    if (FORMATS[t].length > 0 && FORMATS[t] == f) { r.type = <Type>t; return r; }
  }
  if (f.length >= 4 && f.charAt(0) == "t" && f.charAt(1) == "s" && f.charAt(3) == ":") {
    const u = f.charAt(2);
    if (u == "s") r.unit = TimeUnit.Second;
    else if (u == "m") r.unit = TimeUnit.Milli;
    else if (u == "u") r.unit = TimeUnit.Micro;
    else if (u == "n") r.unit = TimeUnit.Nano;
    else return r;
    r.type = Type.Timestamp;
    r.timezone = f.substring(4);
  }
  return r;
}

/** Bit i of a bitmap (validity or bool values) at address `bits`. */
// @ts-ignore: decorator
@inline export function bit(bits: usize, i: i32): bool {
  return ((load<u8>(bits + (<usize>i >> 3)) >> (<u8>i & 7)) & 1) != 0;
}
