// Host imports (module `dataflare`, docs/abi.md §3): logging and metrics.

@external("dataflare", "log")
declare function host_log(level: i32, ptr: usize, len: i32): void;
@external("dataflare", "counter_add")
declare function host_counter_add(name: usize, len: i32, value: i64): void;
@external("dataflare", "histogram_record")
declare function host_histogram_record(name: usize, len: i32, value: f64): void;

export const LOG_TRACE: i32 = 0;
export const LOG_DEBUG: i32 = 1;
export const LOG_INFO: i32 = 2;
export const LOG_WARN: i32 = 3;
export const LOG_ERROR: i32 = 4;

/** Send a message to the task log (the host prefixes the plugin name). */
export function log(level: i32, message: string): void {
  const buf = String.UTF8.encode(message);
  host_log(level, changetype<usize>(buf), buf.byteLength);
}
export function logTrace(message: string): void { log(LOG_TRACE, message); }
export function logDebug(message: string): void { log(LOG_DEBUG, message); }
export function logInfo(message: string): void { log(LOG_INFO, message); }
export function logWarn(message: string): void { log(LOG_WARN, message); }
export function logError(message: string): void { log(LOG_ERROR, message); }

/** Add `value` to the plugin counter `name` (merged into the run's metrics). */
export function counterAdd(name: string, value: i64): void {
  const buf = String.UTF8.encode(name);
  host_counter_add(changetype<usize>(buf), buf.byteLength, value);
}

/** Record `value` in the plugin histogram `name`. */
export function histogramRecord(name: string, value: f64): void {
  const buf = String.UTF8.encode(name);
  host_histogram_record(changetype<usize>(buf), buf.byteLength, value);
}

/** `abort` replacement (asc --use abort=...): log the message through dataflare.log, then trap,
 *  so the module imports nothing but `dataflare.*`. */
export function dataflareAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  let text = "abort: " + (message !== null ? message : "(no message)");
  if (fileName !== null) text += " at " + fileName + ":" + line.toString() + ":" + column.toString();
  log(LOG_ERROR, text);
  unreachable();
}
