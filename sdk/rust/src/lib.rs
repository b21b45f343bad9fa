//! DataFlare Rust guest SDK for `dataflare-abi 1` (docs/abi.md, docs/sdk-rust.md).
//!
//! Dependency-free. Write a type implementing [`Processor`] (or [`Source`]) and export it:
//!
//! ```ignore
//! use dataflare::{Batch, Json, Output, Processor, Result, Status};
//! struct Echo;
//! impl Processor for Echo {
//!     fn init(_config: &Json) -> Result<Self> { Ok(Echo) }
//!     fn process(&mut self, input: &Batch, out: &mut Output) -> Result {
//!         out.pass_all(input);
//!         Ok(Status::Ok)
//!     }
//! }
//! dataflare::processor!(Echo);            // or processor!(Echo, finish) if it has a finish
//! ```
//!
//! Concepts mirror the C SDK (`sdk/c/dataflare.h`): `init(config)` / `process(batch, output)` /
//! optional `finish(output)`; sources `init` / `read(max_rows, output)`; [`Json`] config;
//! [`Batch`] / [`Column`] read-only views; [`Output`] / [`Builder`] for the output (pass
//! zero-copy, add, copy, take, error column); [`Error`] with a status code; [`log`] and metrics;
//! a per-call arena that keeps everything handed to the host until the next call.

pub mod abi;
pub mod json;
mod input;
mod output;

use core::cell::UnsafeCell;
use std::any::Any;

pub use input::{parse_format, Batch, Column, Native, TimeUnit, Type};
pub use json::{Json, Number};
pub use output::{Builder, Output, Selection, ERROR_COLUMN};

/// `dataflare-abi` version this SDK speaks.
pub const ABI_VERSION: i32 = 1;

/// Output produced.
pub const STATUS_OK: i32 = 0;
/// No output: everything filtered, nothing to flush, end of stream.
pub const STATUS_NO_OUTPUT: i32 = 1;
/// Plugin error.
pub const STATUS_ERROR: i32 = -1;
/// Invalid config.
pub const STATUS_INVALID_CONFIG: i32 = -2;
/// Unsupported input schema.
pub const STATUS_UNSUPPORTED_SCHEMA: i32 = -3;

/// What a successful callback returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// The output batch was produced.
    Ok,
    /// No output (filtered everything / nothing to flush / end of stream).
    NoOutput,
}

/// An error with its status code; the message goes to `dataflare_last_error`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub status: i32,
    pub message: String,
}

impl Error {
    pub fn new(status: i32, message: impl Into<String>) -> Error {
        Error { status, message: message.into() }
    }
    /// Status -1.
    pub fn plugin(message: impl Into<String>) -> Error {
        Error::new(STATUS_ERROR, message)
    }
    /// Status -2.
    pub fn config(message: impl Into<String>) -> Error {
        Error::new(STATUS_INVALID_CONFIG, message)
    }
    /// Status -3.
    pub fn schema(message: impl Into<String>) -> Error {
        Error::new(STATUS_UNSUPPORTED_SCHEMA, message)
    }
}

/// `Result<Status>` by default.
pub type Result<T = Status> = core::result::Result<T, Error>;

/// A processor (or sink) plugin.
pub trait Processor: Sized + 'static {
    /// Called once with the parsed config before any data.
    fn init(config: &Json) -> Result<Self>;
    /// One input batch -> the output batch (`Status::NoOutput` when everything is filtered).
    fn process(&mut self, input: &Batch, out: &mut Output) -> Result;
    /// End of stream (exported only with `processor!(T, finish)`): emit what is held.
    fn finish(&mut self, _out: &mut Output) -> Result {
        Ok(Status::NoOutput)
    }
}

/// A source plugin.
pub trait Source: Sized + 'static {
    fn init(config: &Json) -> Result<Self>;
    /// The next batch of at most `max_rows` rows, or `Status::NoOutput` at the end.
    fn read(&mut self, max_rows: usize, out: &mut Output) -> Result;
}

/// Log levels of `dataflare.log`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Trace = 0,
    Debug = 1,
    Info = 2,
    Warn = 3,
    Error = 4,
}

/// Log a message to the task log (prefixed with the plugin name by the host).
pub fn log(level: Level, msg: &str) {
    abi::log(level as i32, msg)
}
pub fn log_trace(msg: &str) {
    log(Level::Trace, msg)
}
pub fn log_debug(msg: &str) {
    log(Level::Debug, msg)
}
pub fn log_info(msg: &str) {
    log(Level::Info, msg)
}
pub fn log_warn(msg: &str) {
    log(Level::Warn, msg)
}
pub fn log_error(msg: &str) {
    log(Level::Error, msg)
}
/// Add to a plugin counter (merged into the run's metrics).
pub fn counter_add(name: &str, value: i64) {
    abi::counter_add(name, value)
}
/// Record a value in a plugin histogram.
pub fn histogram_record(name: &str, value: f64) {
    abi::histogram_record(name, value)
}

