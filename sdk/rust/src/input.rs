//! Read-only views of the input batch (the C SDK's `df_batch` / `df_column`).

use crate::abi::{ArrowArray, ArrowSchema};
use crate::{Error, Result};
use core::slice;

/// Column types of abi 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    /// Anything else: visible, can be passed through, not read.
    Unsupported,
    Null,
    Bool,
    Int8,
    Int16,
    Int32,
    Int64,
    UInt8,
    UInt16,
    UInt32,
    UInt64,
    Float32,
    Float64,
    Utf8,
    LargeUtf8,
    Binary,
    LargeBinary,
    /// int32 days since the epoch.
    Date32,
    /// int64 in `unit` since the epoch, optional timezone.
    Timestamp,
}

/// Unit of a timestamp column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeUnit {
    Second,
    Milli,
    Micro,
    Nano,
}

impl Type {
    /// pyarrow-style name, for messages ("int64", "large_string", ...).
    pub fn name(self) -> &'static str {
        match self {
            Type::Unsupported => "unsupported",
            Type::Null => "null",
            Type::Bool => "bool",
            Type::Int8 => "int8",
            Type::Int16 => "int16",
            Type::Int32 => "int32",
            Type::Int64 => "int64",
            Type::UInt8 => "uint8",
            Type::UInt16 => "uint16",
            Type::UInt32 => "uint32",
            Type::UInt64 => "uint64",
            Type::Float32 => "float",
            Type::Float64 => "double",
            Type::Utf8 => "string",
            Type::LargeUtf8 => "large_string",
            Type::Binary => "binary",
            Type::LargeBinary => "large_binary",
            Type::Date32 => "date32",
            Type::Timestamp => "timestamp",
        }
    }
    pub fn is_signed_int(self) -> bool {
        matches!(self, Type::Int8 | Type::Int16 | Type::Int32 | Type::Int64)
    }
    pub fn is_unsigned_int(self) -> bool {
        matches!(self, Type::UInt8 | Type::UInt16 | Type::UInt32 | Type::UInt64)
    }
    pub fn is_int(self) -> bool {
        self.is_signed_int() || self.is_unsigned_int()
    }
    pub fn is_float(self) -> bool {
        matches!(self, Type::Float32 | Type::Float64)
    }
    pub fn is_numeric(self) -> bool {
        self.is_int() || self.is_float()
    }
    pub fn is_string(self) -> bool {
        matches!(self, Type::Utf8 | Type::LargeUtf8)
    }
    pub fn is_binary(self) -> bool {
        matches!(self, Type::Binary | Type::LargeBinary)
    }
    pub fn is_var_width(self) -> bool {
        self.is_string() || self.is_binary()
    }
    pub fn is_large(self) -> bool {
        matches!(self, Type::LargeUtf8 | Type::LargeBinary)
    }
    /// Bytes per value of a fixed-width type; 0 for null, bool (bits) and var-width types.
    pub fn width(self) -> usize {
        match self {
            Type::Int8 | Type::UInt8 => 1,
            Type::Int16 | Type::UInt16 => 2,
            Type::Int32 | Type::UInt32 | Type::Float32 | Type::Date32 => 4,
            Type::Int64 | Type::UInt64 | Type::Float64 | Type::Timestamp => 8,
            _ => 0,
        }
    }
    /// Number of C Data buffers of an array of this type.
    pub(crate) fn n_buffers(self) -> i64 {
        match self {
            Type::Null => 0,
            t if t.is_var_width() => 3,
            _ => 2,
        }
    }
    /// The Arrow format string (timestamps: see `timestamp_format`).
    pub(crate) fn format(self) -> &'static str {
        match self {
            Type::Null => "n",
            Type::Bool => "b",
            Type::Int8 => "c",
            Type::Int16 => "s",
            Type::Int32 => "i",
            Type::Int64 => "l",
            Type::UInt8 => "C",
            Type::UInt16 => "S",
            Type::UInt32 => "I",
            Type::UInt64 => "L",
            Type::Float32 => "f",
            Type::Float64 => "g",
            Type::Utf8 => "u",
            Type::LargeUtf8 => "U",
            Type::Binary => "z",
            Type::LargeBinary => "Z",
            Type::Date32 => "tdD",
            Type::Timestamp | Type::Unsupported => "",
        }
    }
}

