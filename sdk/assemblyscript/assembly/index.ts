// DataFlare AssemblyScript guest SDK for dataflare-abi 1 (docs/abi.md, docs/sdk-assemblyscript.md).
//
// Concepts mirror the C SDK (sdk/c/dataflare.h): a Processor with init(config) /
// process(batch, output) / optional finish(output), or a Source with init / read(maxRows,
// output); JSON config; Batch / Column read-only views; Output / Builder (pass zero-copy, add,
// copy, take, error column); error(status, message); log / metrics; a per-call arena.

export * from "./types";
export * from "./json";
export { Column, Batch } from "./batch";
export * from "./output";
export * from "./status";
export * from "./host";
export { Processor, Source, registerProcessor, registerSource } from "./plugin";
export { arenaAlloc, arenaCalloc } from "./arena";