/// A global for single-threaded wasm (one instance = one thread).
pub struct Global<T>(UnsafeCell<T>);
unsafe impl<T> Sync for Global<T> {}
impl<T> Global<T> {
    pub const fn new(v: T) -> Global<T> {
        Global(UnsafeCell::new(v))
    }
    /// # Safety
    /// Only from the export glue (wasm is single-threaded; calls do not nest).
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn get(&self) -> &mut T {
        &mut *self.0.get()
    }
}

/// The runtime behind the exports `processor!` / `source!` generate. Not for plugin code.
#[doc(hidden)]
#[allow(clippy::not_unsafe_ptr_arg_deref)] // host addresses, valid by the abi's call protocol
pub mod rt {
    use super::*;
    use crate::abi::{ArrowArray, ArrowSchema};

    struct State {
        /// The per-call arena: everything handed to the host, dropped at the next call.
        arena: Vec<Box<dyn Any>>,
        error: Vec<u8>,
        hook_installed: bool,
    }
    static STATE: Global<State> = Global::new(State { arena: Vec::new(), error: Vec::new(), hook_installed: false });

    fn begin_call() -> &'static mut State {
        let st = unsafe { STATE.get() };
        st.arena.clear();
        st.error.clear();
        if !st.hook_installed {
            st.hook_installed = true;
            std::panic::set_hook(Box::new(|info| abi::log(Level::Error as i32, &format!("plugin panicked: {}", info))));
        }
        st
    }

    fn fail(st: &mut State, e: Error, what: &str) -> i32 {
        let status = if e.status < 0 { e.status } else { STATUS_ERROR };
        st.error = if e.message.is_empty() { format!("{} returned status {}", what, status) } else { e.message }.into_bytes();
        status
    }

    fn finish_output(st: &mut State, r: Result, out: Output, os: *mut ArrowSchema, oa: *mut ArrowArray, what: &str) -> i32 {
        match r {
            Err(e) => fail(st, e, what),
            Ok(Status::NoOutput) => STATUS_NO_OUTPUT,
            Ok(Status::Ok) => match out.export(os, oa) {
                Ok(ex) => {
                    st.arena.push(Box::new(ex));
                    STATUS_OK
                }
                Err(e) => fail(st, e, what),
            },
        }
    }

    pub fn alloc(size: u32, align: u32) -> *mut u8 {
        let align = (align as usize).max(1);
        match std::alloc::Layout::from_size_align((size as usize).max(1), align) {
            Ok(l) => unsafe { std::alloc::alloc(l) },
            Err(_) => core::ptr::null_mut(),
        }
    }

    pub fn free(ptr: *mut u8, size: u32, align: u32) {
        if let Ok(l) = std::alloc::Layout::from_size_align((size as usize).max(1), (align as usize).max(1)) {
            if !ptr.is_null() {
                unsafe { std::alloc::dealloc(ptr, l) }
            }
        }
    }

    pub fn last_error(out: *mut u32) {
        let st = unsafe { STATE.get() };
        unsafe {
            *out = st.error.as_ptr() as usize as u32;
            *out.add(1) = st.error.len() as u32;
        }
    }

    pub fn init<P: 'static>(slot: &Global<Option<P>>, init: fn(&Json) -> Result<P>, ptr: *const u8, len: u32) -> i32 {
        let st = begin_call();
        let text: &[u8] = if len == 0 { b"{}" } else { unsafe { core::slice::from_raw_parts(ptr, len as usize) } };
        let cfg = match Json::parse(text) {
            Ok(c) => c,
            Err(e) => return fail(st, Error::config(format!("invalid config JSON: {}", e)), "dataflare_init"),
        };
        match init(&cfg) {
            Ok(p) => {
                unsafe { *slot.get() = Some(p) };
                STATUS_OK
            }
            Err(e) => fail(st, e, "dataflare_init"),
        }
    }

    fn plugin<P>(slot: &Global<Option<P>>) -> Option<&'static mut P> {
        unsafe { (*(slot as *const Global<Option<P>>)).get().as_mut() }
    }

    pub fn process<P: Processor>(
        slot: &Global<Option<P>>,
        is: *const ArrowSchema,
        ia: *const ArrowArray,
        os: *mut ArrowSchema,
        oa: *mut ArrowArray,
    ) -> i32 {
        let st = begin_call();
        let p = match plugin(slot) {
            Some(p) => p,
            None => return fail(st, Error::plugin("dataflare_process called before a successful init"), "dataflare_process"),
        };
        let batch = match unsafe { input::import_batch(is, ia) } {
            Ok(b) => b,
            Err(e) => return fail(st, e, "dataflare_process"),
        };
        let mut out = Output::new(batch.num_rows);
        let r = p.process(&batch, &mut out);
        finish_output(st, r, out, os, oa, "dataflare_process")
    }

    pub fn finish<P: Processor>(slot: &Global<Option<P>>, os: *mut ArrowSchema, oa: *mut ArrowArray) -> i32 {
        let st = begin_call();
        let p = match plugin(slot) {
            Some(p) => p,
            None => return fail(st, Error::plugin("dataflare_finish called before a successful init"), "dataflare_finish"),
        };
        let mut out = Output::new(0);
        let r = p.finish(&mut out);
        finish_output(st, r, out, os, oa, "dataflare_finish")
    }

    pub fn read<P: Source>(slot: &Global<Option<P>>, max_rows: i32, os: *mut ArrowSchema, oa: *mut ArrowArray) -> i32 {
        let st = begin_call();
        let p = match plugin(slot) {
            Some(p) => p,
            None => return fail(st, Error::plugin("dataflare_read called before a successful init"), "dataflare_read"),
        };
        let mut out = Output::new(0);
        let r = p.read(max_rows.max(0) as usize, &mut out);
        finish_output(st, r, out, os, oa, "dataflare_read")
    }
}

