//! SDK self-test (Rust): a source emitting `rows` ids in batches of at most `max_rows`.
use dataflare::{Error, Json, Output, Result, Source, Status, Type};

struct Ids {
    total: i64,
    next: i64,
}

impl Source for Ids {
    fn init(cfg: &Json) -> Result<Self> {
        let total = cfg.get("rows").and_then(Json::as_i64).ok_or_else(|| Error::config("'rows' must be an integer"))?;
        Ok(Ids { total, next: 0 })
    }

    fn read(&mut self, max_rows: usize, out: &mut Output) -> Result {
        let n = (self.total - self.next).min(max_rows as i64);
        if n <= 0 {
            return Ok(Status::NoOutput);
        }
        out.begin(n as usize);
        let start = self.next;
        for (j, v) in out.add("id", Type::Int64).i64_mut().iter_mut().enumerate() {
            *v = start + j as i64;
        }
        let s = out.add("even", Type::Utf8);
        for j in 0..n {
            if (start + j) % 2 == 0 {
                s.append_str("even");
            } else {
                s.append_null();
            }
        }
        self.next += n;
        Ok(Status::Ok)
    }
}

dataflare::source!(Ids);
