"""The host side of the sandbox: one linker per engine with WASI preview 1 and the ``dataflare``
host functions, and the capture of guest stdout/stderr.

Host functions are defined once per engine and shared by every instance; they find the calling
instance through a thread-local set around each guest call (an instance runs on one thread at a
time), so instantiation needs no per-instance linker.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from typing import Protocol

import wasmtime

from dataflare_provider.runtime.engine import per_engine
from dataflare_provider.runtime.sandbox import HOST_MODULE

GUEST_LEVELS = {
    0: logging.DEBUG,  # trace
    1: logging.DEBUG,
    2: logging.INFO,
    3: logging.WARNING,
    4: logging.ERROR,
}
MAX_MESSAGE = 64 * 1024


class HostContext(Protocol):
    """What host functions need from the instance that called them."""

    def guest_bytes(self, ptr: int, length: int) -> bytes | None: ...
    def guest_log(self, level: int, message: str) -> None: ...
    def guest_counter(self, name: str, value: int) -> None: ...
    def guest_histogram(self, name: str, value: float) -> None: ...


_current = threading.local()


def set_current(ctx: HostContext | None) -> None:
    """Declare which instance the guest code about to run on this thread belongs to."""
    _current.ctx = ctx


def _ctx() -> HostContext | None:
    return getattr(_current, "ctx", None)


def _text(ctx: HostContext, ptr: int, length: int) -> str | None:
    data = ctx.guest_bytes(ptr & 0xFFFFFFFF, min(length & 0xFFFFFFFF, MAX_MESSAGE))
    return None if data is None else data.decode("utf-8", errors="replace")


def _log(level: int, ptr: int, length: int) -> None:
    ctx = _ctx()
    if ctx is not None:
        text = _text(ctx, ptr, length)
        ctx.guest_log(level, text if text is not None else "(log message outside guest memory)")


def _counter_add(ptr: int, length: int, value: int) -> None:
    ctx = _ctx()
    if ctx is not None and (name := _text(ctx, ptr, length)) is not None:
        ctx.guest_counter(name, value)


def _histogram_record(ptr: int, length: int, value: float) -> None:
    ctx = _ctx()
    if ctx is not None and (name := _text(ctx, ptr, length)) is not None:
        ctx.guest_histogram(name, value)


_I32 = wasmtime.ValType.i32()
_I64 = wasmtime.ValType.i64()
_F64 = wasmtime.ValType.f64()


@per_engine
def linker_for(engine: wasmtime.Engine) -> wasmtime.Linker:
    """The shared linker of ``engine``: WASI preview 1 plus the ``dataflare`` host functions."""
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    linker.define_func(HOST_MODULE, "log", wasmtime.FuncType([_I32] * 3, []), _log)
    linker.define_func(
        HOST_MODULE, "counter_add", wasmtime.FuncType([_I32, _I32, _I64], []), _counter_add
    )
    linker.define_func(
        HOST_MODULE, "histogram_record", wasmtime.FuncType([_I32, _I32, _F64], []),
        _histogram_record,
    )  # fmt: skip
    return linker


class LineLogger:
    """Turns a guest's stdout/stderr byte stream into log lines."""

    def __init__(self, logger: logging.Logger, prefix: str, level: int) -> None:
        self._logger = logger
        self._prefix = prefix
        self._level = level
        self._pending = b""

    def __call__(self, data: bytes) -> None:
        self._pending += data
        *lines, self._pending = self._pending.split(b"\n")
        if len(self._pending) > MAX_MESSAGE:
            lines.append(self._pending)
            self._pending = b""
        for line in lines:
            self._logger.log(self._level, "%s %s", self._prefix, line.decode(errors="replace"))

    def flush(self) -> None:
        if self._pending:
            self(b"\n")


class OutputCapture:
    """A guest output stream (stdout or stderr) captured through an unlinked temporary file.

    wasmtime-py can also call a Python function for guest output, but it does so from a tokio
    worker thread, and such a thread is killed mid-Rust-frame when the interpreter exits (an abort
    with "panic in a function that cannot unwind"). A file needs no callback: the host reads what
    was appended after each guest call (one ``fstat`` when nothing was written).
    """

    def __init__(self, lines: LineLogger) -> None:
        self._lines = lines
        fd, self.path = tempfile.mkstemp(prefix="dataflare-guest-", suffix=".log")
        self._fd: int | None = fd
        self._pos = 0

    def attached(self) -> None:
        """Call once wasmtime has opened the file: it is unlinked, only the fds remain."""
        os.unlink(self.path)

    def poll(self) -> None:
        """Log whatever the guest wrote since the last poll."""
        fd = self._fd
        if fd is None:
            return
        size = os.fstat(fd).st_size
        if size > self._pos:
            data = os.pread(fd, min(size - self._pos, 16 * MAX_MESSAGE), self._pos)
            self._pos += len(data)
            self._lines(data)

    def close(self) -> None:
        self.poll()
        self._lines.flush()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __del__(self) -> None:
        if self._fd is not None:
            os.close(self._fd)


def sandbox_wasi(stdout: OutputCapture, stderr: OutputCapture) -> wasmtime.WasiConfig:
    """A WASI context with no files, no environment, no arguments; output goes to the log."""
    wasi = wasmtime.WasiConfig()
    wasi.stdout_file = stdout.path
    wasi.stderr_file = stderr.path
    stdout.attached()
    stderr.attached()
    return wasi