#[doc(hidden)]
#[macro_export]
macro_rules! __dataflare_common_exports {
    ($t:ty, $init:expr) => {
        static __DATAFLARE_PLUGIN: $crate::Global<Option<$t>> = $crate::Global::new(None);

        #[no_mangle]
        pub extern "C" fn dataflare_abi_version() -> i32 {
            $crate::ABI_VERSION
        }
        #[no_mangle]
        pub extern "C" fn dataflare_alloc(size: u32, align: u32) -> *mut u8 {
            $crate::rt::alloc(size, align)
        }
        #[no_mangle]
        pub extern "C" fn dataflare_free(ptr: *mut u8, size: u32, align: u32) {
            $crate::rt::free(ptr, size, align)
        }
        #[no_mangle]
        pub extern "C" fn dataflare_last_error(out: *mut u32) {
            $crate::rt::last_error(out)
        }
        #[no_mangle]
        pub extern "C" fn dataflare_init(ptr: *const u8, len: u32) -> i32 {
            $crate::rt::init(&__DATAFLARE_PLUGIN, $init, ptr, len)
        }
    };
}

/// Export a [`Processor`]: `processor!(MyPlugin)`, or `processor!(MyPlugin, finish)` to also
/// export `dataflare_finish` (only then is the plugin stateful for the host: a plugin without
/// it may run on parallel workers and resume).
#[macro_export]
macro_rules! processor {
    ($t:ty) => {
        $crate::__dataflare_common_exports!($t, <$t as $crate::Processor>::init);
        #[no_mangle]
        pub extern "C" fn dataflare_process(
            is: *const $crate::abi::ArrowSchema,
            ia: *const $crate::abi::ArrowArray,
            os: *mut $crate::abi::ArrowSchema,
            oa: *mut $crate::abi::ArrowArray,
        ) -> i32 {
            $crate::rt::process(&__DATAFLARE_PLUGIN, is, ia, os, oa)
        }
    };
    ($t:ty, finish) => {
        $crate::processor!($t);
        #[no_mangle]
        pub extern "C" fn dataflare_finish(os: *mut $crate::abi::ArrowSchema, oa: *mut $crate::abi::ArrowArray) -> i32 {
            $crate::rt::finish(&__DATAFLARE_PLUGIN, os, oa)
        }
    };
}

/// Export a [`Source`]: `source!(MyGenerator)`.
#[macro_export]
macro_rules! source {
    ($t:ty) => {
        $crate::__dataflare_common_exports!($t, <$t as $crate::Source>::init);
        #[no_mangle]
        pub extern "C" fn dataflare_read(max_rows: i32, os: *mut $crate::abi::ArrowSchema, oa: *mut $crate::abi::ArrowArray) -> i32 {
            $crate::rt::read(&__DATAFLARE_PLUGIN, max_rows, os, oa)
        }
    };
}
