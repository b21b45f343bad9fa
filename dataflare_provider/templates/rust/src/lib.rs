//! basic-transformer (Rust SDK): ASCII-lowercases string columns in place and appends derived
//! numeric columns (`from * multiply + add`); every other column passes through zero-copy.
//! Exact semantics: examples/basic-transformer/README.md (the same as the C, Go and
//! AssemblyScript versions; all of them pass tests/vectors/basic-transformer).

use dataflare::{Batch, Column, Error, Json, Output, Processor, Result, Status, Type};

struct Derive {
    name: String,
    from: String,
    multiply: Option<Json>, // None = 1
    add: Option<Json>,      // None = 0
}

struct BasicTransformer {
    lowercase: Vec<String>,
    derive: Vec<Derive>,
}

fn string_list(v: &Json, key: &str) -> Result<Vec<String>> {
    let items = v
        .as_array()
        .ok_or_else(|| Error::config(format!("'{}' must be an array of column names, got {}", key, v.type_name())))?;
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let s = item
            .as_str()
            .ok_or_else(|| Error::config(format!("'{}'[{}] must be a string, got {}", key, i, item.type_name())))?;
        out.push(s.to_string());
    }
    Ok(out)
}

fn parse_derive(i: usize, d: &Json) -> Result<Derive> {
    if !d.is_object() {
        return Err(Error::config(format!("'derive'[{}] must be an object, got {}", i, d.type_name())));
    }
    if let Some(bad) = d.unknown_key(&["name", "from", "multiply", "add"]) {
        return Err(Error::config(format!("'derive'[{}]: unknown key '{}'", i, bad)));
    }
    let text = |key: &str| -> Result<String> {
        match d.get(key).and_then(Json::as_str) {
            Some(s) => Ok(s.to_string()),
            None => Err(Error::config(format!("'derive'[{}]: '{}' must be a string", i, key))),
        }
    };
    let number = |key: &str| -> Result<Option<Json>> {
        match d.get(key) {
            None => Ok(None),
            Some(v) if v.is_number() => Ok(Some(v.clone())),
            Some(_) => Err(Error::config(format!("'derive'[{}]: '{}' must be a number", i, key))),
        }
    };
    Ok(Derive { name: text("name")?, from: text("from")?, multiply: number("multiply")?, add: number("add")? })
}

impl Processor for BasicTransformer {
    fn init(cfg: &Json) -> Result<Self> {
        if !cfg.is_object() {
            return Err(Error::config(format!("config must be an object, got {}", cfg.type_name())));
        }
        if let Some(bad) = cfg.unknown_key(&["lowercase", "derive"]) {
            return Err(Error::config(format!("unknown config key '{}'", bad)));
        }
        let lowercase = match cfg.get("lowercase") {
            Some(v) => string_list(v, "lowercase")?,
            None => Vec::new(),
        };
        let mut derive = Vec::new();
        if let Some(dv) = cfg.get("derive") {
            let items = dv
                .as_array()
                .ok_or_else(|| Error::config(format!("'derive' must be an array of objects, got {}", dv.type_name())))?;
            for (i, d) in items.iter().enumerate() {
                derive.push(parse_derive(i, d)?);
            }
        }
        Ok(BasicTransformer { lowercase, derive })
    }

    fn process(&mut self, input: &Batch, out: &mut Output) -> Result {
        // check the schema first, so that a bad column fails before any work
        for name in &self.lowercase {
            if input.find(name).is_none() {
                return Err(Error::schema(format!("lowercase: column '{}' not found", name)));
            }
            for c in input.columns.iter().filter(|c| c.name == name) {
                if !c.ty.is_string() {
                    return Err(Error::schema(format!(
                        "lowercase: column '{}' is {}, expected string or large_string",
                        c.name,
                        c.ty.name()
                    )));
                }
            }
        }
        for d in &self.derive {
            if input.find(&d.from).is_none() {
                return Err(Error::schema(format!("derive '{}': column '{}' not found", d.name, d.from)));
            }
        }
        for c in &input.columns {
            if self.lowercase.iter().any(|n| n == c.name) {
                let (start, end) = c.data_range();
                let b = out.copy(c, c.name);
                for byte in &mut b.data_mut()[start..end] {
                    *byte = byte.to_ascii_lowercase();
                }
            } else {
                out.pass(c);
            }
        }
        for d in &self.derive {
            derive_column(out, d, input.find(&d.from).unwrap())?;
        }
        Ok(Status::Ok)
    }
}

fn int_param(d: &Derive, v: &Option<Json>, key: &str, default: i64, c: &Column) -> Result<i64> {
    match v {
        None => Ok(default),
        Some(j) => j.as_i64().ok_or_else(|| {
            Error::config(format!(
                "derive '{}': '{}' must be an integer for integer column '{}' ({})",
                d.name,
                key,
                d.from,
                c.ty.name()
            ))
        }),
    }
}

fn derive_ints<T: Copy>(dst: &mut [i64], src: &[T], m: i64, a: i64, widen: fn(T) -> i64) {
    for (o, &x) in dst.iter_mut().zip(src) {
        *o = widen(x).wrapping_mul(m).wrapping_add(a);
    }
}

fn derive_column(out: &mut Output, d: &Derive, c: &Column) -> Result<()> {
    if c.ty.is_int() {
        let m = int_param(d, &d.multiply, "multiply", 1, c)?;
        let a = int_param(d, &d.add, "add", 0, c)?;
        let b = out.add(&d.name, Type::Int64);
        let dst = b.i64_mut();
        match c.ty {
            Type::Int8 => derive_ints(dst, c.i8(), m, a, |x| x as i64),
            Type::Int16 => derive_ints(dst, c.i16(), m, a, |x| x as i64),
            Type::Int32 => derive_ints(dst, c.i32(), m, a, |x| x as i64),
            Type::Int64 => derive_ints(dst, c.i64(), m, a, |x| x),
            Type::UInt8 => derive_ints(dst, c.u8(), m, a, |x| x as i64),
            Type::UInt16 => derive_ints(dst, c.u16(), m, a, |x| x as i64),
            Type::UInt32 => derive_ints(dst, c.u32(), m, a, |x| x as i64),
            _ => derive_ints(dst, c.u64(), m, a, |x| x as i64),
        }
        zero_nulls(dst, c, 0);
        b.copy_validity(c);
    } else if c.ty.is_float() {
        let m = d.multiply.as_ref().and_then(Json::as_f64).unwrap_or(1.0);
        let a = d.add.as_ref().and_then(Json::as_f64).unwrap_or(0.0);
        let b = out.add(&d.name, Type::Float64);
        let dst = b.f64_mut();
        if c.ty == Type::Float32 {
            for (o, &x) in dst.iter_mut().zip(c.f32()) {
                *o = x as f64 * m + a;
            }
        } else {
            for (o, &x) in dst.iter_mut().zip(c.f64()) {
                *o = x * m + a;
            }
        }
        zero_nulls(dst, c, 0.0);
        b.copy_validity(c);
    } else {
        return Err(Error::schema(format!(
            "derive '{}': column '{}' is {}, expected an integer or floating-point column",
            d.name,
            d.from,
            c.ty.name()
        )));
    }
    Ok(())
}

/// The value slot under a null is 0.
fn zero_nulls<T: Copy>(dst: &mut [T], c: &Column, zero: T) {
    if c.has_nulls() {
        for (j, o) in dst.iter_mut().enumerate() {
            if c.is_null(j) {
                *o = zero;
            }
        }
    }
}

dataflare::processor!(BasicTransformer);
