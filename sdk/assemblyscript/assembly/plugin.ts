// Plugin base classes, registration, and the runtime behind the exports (exports/*.ts).

import { JSON, parseError } from "./json";
import { Batch, importBatch, importError } from "./batch";
import { Output } from "./output";
import { arenaReset } from "./arena";
import { Status, error, clearError, hasError, lastError } from "./status";

/** A processor (or sink) plugin: override init and process; finish is exported only when the
 *  plugin also re-exports `@dataflare/sdk/exports/finish`. Each returns a Status code. */
export abstract class Processor {
  /** Called once with the parsed config before any data. */
  abstract init(config: JSON): i32;
  /** One input batch -> the output batch (Status.NO_OUTPUT if everything is filtered). */
  abstract process(input: Batch, out: Output): i32;
  /** End of stream: emit what is held (stateful plugins). */
  finish(out: Output): i32 { return Status.NO_OUTPUT; }
}

/** A source plugin. */
export abstract class Source {
  abstract init(config: JSON): i32;
  /** The next batch of at most maxRows rows, or Status.NO_OUTPUT at the end of the stream. */
  abstract read(maxRows: i32, out: Output): i32;
}

let processor: Processor | null = null;
let source: Source | null = null;
/** The parsed config (kept for the instance's lifetime). */
let config: JSON | null = null;

/** Make `p` the plugin (call it at the top level of the plugin's entry file). */
export function registerProcessor(p: Processor): void { processor = p; }
/** Make `s` the plugin. */
export function registerSource(s: Source): void { source = s; }

function beginCall(): void {
  arenaReset();
  clearError();
}

function endCall(rc: i32, what: string): i32 {
  if (rc < 0 && !hasError()) error(rc, what + " returned status " + rc.toString());
  return rc;
}

/** Host allocations: address -> block start (for alignments above the allocator's 16). */
const hostBlocks = new Map<usize, usize>();

export function runAlloc(size: u32, align: u32): usize {
  if (align <= 16) return heap.alloc(<usize>max(size, 1));
  const raw = heap.alloc(<usize>(size + align));
  const p = (raw + <usize>align - 1) & ~(<usize>align - 1);
  hostBlocks.set(p, raw);
  return p;
}

export function runFree(p: usize, size: u32, align: u32): void {
  if (p == 0) return;
  if (align <= 16) { heap.free(p); return; }
  if (hostBlocks.has(p)) { heap.free(hostBlocks.get(p)); hostBlocks.delete(p); }
}

export function runLastError(out: usize): void { lastError(out); }

export function runInit(ptr: usize, len: u32): i32 {
  beginCall();
  const cfg = len == 0 ? JSON.parse("{}") : JSON.parseBytes(ptr, <i32>len);
  if (cfg === null) return error(Status.INVALID_CONFIG, "invalid config JSON: " + parseError);
  config = cfg;
  let rc: i32;
  if (processor !== null) rc = processor!.init(cfg);
  else if (source !== null) rc = source!.init(cfg);
  else rc = error(Status.ERROR, "no plugin registered: call registerProcessor or registerSource in the entry file");
  return endCall(rc, "dataflare_init");
}

export function runProcess(is: usize, ia: usize, os: usize, oa: usize): i32 {
  beginCall();
  if (processor === null) return error(Status.ERROR, "no processor registered");
  const input = importBatch(is, ia);
  if (input === null) return importError;
  const out = new Output(input.numRows);
  let rc = processor!.process(input, out);
  if (rc == Status.OK) rc = out.exportTo(os, oa);
  return endCall(rc, "dataflare_process");
}

export function runFinish(os: usize, oa: usize): i32 {
  beginCall();
  if (processor === null) return error(Status.ERROR, "no processor registered");
  const out = new Output(0);
  let rc = processor!.finish(out);
  if (rc == Status.OK) rc = out.exportTo(os, oa);
  return endCall(rc, "dataflare_finish");
}

export function runRead(maxRows: i32, os: usize, oa: usize): i32 {
  beginCall();
  if (source === null) return error(Status.ERROR, "no source registered");
  const out = new Output(0);
  let rc = source!.read(max(maxRows, 0), out);
  if (rc == Status.OK) rc = out.exportTo(os, oa);
  return endCall(rc, "dataflare_read");
}
