// Status codes and error reporting (dataflare_last_error).

export namespace Status {
  /** Output produced. */
  export const OK: i32 = 0;
  /** No output: everything filtered, nothing to flush, end of stream. */
  export const NO_OUTPUT: i32 = 1;
  /** Plugin error. */
  export const ERROR: i32 = -1;
  /** Invalid config. */
  export const INVALID_CONFIG: i32 = -2;
  /** Unsupported input schema. */
  export const UNSUPPORTED_SCHEMA: i32 = -3;
}

let message: ArrayBuffer | null = null;

/** Store `msg` for dataflare_last_error and return `status`: `return error(Status.INVALID_CONFIG, "...")`. */
export function error(status: i32, msg: string): i32 {
  message = String.UTF8.encode(msg);
  return status;
}

export function clearError(): void { message = null; }
export function hasError(): bool { return message !== null; }

/** Write `{u32 ptr, u32 len}` of the message at `out`. */
export function lastError(out: usize): void {
  const m = message;
  if (m === null) { store<u32>(out, 0); store<u32>(out, 0, 4); return; }
  store<u32>(out, <u32>changetype<usize>(m));
  store<u32>(out, <u32>m.byteLength, 4);
}
