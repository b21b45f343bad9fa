//! SDK self-test (Rust): a stateful processor. `process` passes batches through and counts rows;
//! `finish` emits one row exercising the builders the reference plugins do not use.
use core::fmt::Write;
use dataflare::{counter_add, histogram_record, log_info, Batch, Json, Output, Processor, Result, Status, TimeUnit, Type};

struct Totals {
    rows: i64,
    batches: i64,
    label: String,
}

impl Processor for Totals {
    fn init(cfg: &Json) -> Result<Self> {
        let label = cfg.get("label").and_then(Json::as_str).unwrap_or("total").to_string();
        Ok(Totals { rows: 0, batches: 0, label })
    }

    fn process(&mut self, input: &Batch, out: &mut Output) -> Result {
        self.rows += input.num_rows as i64;
        self.batches += 1;
        counter_add("rows_seen", input.num_rows as i64);
        histogram_record("batch_rows", input.num_rows as f64);
        out.pass_all(input);
        Ok(Status::Ok)
    }

    fn finish(&mut self, out: &mut Output) -> Result {
        log_info(&format!("finishing after {} batches", self.batches));
        out.begin(2);
        out.add("rows", Type::Int64).i64_mut().copy_from_slice(&[self.rows, self.batches]);
        let label = out.add("label", Type::Utf8);
        let _ = write!(label, "{}={}", self.label, self.rows);
        label.commit();
        label.append_null();
        let b = out.add("flag", Type::Bool);
        b.set_bool(0, true);
        b.set_null(1);
        out.add_timestamp("at", TimeUnit::Milli, "UTC").timestamp_mut()[1] = 86_400_000;
        out.add("day", Type::Date32).date32_mut()[0] = 19_000;
        out.add("nothing", Type::Null);
        let big = out.add("big", Type::LargeBinary);
        big.append(b"\x00\x01");
        big.append_fmt(format_args!("{}", self.batches));
        Ok(Status::Ok)
    }
}

dataflare::processor!(Totals, finish);
