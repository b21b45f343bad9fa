//! row-filter (Rust SDK): keeps the rows whose numeric column satisfies `column op value`, drops
//! the others, and sends rows where the column is null to the dead-letter output (through the
//! `_dataflare_error` column). Exact semantics: examples/row-filter/README.md (the same as the C,
//! Go and AssemblyScript versions; all of them pass tests/vectors/row-filter).

use dataflare::{counter_add, Batch, Column, Error, Json, Output, Processor, Result, Selection, Status, Type};

/// How `x` compares with the value: 0 less, 1 equal, 2 greater, 3 unordered (NaN).
type Keep = [bool; 4];

struct RowFilter {
    column: String,
    null_message: String,
    keep: Keep,
    value: Json,
}

const OPS: [(&str, Keep); 6] = [
    (">", [false, false, true, false]),
    (">=", [false, true, true, false]),
    ("<", [true, false, false, false]),
    ("<=", [true, true, false, false]),
    ("==", [false, true, false, false]),
    ("!=", [true, false, true, true]),
];

impl Processor for RowFilter {
    fn init(cfg: &Json) -> Result<Self> {
        if !cfg.is_object() {
            return Err(Error::config(format!("config must be an object, got {}", cfg.type_name())));
        }
        if let Some(bad) = cfg.unknown_key(&["column", "op", "value"]) {
            return Err(Error::config(format!("unknown config key '{}'", bad)));
        }
        let column = cfg
            .get("column")
            .and_then(Json::as_str)
            .ok_or_else(|| Error::config("'column' is required and must be a string"))?;
        let op = cfg.get("op").and_then(Json::as_str).ok_or_else(|| Error::config("'op' is required and must be a string"))?;
        let keep = OPS
            .iter()
            .find(|(name, _)| *name == op)
            .map(|(_, k)| *k)
            .ok_or_else(|| Error::config(format!("'op' must be one of > >= < <= == !=, got '{}'", op)))?;
        let value = match cfg.get("value") {
            Some(v) if v.is_number() => v.clone(),
            v => {
                let t = v.map_or("missing", Json::type_name);
                return Err(Error::config(format!("'value' is required and must be a number, got {}", t)));
            }
        };
        Ok(RowFilter { column: column.to_string(), null_message: format!("{} is null", column), keep, value })
    }

    fn process(&mut self, input: &Batch, out: &mut Output) -> Result {
        let c = input
            .find(&self.column)
            .ok_or_else(|| Error::schema(format!("column '{}' not found", self.column)))?;
        if !c.ty.is_numeric() {
            return Err(Error::schema(format!("column '{}' is {}, expected a numeric column", self.column, c.ty.name())));
        }
        let n = input.num_rows;
        let mut sel = Selection::new(n);
        let mut errors = 0;
        let class = self.classifier(c);
        for j in 0..n {
            if c.is_null(j) {
                sel.push(j);
                errors += 1;
            } else if self.keep[class(c, j) as usize] {
                sel.push(j);
            }
        }
        let kept = sel.len();
        counter_add("rows_dropped", (n - kept) as i64);
        if kept == 0 {
            return Ok(Status::NoOutput);
        }
        out.begin(kept);
        if kept == n {
            out.pass_all(input); // nothing dropped: zero-copy
        } else {
            out.take_all(input, &sel);
        }
        let err = out.error_column();
        if errors == 0 {
            err.append_nulls(kept);
        } else {
            for &k in &sel.indices {
                if c.is_null(k as usize) {
                    err.append_str(&self.null_message);
                } else {
                    err.append_null();
                }
            }
        }
        Ok(Status::Ok)
    }
}

/// The integer threshold: for an integer x, sign(x - value) is x < t: -1, x > t: 1, else
/// (frac ? -1 : 0); `Less`/`Greater`: the value is beyond the column's whole domain.
enum Threshold {
    Signed(i64, bool),
    Unsigned(u64, bool),
    Less,    // every x < value
    Greater, // every x > value
}

impl RowFilter {
    fn threshold(&self, signed: bool) -> Threshold {
        let (i, u, v) = match &self.value {
            Json::Number(n) => (n.int64, n.uint64, n.value),
            _ => (None, None, 0.0),
        };
        if let Some(t) = i {
            return if signed {
                Threshold::Signed(t, false)
            } else if t < 0 {
                Threshold::Greater
            } else {
                Threshold::Unsigned(t as u64, false)
            };
        }
        if let Some(t) = u {
            return if signed { Threshold::Less } else { Threshold::Unsigned(t, false) };
        }
        let f = v.floor();
        let frac = v != f;
        if signed {
            if v >= 9223372036854775808.0 {
                Threshold::Less
            } else if v < -9223372036854775808.0 {
                Threshold::Greater
            } else {
                Threshold::Signed(f as i64, frac)
            }
        } else if v >= 18446744073709551616.0 {
            Threshold::Less
        } else if v < 0.0 {
            Threshold::Greater
        } else {
            Threshold::Unsigned(f as u64, frac)
        }
    }

    /// A function giving the comparison class of row j.
    fn classifier(&self, c: &Column) -> Box<dyn Fn(&Column, usize) -> u8> {
        if c.ty.is_float() {
            let v = match &self.value {
                Json::Number(n) => n.value,
                _ => 0.0,
            };
            return Box::new(move |c: &Column, j: usize| {
                let x = c.get_f64(j);
                if x > v {
                    2
                } else if x == v {
                    1
                } else if x < v {
                    0
                } else {
                    3
                }
            });
        }
        match self.threshold(c.ty.is_signed_int()) {
            Threshold::Less => Box::new(|_: &Column, _: usize| 0),
            Threshold::Greater => Box::new(|_: &Column, _: usize| 2),
            Threshold::Signed(t, frac) => Box::new(move |c: &Column, j: usize| cmp(c.get_i64(j), t, frac)),
            Threshold::Unsigned(t, frac) => Box::new(move |c: &Column, j: usize| {
                let x = if c.ty == Type::UInt64 { c.u64()[j] } else { c.get_i64(j) as u64 };
                cmp(x, t, frac)
            }),
        }
    }
}

fn cmp<T: PartialOrd>(x: T, t: T, frac: bool) -> u8 {
    if x < t {
        0
    } else if x > t {
        2
    } else if frac {
        0
    } else {
        1
    }
}

dataflare::processor!(RowFilter);
