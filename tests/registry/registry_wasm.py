"""Tiny real wasm modules for registry tests, built from WAT with wasmtime.wat2wasm.

``abi_module(kind)`` exports the dataflare-abi 1 functions of ``kind``; ``process`` passes its input
through (the output structs are copies of the input structs, which abi 1 allows). A custom section
named ``dataflare.test`` carries ``salt`` so each test can get a module with its own digest.
"""

from __future__ import annotations

from pathlib import Path

import wasmtime

_ALLOC = """
  (global $heap (mut i32) (i32.const 4096))
  (func (export "dataflare_alloc") (param $size i32) (param $align i32) (result i32)
    (local $p i32) (local $end i32) (local $have i32)
    (if (i32.eqz (local.get $align)) (then (local.set $align (i32.const 1))))
    (local.set $p (i32.and
      (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
      (i32.sub (i32.const 0) (local.get $align))))
    (local.set $end (i32.add (local.get $p) (local.get $size)))
    (local.set $have (i32.mul (memory.size) (i32.const 65536)))
    (if (i32.gt_u (local.get $end) (local.get $have))
      (then
        (if (i32.eq (memory.grow (i32.add (i32.const 1) (i32.shr_u
              (i32.sub (local.get $end) (local.get $have)) (i32.const 16)))) (i32.const -1))
          (then (return (i32.const 0))))))
    (global.set $heap (local.get $end))
    (local.get $p))
  (func (export "dataflare_free") (param i32 i32 i32))
"""

_COMMON = """
  (memory (export "memory") {pages})
  (func (export "dataflare_abi_version") (result i32) (i32.const {abi}))
  (func (export "dataflare_init") (param i32 i32) (result i32) (i32.const 0))
  (func (export "dataflare_last_error") (param $out i32)
    (i32.store (local.get $out) (i32.const 0))
    (i32.store offset=4 (local.get $out) (i32.const 0)))
"""

_PROCESS = """
  (func (export "dataflare_process") (param $is i32) (param $ia i32) (param $os i32) (param $oa i32)
    (result i32)
    (memory.copy (local.get $os) (local.get $is) (i32.const 48))
    (memory.copy (local.get $oa) (local.get $ia) (i32.const 64))
    (i32.const 0))
"""

_READ = """
  (func (export "dataflare_read") (param i32 i32 i32) (result i32) (i32.const 1))
"""


def abi_module(
    kind: str = "processor",
    *,
    salt: str = "",
    imports: tuple[tuple[str, str], ...] = (),
    abi: int = 1,
    pages: int = 1,
    drop_exports: tuple[str, ...] = (),
) -> bytes:
    """A dataflare-abi module of ``kind`` as wasm bytes."""
    parts = ["(module"]
    for i, (mod, name) in enumerate(imports):
        parts.append(f'  (import "{mod}" "{name}" (func $imp{i} (param i32 i32 i32)))')
    parts.append(_COMMON.format(pages=pages, abi=abi))
    parts.append(_ALLOC)
    parts.append(_READ if kind == "source" else _PROCESS)
    parts.append(")")
    wat = "\n".join(parts)
    for name in drop_exports:
        wat = wat.replace(f'(export "{name}")', "")
    wasm = bytes(wasmtime.wat2wasm(wat))
    if salt:
        payload = b"\x0edataflare.test" + salt.encode()
        wasm += b"\x00" + _leb(len(payload)) + payload
    return wasm


def _leb(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def write_plugin(
    dir: Path,
    name: str,
    version: str,
    *,
    namespace: str = "dataflare",
    kind: str = "processor",
    requires: dict[str, str] | None = None,
    capabilities: tuple[str, ...] = (),
    salt: str | None = None,
    wasm: bytes | None = None,
    extra: str = "",
) -> tuple[Path, Path]:
    """Write ``NAME-VERSION.wasm`` and ``NAME-VERSION.toml`` into ``dir``; returns both paths."""
    dir.mkdir(parents=True, exist_ok=True)
    wasm_path = dir / f"{name}-{version}.wasm"
    wasm_path.write_bytes(wasm if wasm is not None else abi_module(kind, salt=salt or f"{namespace}/{name}:{version}"))
    group = {"processor": "processors/transform/json", "source": "sources/generate",
             "sink": "sinks/encode/json"}[kind]
    req = "".join(f'"{k}" = "{v}"\n' for k, v in (requires or {}).items())
    caps = ", ".join(f'"{c}"' for c in capabilities)
    toml = f'''namespace = "{namespace}"
name = "{name}"
version = "{version}"
kind = "{kind}"
description = "Test plugin {name}"
license = "Apache-2.0"
authors = ["DataFlare tests"]
categories = ["{group}"]
keywords = ["test", "{name}"]
capabilities = [{caps}]
{extra}
[config_schema]
type = "object"
additionalProperties = false
[config_schema.properties.separator]
type = "string"

[limits]
memory_mb = 16

[requires]
{req}'''
    toml_path = dir / f"{name}-{version}.toml"
    toml_path.write_text(toml)
    return wasm_path, toml_path
