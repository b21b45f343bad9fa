//! The output batch under construction (the C SDK's `df_output` / `df_builder`).

use crate::abi::{ArrowArray, ArrowSchema, FLAG_NULLABLE};
use crate::input::{bit, Batch, Column, Native, TimeUnit, Type};
use crate::{Error, Result};
use core::fmt;
use core::ptr::null;

/// The per-record error column: rows where it is non-null go to the dead-letter output.
pub const ERROR_COLUMN: &str = "_dataflare_error";

/// Row indices into the input (a "selection vector"), e.g. the rows a filter keeps.
#[derive(Default, Clone, Debug)]
pub struct Selection {
    pub indices: Vec<u32>,
}

impl Selection {
    pub fn new(capacity: usize) -> Selection {
        Selection { indices: Vec::with_capacity(capacity) }
    }
    #[inline]
    pub fn push(&mut self, row: usize) {
        self.indices.push(row as u32);
    }
    pub fn len(&self) -> usize {
        self.indices.len()
    }
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }
}

/// A buffer: absent, borrowed from the input (zero-copy), or owned (8-byte aligned words).
enum Buf {
    None,
    Shared(*const u8),
    Owned(Vec<u64>),
}

impl Buf {
    fn zeroed(bytes: usize) -> Buf {
        Buf::Owned(vec![0u64; (bytes + 7) / 8])
    }
    fn ptr(&self) -> *const u8 {
        match self {
            Buf::None => null(),
            Buf::Shared(p) => *p,
            Buf::Owned(v) => v.as_ptr() as *const u8,
        }
    }
    fn is_none(&self) -> bool {
        matches!(self, Buf::None)
    }
    /// Owned bytes (`len` of them at most the allocation).
    fn bytes_mut(&mut self) -> &mut [u8] {
        match self {
            Buf::Owned(v) => unsafe { core::slice::from_raw_parts_mut(v.as_mut_ptr() as *mut u8, v.len() * 8) },
            _ => &mut [],
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// An input column, zero-copy.
    Pass,
    /// Fixed width (or a complete copy): every row exists, random access.
    Fixed,
    /// Var width: values are appended.
    Append,
    /// All-null column.
    Null,
    /// Misuse: the call fails with `error`.
    Invalid,
}

/// One output column being built: fixed width (numbers, bool, date32, timestamp: all rows exist,
/// zero and valid; write at random) or var width (utf8, binary, large_*: append exactly the
/// output's row count of values).
pub struct Builder {
    name: String,
    ty: Type,
    format: String,
    kind: Kind,
    len: usize,
    offset: usize,
    null_count: i64,
    validity: Buf,
    values: Buf,
    off32: Vec<i32>,
    off64: Vec<i64>,
    data: Vec<u8>,
    pending: Option<usize>,
    source: *const ArrowArray,
    error: Option<String>,
}

fn bitmap_bytes(bits: usize) -> usize {
    (bits + 7) / 8
}

fn set_bit(bits: &mut [u8], i: usize, v: bool) {
    if v {
        bits[i >> 3] |= 1 << (i & 7);
    } else {
        bits[i >> 3] &= !(1 << (i & 7));
    }
}

/// Copy `n` bits from `src` (from bit `src_off`) into `dst` (from bit `dst_off`, bits zero):
/// whole bytes at a time when `dst_off` is byte aligned.
fn copy_bits(dst: &mut [u8], dst_off: usize, src: *const u8, src_off: usize, n: usize) {
    let mut i = 0;
    if dst_off % 8 == 0 {
        let (d, s, sh) = (dst_off / 8, src_off / 8, (src_off % 8) as u32);
        let full = n / 8;
        unsafe {
            for k in 0..full {
                let lo = *src.add(s + k) >> sh;
                // the next byte holds bits of the range when sh > 0 (8k + 7 + sh < n + sh)
                let hi = if sh == 0 { 0 } else { *src.add(s + k + 1) << (8 - sh) };
                dst[d + k] = lo | hi;
            }
        }
        i = full * 8;
    }
    for j in i..n {
        if bit(src, src_off + j) {
            set_bit(dst, dst_off + j, true);
        }
    }
}

fn timestamp_format(unit: TimeUnit, tz: &str) -> String {
    let u = match unit {
        TimeUnit::Second => 's',
        TimeUnit::Milli => 'm',
        TimeUnit::Micro => 'u',
        TimeUnit::Nano => 'n',
    };
    format!("ts{}:{}", u, tz)
}

impl Builder {
    fn new(name: &str, ty: Type, kind: Kind) -> Builder {
        Builder {
            name: name.to_string(),
            ty,
            format: ty.format().to_string(),
            kind,
            len: 0,
            offset: 0,
            null_count: 0,
            validity: Buf::None,
            values: Buf::None,
            off32: Vec::new(),
            off64: Vec::new(),
            data: Vec::new(),
            pending: None,
            source: null(),
            error: None,
        }
    }

    fn fail(&mut self, msg: String) {
        if self.error.is_none() {
            self.error = Some(msg);
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn ty(&self) -> Type {
        self.ty
    }
    /// Rows so far (fixed width: all of them).
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Fixed-width builders: the values as a mutable slice of `T` (element `j` is `s[j]`).
    /// A wrong width or a non-fixed column fails the call and gives an empty slice.
    pub fn values_mut<T: Native>(&mut self) -> &mut [T] {
        if self.kind != Kind::Fixed || self.ty.width() != T::WIDTH {
            let msg = format!("column '{}' ({}): no {}-byte values to write", self.name, self.ty.name(), T::WIDTH);
            self.fail(msg);
            return &mut [];
        }
        let (off, len) = (self.offset, self.len);
        let bytes = self.values.bytes_mut();
        if len == 0 {
            return &mut [];
        }
        unsafe { core::slice::from_raw_parts_mut((bytes.as_mut_ptr() as *mut T).add(off), len) }
    }
    pub fn i8_mut(&mut self) -> &mut [i8] {
        self.values_mut()
    }
    pub fn i16_mut(&mut self) -> &mut [i16] {
        self.values_mut()
    }
    pub fn i32_mut(&mut self) -> &mut [i32] {
        self.values_mut()
    }
    pub fn i64_mut(&mut self) -> &mut [i64] {
        self.values_mut()
    }
    pub fn u8_mut(&mut self) -> &mut [u8] {
        self.values_mut()
    }
    pub fn u16_mut(&mut self) -> &mut [u16] {
        self.values_mut()
    }
    pub fn u32_mut(&mut self) -> &mut [u32] {
        self.values_mut()
    }
    pub fn u64_mut(&mut self) -> &mut [u64] {
        self.values_mut()
    }
    pub fn f32_mut(&mut self) -> &mut [f32] {
        self.values_mut()
    }
    pub fn f64_mut(&mut self) -> &mut [f64] {
        self.values_mut()
    }
    pub fn date32_mut(&mut self) -> &mut [i32] {
        self.values_mut()
    }
    pub fn timestamp_mut(&mut self) -> &mut [i64] {
        self.values_mut()
    }

    /// A copied var-width column's data bytes, to change in place (see `Output::copy`).
    pub fn data_mut(&mut self) -> &mut [u8] {
        &mut self.data
    }

    fn check_fixed(&mut self, what: &str, i: usize) -> bool {
        if self.kind != Kind::Fixed || i >= self.len {
            let msg = format!("column '{}': {}({}) out of range or on a column that is not fixed width", self.name, what, i);
            self.fail(msg);
            return false;
        }
        true
    }

    /// Bool builders: set element `i`.
    pub fn set_bool(&mut self, i: usize, v: bool) {
        if self.check_fixed("set_bool", i) {
            let off = self.offset;
            set_bit(self.values.bytes_mut(), off + i, v);
        }
    }

    /// Make the validity bitmap owned and writable (all valid if absent).
    fn own_validity(&mut self) -> &mut [u8] {
        let bytes = bitmap_bytes(self.offset + self.len);
        match self.validity {
            Buf::None => {
                let mut b = Buf::zeroed(bytes);
                for x in b.bytes_mut() {
                    *x = 0xFF;
                }
                self.validity = b;
            }
            Buf::Shared(p) => {
                let mut b = Buf::zeroed(bytes);
                unsafe { core::ptr::copy_nonoverlapping(p, b.bytes_mut().as_mut_ptr(), bytes) };
                self.validity = b;
            }
            Buf::Owned(_) => {}
        }
        self.validity.bytes_mut()
    }

    /// Fixed-width builders: mark element `i` null.
    pub fn set_null(&mut self, i: usize) {
        if self.check_fixed("set_null", i) {
            let off = self.offset;
            set_bit(self.own_validity(), off + i, false);
            self.null_count = -1;
        }
    }
    /// Fixed-width builders: mark element `i` valid.
    pub fn set_valid(&mut self, i: usize) {
        if self.check_fixed("set_valid", i) && !self.validity.is_none() {
            let off = self.offset;
            set_bit(self.own_validity(), off + i, true);
            self.null_count = -1;
        }
    }
    /// Fixed-width builders: take validity from input column `src` (same length): nulls propagate.
    pub fn copy_validity(&mut self, src: &Column) {
        if self.kind != Kind::Fixed || src.len != self.len {
            let msg = format!("column '{}': copy_validity needs a fixed-width column of {} rows", self.name, src.len);
            self.fail(msg);
            return;
        }
        if !src.has_nulls() {
            self.validity = Buf::None;
            self.null_count = 0;
            return;
        }
        let mut v = Buf::zeroed(bitmap_bytes(self.offset + self.len));
        copy_bits(v.bytes_mut(), self.offset, src.validity, src.offset, self.len);
        self.validity = v;
        self.null_count = src.null_count;
    }

    // -- var width ------------------------------------------------------------------------------

    fn check_append(&mut self) -> bool {
        if self.kind != Kind::Append {
            let msg = format!("column '{}': append on a column that is not an appendable utf8/binary column", self.name);
            self.fail(msg);
            return false;
        }
        true
    }

    fn end_value(&mut self, valid: bool) {
        let end = self.data.len();
        if self.ty.is_large() {
            self.off64.push(end as i64);
        } else {
            if end > i32::MAX as usize {
                let msg = format!("column '{}': more than 2 GiB of data in a non-large column", self.name);
                self.fail(msg);
            }
            self.off32.push(end as i32);
        }
        let i = self.len;
        if !valid {
            if self.validity.is_none() {
                let mut b = Buf::zeroed(bitmap_bytes(i + 1).max(64));
                for x in b.bytes_mut() {
                    *x = 0xFF;
                }
                self.validity = b;
            }
            self.null_count += 1;
        }
        if !self.validity.is_none() {
            if let Buf::Owned(w) = &mut self.validity {
                if w.len() * 64 <= i {
                    let grow = w.len().max(1);
                    w.extend(core::iter::repeat(u64::MAX).take(grow));
                }
            }
            set_bit(self.validity.bytes_mut(), i, valid);
        }
        self.len += 1;
        self.pending = None;
    }

    /// Append one value.
    pub fn append(&mut self, value: &[u8]) {
        if self.check_append() {
            self.data.extend_from_slice(value);
            self.end_value(true);
        }
    }
    /// Append one string.
    pub fn append_str(&mut self, value: &str) {
        self.append(value.as_bytes())
    }
    /// Append a null.
    pub fn append_null(&mut self) {
        if self.check_append() {
            if let Some(start) = self.pending {
                self.data.truncate(start);
            }
            self.end_value(false);
        }
    }
    /// Append `n` nulls.
    pub fn append_nulls(&mut self, n: usize) {
        for _ in 0..n {
            self.append_null();
        }
    }
    /// Build one value piecewise: `extend` adds bytes (so does `write!`), `commit` ends it.
    pub fn extend(&mut self, bytes: &[u8]) {
        if self.check_append() {
            if self.pending.is_none() {
                self.pending = Some(self.data.len());
            }
            self.data.extend_from_slice(bytes);
        }
    }
    pub fn commit(&mut self) {
        if self.check_append() {
            self.end_value(true);
        }
    }
    /// Append a formatted value: `b.append_fmt(format_args!("{} rows", n))`.
    pub fn append_fmt(&mut self, args: fmt::Arguments) {
        let _ = fmt::Write::write_fmt(self, args);
        self.commit();
    }
}

/// `write!(builder, ...)` extends the pending value; end it with `commit()`.
impl fmt::Write for Builder {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.extend(s.as_bytes());
        Ok(())
    }
}

/// The output batch under construction. `process` starts it with the input's row count,
/// `finish`/`read` with 0 (call `begin` for another length); add columns in output order.
pub struct Output {
    num_rows: usize,
    columns: Vec<Builder>,
}

impl Output {
    pub(crate) fn new(num_rows: usize) -> Output {
        Output { num_rows, columns: Vec::new() }
    }

    /// (Re)start with `num_rows` rows and no columns.
    pub fn begin(&mut self, num_rows: usize) {
        self.num_rows = num_rows;
        self.columns.clear();
    }
    pub fn num_rows(&self) -> usize {
        self.num_rows
    }
    pub fn num_columns(&self) -> usize {
        self.columns.len()
    }
    /// Column `i` added so far.
    pub fn column_mut(&mut self, i: usize) -> Option<&mut Builder> {
        self.columns.get_mut(i)
    }

    fn push(&mut self, b: Builder) -> &mut Builder {
        self.columns.push(b);
        self.columns.last_mut().unwrap()
    }

    /// Pass an input column through unchanged and zero-copy, under its own name.
    pub fn pass(&mut self, c: &Column) -> &mut Builder {
        self.pass_as(c, c.name)
    }
    /// Pass an input column through zero-copy under another name.
    pub fn pass_as(&mut self, c: &Column, name: &str) -> &mut Builder {
        let mut b = Builder::new(name, c.ty, Kind::Pass);
        b.format = c.format.to_string();
        b.len = c.len;
        b.offset = c.offset;
        b.null_count = c.null_count;
        b.source = c.array;
        if c.len != self.num_rows {
            b.fail(format!("column '{}': passed through with {} rows, output has {}", name, c.len, self.num_rows));
        }
        self.push(b)
    }
    /// Pass every input column through.
    pub fn pass_all(&mut self, batch: &Batch) {
        for c in &batch.columns {
            self.pass(c);
        }
    }

    fn new_column(&mut self, name: &str, ty: Type, format: String) -> &mut Builder {
        let rows = self.num_rows;
        let mut b = Builder::new(name, ty, Kind::Fixed);
        b.format = format;
        match ty {
            Type::Unsupported => {
                b.kind = Kind::Invalid;
                b.fail(format!("column '{}': cannot build a column of an unsupported type", name));
            }
            Type::Null => {
                b.kind = Kind::Null;
                b.len = rows;
                b.null_count = rows as i64;
            }
            t if t.is_var_width() => {
                b.kind = Kind::Append;
                if t.is_large() {
                    b.off64 = Vec::with_capacity(rows + 1);
                    b.off64.push(0);
                } else {
                    b.off32 = Vec::with_capacity(rows + 1);
                    b.off32.push(0);
                }
                b.data = Vec::with_capacity((rows * 8).max(256));
            }
            t => {
                b.len = rows;
                let bytes = if t == Type::Bool { bitmap_bytes(rows) } else { rows * t.width() };
                b.values = Buf::zeroed(bytes.max(1));
            }
        }
        self.push(b)
    }

    /// A new column of type `ty` (not timestamp: see `add_timestamp`). Fixed-width columns have
    /// every row, zero and valid; var-width columns start empty: append exactly `num_rows`
    /// values; null columns are complete.
    pub fn add(&mut self, name: &str, ty: Type) -> &mut Builder {
        self.new_column(name, ty, ty.format().to_string())
    }
    /// A new timestamp column.
    pub fn add_timestamp(&mut self, name: &str, unit: TimeUnit, tz: &str) -> &mut Builder {
        self.new_column(name, Type::Timestamp, timestamp_format(unit, tz))
    }
    /// A new empty column with the type (unit, timezone) of input column `c`.
    pub fn add_like(&mut self, name: &str, c: &Column) -> &mut Builder {
        if c.ty == Type::Timestamp {
            return self.add_timestamp(name, c.unit, c.timezone);
        }
        self.add(name, c.ty)
    }
    /// The per-record error column `_dataflare_error` (utf8): append one value per output row,
    /// null for good rows, the message for bad rows (they go to the dead-letter output).
    pub fn error_column(&mut self) -> &mut Builder {
        self.add(ERROR_COLUMN, Type::Utf8)
    }

    /// A modifiable copy of input column `c` named `name`: values (fixed width, bool) or data
    /// bytes (var width, via `data_mut`) are copied and may be changed in place; validity and
    /// var-width offsets are shared with the input (zero-copy).
    pub fn copy(&mut self, c: &Column, name: &str) -> &mut Builder {
        let rows = self.num_rows;
        let mut b = Builder::new(name, c.ty, Kind::Fixed);
        b.format = c.format.to_string();
        b.len = c.len;
        b.offset = c.offset;
        b.null_count = c.null_count;
        b.validity = if c.validity.is_null() { Buf::None } else { Buf::Shared(c.validity) };
        if c.len != rows {
            b.fail(format!("column '{}': copied with {} rows, output has {}", name, c.len, rows));
        }
        match c.ty {
            Type::Unsupported => {
                b.kind = Kind::Invalid;
                b.fail(format!("column '{}': cannot copy a column of type '{}'", name, c.format));
            }
            Type::Null => b.kind = Kind::Null,
            t if t.is_var_width() => {
                let (_, end) = c.data_range();
                b.values = Buf::Shared(c.values);
                if end > 0 {
                    b.data = unsafe { core::slice::from_raw_parts(c.data, end) }.to_vec();
                }
            }
            t => {
                let bytes = if t == Type::Bool { bitmap_bytes(c.offset + c.len) } else { (c.offset + c.len) * t.width() };
                let mut v = Buf::zeroed(bytes.max(1));
                if bytes > 0 {
                    unsafe { core::ptr::copy_nonoverlapping(c.values, v.bytes_mut().as_mut_ptr(), bytes) };
                }
                b.values = v;
            }
        }
        self.push(b)
    }

    /// A new column of the rows `sel` selects from input column `c` (any type), under its name.
    pub fn take(&mut self, c: &Column, sel: &Selection) -> &mut Builder {
        self.take_as(c, sel, c.name)
    }
    /// Take every input column by `sel`.
    pub fn take_all(&mut self, batch: &Batch, sel: &Selection) {
        for c in &batch.columns {
            self.take(c, sel);
        }
    }
    /// `take` under another name.
    pub fn take_as(&mut self, c: &Column, sel: &Selection, name: &str) -> &mut Builder {
        let n = sel.len();
        let idx = &sel.indices;
        let mut b = Builder::new(name, c.ty, Kind::Fixed);
        b.format = c.format.to_string();
        b.len = n;
        if c.ty == Type::Unsupported {
            b.kind = Kind::Invalid;
            b.fail(format!("column '{}': cannot take from a column of type '{}'", name, c.format));
            return self.push(b);
        }
        if n != self.num_rows {
            b.fail(format!("column '{}': selection has {} rows, output has {}", name, n, self.num_rows));
        }
        if c.ty == Type::Null {
            b.kind = Kind::Null;
            b.null_count = n as i64;
            return self.push(b);
        }
        if c.has_nulls() {
            let mut v = Buf::zeroed(bitmap_bytes(n).max(1));
            let bits = v.bytes_mut();
            let mut nulls = 0;
            for (j, &k) in idx.iter().enumerate() {
                if c.is_valid(k as usize) {
                    set_bit(bits, j, true);
                } else {
                    nulls += 1;
                }
            }
            b.validity = v;
            b.null_count = nulls;
        }
        let off = c.offset;
        match c.ty {
            Type::Bool => {
                let mut v = Buf::zeroed(bitmap_bytes(n).max(1));
                let bits = v.bytes_mut();
                for (j, &k) in idx.iter().enumerate() {
                    if bit(c.values, off + k as usize) {
                        set_bit(bits, j, true);
                    }
                }
                b.values = v;
            }
            t if t.is_var_width() => {
                b.kind = Kind::Append;
                let mut total = 0usize;
                for &k in idx {
                    total += c.bytes(k as usize).len();
                }
                b.data = Vec::with_capacity(total);
                if t.is_large() {
                    b.off64 = Vec::with_capacity(n + 1);
                    b.off64.push(0);
                } else {
                    b.off32 = Vec::with_capacity(n + 1);
                    b.off32.push(0);
                }
                for &k in idx {
                    b.data.extend_from_slice(c.bytes(k as usize));
                    if t.is_large() {
                        b.off64.push(b.data.len() as i64);
                    } else {
                        b.off32.push(b.data.len() as i32);
                    }
                }
                if !t.is_large() && total > i32::MAX as usize {
                    b.fail(format!("column '{}': more than 2 GiB of data in a non-large column", name));
                }
                b.len = n;
                b.kind = Kind::Fixed; // complete
            }
            t => {
                let w = t.width();
                let mut v = Buf::zeroed((n * w).max(1));
                let dst = v.bytes_mut().as_mut_ptr();
                for (j, &k) in idx.iter().enumerate() {
                    unsafe { core::ptr::copy_nonoverlapping(c.values.add((off + k as usize) * w), dst.add(j * w), w) };
                }
                b.values = v;
            }
        }
        self.push(b)
    }

    /// Write the batch into the host's structs; the returned value owns the exported memory
    /// and must be kept alive until the next call (the runtime keeps it in the call arena).
    pub(crate) fn export(self, os: *mut ArrowSchema, oa: *mut ArrowArray) -> Result<Exported> {
        let n = self.columns.len();
        let mut ex = Exported {
            output: self,
            strings: Vec::with_capacity(2 * n),
            schemas: Vec::with_capacity(n),
            arrays: Vec::with_capacity(n),
            schema_ptrs: Vec::with_capacity(n),
            array_ptrs: Vec::with_capacity(n),
            buffers: Vec::with_capacity(n),
        };
        let rows = ex.output.num_rows;
        for b in &ex.output.columns {
            if let Some(e) = &b.error {
                return Err(Error::plugin(e.clone()));
            }
            if b.pending.is_some() {
                return Err(Error::plugin(format!("column '{}': a value was extended but never committed", b.name)));
            }
            if b.len != rows {
                return Err(Error::plugin(format!("column '{}' has {} rows, the output batch {}", b.name, b.len, rows)));
            }
        }
        for b in &ex.output.columns {
            let mut name = b.name.clone().into_bytes();
            name.push(0);
            let mut format = b.format.clone().into_bytes();
            format.push(0);
            let mut a = ArrowArray {
                length: b.len as i64,
                null_count: b.null_count,
                offset: b.offset as i64,
                n_buffers: 0,
                n_children: 0,
                buffers: null(),
                children: null(),
                dictionary: null(),
                release: 0,
                private_data: 0,
            };
            let mut bufs = [null(); 3];
            match b.kind {
                Kind::Pass => unsafe {
                    let src = &*b.source;
                    a.null_count = src.null_count;
                    a.n_buffers = src.n_buffers;
                    for (k, slot) in bufs.iter_mut().enumerate().take(src.n_buffers.min(3) as usize) {
                        *slot = *src.buffers.add(k);
                    }
                },
                Kind::Null => {
                    a.null_count = b.len as i64;
                }
                _ => {
                    a.n_buffers = b.ty.n_buffers();
                    bufs[0] = b.validity.ptr();
                    if b.validity.is_none() {
                        a.null_count = 0;
                    } else if b.null_count < 0 {
                        a.null_count = -1;
                    }
                    bufs[1] = if b.kind == Kind::Append || !b.off32.is_empty() || !b.off64.is_empty() {
                        if b.ty.is_large() {
                            b.off64.as_ptr() as *const u8
                        } else {
                            b.off32.as_ptr() as *const u8
                        }
                    } else {
                        b.values.ptr()
                    };
                    if b.ty.is_var_width() {
                        bufs[2] = if b.data.is_empty() { EMPTY.as_ptr() } else { b.data.as_ptr() };
                    }
                }
            }
            ex.schemas.push(ArrowSchema {
                format: format.as_ptr(),
                name: name.as_ptr(),
                metadata: null(),
                flags: FLAG_NULLABLE,
                n_children: 0,
                children: null(),
                dictionary: null(),
                release: 0,
                private_data: 0,
            });
            ex.strings.push(name);
            ex.strings.push(format);
            ex.buffers.push(bufs);
            ex.arrays.push(a);
        }
        for i in 0..n {
            ex.arrays[i].buffers = ex.buffers[i].as_ptr();
            ex.schema_ptrs.push(&ex.schemas[i] as *const ArrowSchema);
            ex.array_ptrs.push(&ex.arrays[i] as *const ArrowArray);
        }
        unsafe {
            *os = ArrowSchema {
                format: b"+s\0".as_ptr(),
                name: b"\0".as_ptr(),
                metadata: null(),
                flags: 0,
                n_children: n as i64,
                children: ex.schema_ptrs.as_ptr(),
                dictionary: null(),
                release: 0,
                private_data: 0,
            };
            *oa = ArrowArray {
                length: rows as i64,
                null_count: 0,
                offset: 0,
                n_buffers: 1,
                n_children: n as i64,
                buffers: TOP_BUFFERS.0.as_ptr(),
                children: ex.array_ptrs.as_ptr(),
                dictionary: null(),
                release: 0,
                private_data: 0,
            };
        }
        Ok(ex)
    }
}

static EMPTY: [u8; 8] = [0; 8];
struct TopBuffers([*const u8; 1]);
unsafe impl Sync for TopBuffers {}
static TOP_BUFFERS: TopBuffers = TopBuffers([null()]);

/// An exported output batch: everything the host reads, kept until the next call.
pub(crate) struct Exported {
    #[allow(dead_code)]
    output: Output,
    #[allow(dead_code)]
    strings: Vec<Vec<u8>>,
    schemas: Vec<ArrowSchema>,
    arrays: Vec<ArrowArray>,
    schema_ptrs: Vec<*const ArrowSchema>,
    array_ptrs: Vec<*const ArrowArray>,
    buffers: Vec<[*const u8; 3]>,
}
