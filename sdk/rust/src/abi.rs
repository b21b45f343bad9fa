//! The Arrow C Data Interface structs of `dataflare-abi 1` and the host imports (docs/abi.md).
//!
//! On wasm32 pointers are 32-bit, so these `repr(C)` structs have exactly the abi's layouts
//! (ArrowSchema 48 bytes, ArrowArray 64 bytes, 8-byte aligned).

/// `ArrowSchema` of the C Data Interface.
#[repr(C)]
pub struct ArrowSchema {
    pub format: *const u8,
    pub name: *const u8,
    pub metadata: *const u8,
    pub flags: i64,
    pub n_children: i64,
    pub children: *const *const ArrowSchema,
    pub dictionary: *const ArrowSchema,
    pub release: usize,
    pub private_data: usize,
}

/// `ArrowArray` of the C Data Interface.
#[repr(C)]
pub struct ArrowArray {
    pub length: i64,
    pub null_count: i64,
    pub offset: i64,
    pub n_buffers: i64,
    pub n_children: i64,
    pub buffers: *const *const u8,
    pub children: *const *const ArrowArray,
    pub dictionary: *const ArrowArray,
    pub release: usize,
    pub private_data: usize,
}

#[cfg(target_arch = "wasm32")]
const _: () = {
    assert!(core::mem::size_of::<ArrowSchema>() == 48);
    assert!(core::mem::size_of::<ArrowArray>() == 64);
    assert!(core::mem::align_of::<ArrowArray>() == 8);
};

/// `ARROW_FLAG_NULLABLE`.
pub const FLAG_NULLABLE: i64 = 2;

#[cfg(target_arch = "wasm32")]
#[link(wasm_import_module = "dataflare")]
extern "C" {
    #[link_name = "log"]
    fn host_log(level: i32, ptr: *const u8, len: i32);
    #[link_name = "counter_add"]
    fn host_counter_add(name: *const u8, len: i32, value: i64);
    #[link_name = "histogram_record"]
    fn host_histogram_record(name: *const u8, len: i32, value: f64);
}

/// Host `dataflare.log`.
pub fn log(level: i32, msg: &str) {
    #[cfg(target_arch = "wasm32")]
    unsafe {
        host_log(level, msg.as_ptr(), msg.len() as i32)
    }
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("[{}] {}", level, msg);
}

/// Host `dataflare.counter_add`.
pub fn counter_add(name: &str, value: i64) {
    #[cfg(target_arch = "wasm32")]
    unsafe {
        host_counter_add(name.as_ptr(), name.len() as i32, value)
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = (name, value);
}

/// Host `dataflare.histogram_record`.
pub fn histogram_record(name: &str, value: f64) {
    #[cfg(target_arch = "wasm32")]
    unsafe {
        host_histogram_record(name.as_ptr(), name.len() as i32, value)
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = (name, value);
}
