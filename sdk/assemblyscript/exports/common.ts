// The exports every plugin has (re-exported by processor.ts and source.ts).
import { runAlloc, runFree, runInit, runLastError } from "../assembly/plugin";

export function dataflare_abi_version(): i32 { return 1; }
export function dataflare_alloc(size: u32, align: u32): usize { return runAlloc(size, align); }
export function dataflare_free(ptr: usize, size: u32, align: u32): void { runFree(ptr, size, align); }
export function dataflare_init(ptr: usize, len: u32): i32 { return runInit(ptr, len); }
export function dataflare_last_error(out: usize): void { runLastError(out); }