/// Parse an Arrow format string into (type, unit, timezone).
pub fn parse_format(f: &str) -> (Type, TimeUnit, &str) {
    let t = match f {
        "n" => Type::Null,
        "b" => Type::Bool,
        "c" => Type::Int8,
        "s" => Type::Int16,
        "i" => Type::Int32,
        "l" => Type::Int64,
        "C" => Type::UInt8,
        "S" => Type::UInt16,
        "I" => Type::UInt32,
        "L" => Type::UInt64,
        "f" => Type::Float32,
        "g" => Type::Float64,
        "u" => Type::Utf8,
        "U" => Type::LargeUtf8,
        "z" => Type::Binary,
        "Z" => Type::LargeBinary,
        "tdD" => Type::Date32,
        _ => Type::Unsupported,
    };
    let b = f.as_bytes();
    if t == Type::Unsupported && b.len() >= 4 && b[0] == b't' && b[1] == b's' && b[3] == b':' {
        let unit = match b[2] {
            b's' => TimeUnit::Second,
            b'm' => TimeUnit::Milli,
            b'u' => TimeUnit::Micro,
            b'n' => TimeUnit::Nano,
            _ => return (Type::Unsupported, TimeUnit::Micro, ""),
        };
        return (Type::Timestamp, unit, &f[4..]);
    }
    (t, TimeUnit::Micro, "")
}

/// A fixed-width value type readable from / writable to a column (`i8` ... `f64`).
pub trait Native: Copy + Default + 'static {
    /// Bytes per value.
    const WIDTH: usize;
}
macro_rules! native {
    ($($t:ty),*) => { $(impl Native for $t { const WIDTH: usize = core::mem::size_of::<$t>(); })* };
}
native!(i8, i16, i32, i64, u8, u16, u32, u64, f32, f64);

/// Bit `i` of a bitmap (validity or bool values).
#[inline]
pub(crate) fn bit(bits: *const u8, i: usize) -> bool {
    unsafe { (*bits.add(i >> 3) >> (i & 7)) & 1 != 0 }
}

/// A read-only view of one input column. Element `j` is element `offset + j` of every buffer;
/// the accessors apply the offset.
pub struct Column<'a> {
    pub name: &'a str,
    /// Arrow format string.
    pub format: &'a str,
    pub ty: Type,
    /// Timestamps.
    pub unit: TimeUnit,
    /// Timestamps: "" when none.
    pub timezone: &'a str,
    pub len: usize,
    /// Exact for host input; -1 = unknown.
    pub null_count: i64,
    pub offset: usize,
    pub(crate) validity: *const u8,
    pub(crate) values: *const u8,
    pub(crate) data: *const u8,
    pub(crate) array: *const ArrowArray,
}

impl<'a> Column<'a> {
    /// Whether element `i` is valid (not null).
    #[inline]
    pub fn is_valid(&self, i: usize) -> bool {
        self.ty != Type::Null && (self.validity.is_null() || bit(self.validity, self.offset + i))
    }
    #[inline]
    pub fn is_null(&self, i: usize) -> bool {
        !self.is_valid(i)
    }
    /// Whether any element is null.
    pub fn has_nulls(&self) -> bool {
        if self.ty == Type::Null {
            self.len > 0
        } else {
            !self.validity.is_null() && self.null_count != 0
        }
    }

    /// The values of a fixed-width column as a slice of `T` (offset applied: element `j` is
    /// `s[j]`). Panics if `T`'s width is not the column's.
    pub fn values<T: Native>(&self) -> &'a [T] {
        assert!(
            self.ty.width() == T::WIDTH,
            "column '{}' is {}, not a {}-byte type",
            self.name,
            self.ty.name(),
            T::WIDTH
        );
        if self.len == 0 || self.values.is_null() {
            return &[];
        }
        unsafe { slice::from_raw_parts((self.values as *const T).add(self.offset), self.len) }
    }
    pub fn i8(&self) -> &'a [i8] {
        self.values()
    }
    pub fn i16(&self) -> &'a [i16] {
        self.values()
    }
    pub fn i32(&self) -> &'a [i32] {
        self.values()
    }
    pub fn i64(&self) -> &'a [i64] {
        self.values()
    }
    pub fn u8(&self) -> &'a [u8] {
        self.values()
    }
    pub fn u16(&self) -> &'a [u16] {
        self.values()
    }
    pub fn u32(&self) -> &'a [u32] {
        self.values()
    }
    pub fn u64(&self) -> &'a [u64] {
        self.values()
    }
    pub fn f32(&self) -> &'a [f32] {
        self.values()
    }
    pub fn f64(&self) -> &'a [f64] {
        self.values()
    }
    /// date32: days since the epoch.
    pub fn date32(&self) -> &'a [i32] {
        self.values()
    }
    /// timestamp: `unit`s since the epoch.
    pub fn timestamp(&self) -> &'a [i64] {
        self.values()
    }

    /// Bool column: value of element `i`.
    #[inline]
    pub fn bool(&self, i: usize) -> bool {
        bit(self.values, self.offset + i)
    }

    #[inline]
    fn offsets_at(&self, k: usize) -> usize {
        unsafe {
            if self.ty.is_large() {
                *(self.values as *const i64).add(k) as usize
            } else {
                *(self.values as *const i32).add(k) as usize
            }
        }
    }

    /// Var-width columns (utf8, binary, large_*): the bytes of element `i` (empty for a null).
    #[inline]
    pub fn bytes(&self, i: usize) -> &'a [u8] {
        let k = self.offset + i;
        let (a, b) = (self.offsets_at(k), self.offsets_at(k + 1));
        if b <= a {
            return &[];
        }
        unsafe { slice::from_raw_parts(self.data.add(a), b - a) }
    }
    /// utf8 / large_utf8 columns: element `i` (the host checks input is valid UTF-8).
    #[inline]
    pub fn str(&self, i: usize) -> &'a str {
        unsafe { core::str::from_utf8_unchecked(self.bytes(i)) }
    }
    /// Var-width columns: the byte range of the data buffer this column references.
    pub fn data_range(&self) -> (usize, usize) {
        if self.len == 0 && self.values.is_null() {
            return (0, 0);
        }
        (self.offsets_at(self.offset), self.offsets_at(self.offset + self.len))
    }

    /// Element `i` of any integer, bool, date32, timestamp or float column as i64 (uint64 wraps,
    /// floats truncate).
    pub fn get_i64(&self, i: usize) -> i64 {
        match self.ty {
            Type::Bool => self.bool(i) as i64,
            Type::Int8 => self.i8()[i] as i64,
            Type::Int16 => self.i16()[i] as i64,
            Type::Int32 | Type::Date32 => self.i32()[i] as i64,
            Type::Int64 | Type::Timestamp => self.i64()[i],
            Type::UInt8 => self.u8()[i] as i64,
            Type::UInt16 => self.u16()[i] as i64,
            Type::UInt32 => self.u32()[i] as i64,
            Type::UInt64 => self.u64()[i] as i64,
            Type::Float32 => self.f32()[i] as i64,
            Type::Float64 => self.f64()[i] as i64,
            _ => 0,
        }
    }
    /// Element `i` of any numeric (or bool, date32, timestamp) column as f64.
    pub fn get_f64(&self, i: usize) -> f64 {
        match self.ty {
            Type::Float32 => self.f32()[i] as f64,
            Type::Float64 => self.f64()[i],
            Type::UInt64 => self.u64()[i] as f64,
            _ => self.get_i64(i) as f64,
        }
    }
}

