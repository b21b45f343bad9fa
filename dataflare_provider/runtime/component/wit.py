"""Names from ``wit/dataflare.wit`` the host relies on, and the component sandbox policy."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

World = Literal["processor", "source", "destination"]

PACKAGE = "dataflare:core"
VERSION = "1.0.0"

WIT_DIR = Path(__file__).resolve().parents[3] / "wit"
"""The WIT package directory of this checkout."""


def interface(name: str) -> str:
    """Fully qualified interface name, e.g. ``dataflare:core/data-processor@1.0.0``."""
    return f"{PACKAGE}/{name}@{VERSION}"


EXPORTS: dict[World, str] = {
    "processor": interface("data-processor"),
    "source": interface("data-source"),
    "destination": interface("data-destination"),
}
LOGGING = interface("logging")
METRICS = interface("metrics")
TYPES = interface("types")
HOST_INTERFACES = (LOGGING, METRICS, TYPES)

# WASI preview 2 interfaces a component may import. The store's WASI context has no preopened
# directories, no environment, no arguments, no stdin, and wasmtime's default socket policy denies
# every address and name lookup, so these give clocks, random, stdout/stderr (to the log) and
# nothing else. componentize-py components import all of them (including sockets) unconditionally.
WASI_ALLOWED = re.compile(
    r"^wasi:(io/(poll|error|streams)|clocks/(monotonic-clock|wall-clock)"
    r"|random/(random|insecure|insecure-seed)"
    r"|cli/(stdout|stderr|stdin|environment|exit|terminal-input|terminal-output"
    r"|terminal-stdin|terminal-stdout|terminal-stderr)"
    r"|filesystem/(types|preopens)"
    r"|sockets/(network|instance-network|udp|udp-create-socket|tcp|tcp-create-socket"
    r"|ip-name-lookup))@0\.2\.\d+$"
)


def import_allowed(name: str) -> bool:
    """Whether a component import ``name`` is inside the sandbox."""
    return name in HOST_INTERFACES or WASI_ALLOWED.match(name) is not None
