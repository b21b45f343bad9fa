"""Process-wide settings read from the environment."""

from __future__ import annotations

import os
from pathlib import Path


def dataflare_home() -> Path:
    """Root of DataFlare's on-disk state: ``$DATAFLARE_HOME``, default ``~/.cache/dataflare``."""
    env = os.environ.get("DATAFLARE_HOME")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "dataflare"


def aot_cache_dir() -> Path:
    """Where compiled (AOT) artifacts are kept."""
    return dataflare_home() / "aot"


def local_registry_dir() -> Path:
    """The embedded default registry: an OCI image-layout directory."""
    return dataflare_home() / "registry"