/// A read-only view of the input batch.
pub struct Batch<'a> {
    pub num_rows: usize,
    pub columns: Vec<Column<'a>>,
}

impl<'a> Batch<'a> {
    pub fn num_columns(&self) -> usize {
        self.columns.len()
    }
    /// Column `i`.
    pub fn column(&self, i: usize) -> Option<&Column<'a>> {
        self.columns.get(i)
    }
    /// The first column named `name`.
    pub fn find(&self, name: &str) -> Option<&Column<'a>> {
        self.columns.iter().find(|c| c.name == name)
    }
}

unsafe fn cstr<'a>(p: *const u8) -> &'a str {
    if p.is_null() {
        return "";
    }
    let mut n = 0;
    while *p.add(n) != 0 {
        n += 1;
    }
    core::str::from_utf8(slice::from_raw_parts(p, n)).unwrap_or("")
}

/// Build the column views of a host batch.
pub(crate) unsafe fn import_batch<'a>(s: *const ArrowSchema, a: *const ArrowArray) -> Result<Batch<'a>> {
    if s.is_null() || a.is_null() {
        return Err(Error::schema("input batch is missing"));
    }
    let (s, a) = (&*s, &*a);
    let format = cstr(s.format);
    if format != "+s" {
        return Err(Error::schema(format!("input batch format is '{}', expected '+s'", format)));
    }
    if s.n_children != a.n_children || s.n_children < 0 {
        return Err(Error::schema(format!(
            "input batch has {} schema children but {} array children",
            s.n_children, a.n_children
        )));
    }
    let n = s.n_children as usize;
    let mut columns = Vec::with_capacity(n);
    for i in 0..n {
        let cs = &**s.children.add(i);
        let ca = *a.children.add(i);
        let car = &*ca;
        let format = cstr(cs.format);
        let (ty, unit, timezone) = parse_format(format);
        let name = cstr(cs.name);
        if car.length != a.length {
            return Err(Error::schema(format!(
                "input column '{}' has {} rows, batch {}",
                name, car.length, a.length
            )));
        }
        if ty != Type::Unsupported && car.n_buffers != ty.n_buffers() {
            return Err(Error::schema(format!(
                "input column '{}' ({}) has {} buffers",
                name,
                ty.name(),
                car.n_buffers
            )));
        }
        let buf = |k: i64| if car.n_buffers > k { *car.buffers.add(k as usize) } else { core::ptr::null() };
        let mut col = Column {
            name,
            format,
            ty,
            unit,
            timezone,
            len: car.length as usize,
            null_count: car.null_count,
            offset: car.offset as usize,
            validity: core::ptr::null(),
            values: buf(1),
            data: buf(2),
            array: ca,
        };
        if ty == Type::Null {
            col.null_count = col.len as i64;
        } else if col.null_count != 0 {
            col.validity = buf(0);
        }
        columns.push(col);
    }
    Ok(Batch { num_rows: a.length as usize, columns })
}
