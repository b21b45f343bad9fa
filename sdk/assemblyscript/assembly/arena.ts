// The per-call arena: raw (non-GC) memory for everything handed to the host, freed at the start
// of the next call into the instance (docs/abi.md §2). Never returns 0: allocation failure traps.

let blocks = new Array<usize>();

/** `size` bytes (16-byte aligned), valid until the next call. */
export function arenaAlloc(size: i32): usize {
  const p = heap.alloc(<usize>max(size, 1));
  blocks.push(p);
  return p;
}

/** `size` zeroed bytes. */
export function arenaCalloc(size: i32): usize {
  const p = arenaAlloc(size);
  memory.fill(p, 0, <usize>max(size, 1));
  return p;
}

/** A copy of `p` (`oldSize` bytes) with room for `newSize` bytes. */
export function arenaGrow(p: usize, oldSize: i32, newSize: i32): usize {
  const q = arenaAlloc(newSize);
  if (p != 0 && oldSize > 0) memory.copy(q, p, <usize>min(oldSize, newSize));
  return q;
}

/** A NUL-terminated UTF-8 copy of `s`. */
export function arenaCString(s: string): usize {
  const n = String.UTF8.byteLength(s, false);
  const p = arenaAlloc(n + 1);
  String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, p, true);
  return p;
}

/** Free everything of the previous call. */
export function arenaReset(): void {
  for (let i = 0; i < blocks.length; i++) heap.free(unchecked(blocks[i]));
  blocks.length = 0;
}
