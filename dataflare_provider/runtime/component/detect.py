"""Telling a component from a core module by the binary header.

Both start with ``\\0asm``; the next four bytes are a u16 version and a u16 *layer*: layer 0 is a
core module (version 1), layer 1 a component (version 0x0d during the component-model preview).
"""

from __future__ import annotations

MAGIC = b"\0asm"


def binary_layer(wasm: bytes) -> int | None:
    """0 for a core module, 1 for a component, ``None`` if ``wasm`` is not a wasm binary."""
    if len(wasm) < 8 or wasm[:4] != MAGIC:
        return None
    return int.from_bytes(wasm[6:8], "little")


def is_component(wasm: bytes) -> bool:
    """Whether ``wasm`` is a component-model binary."""
    return binary_layer(wasm) == 1
