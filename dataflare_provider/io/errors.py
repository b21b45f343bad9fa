"""Classify I/O failures: a flaky network read is worth a retry, a missing directory is not."""

from __future__ import annotations

import errno

from dataflare_provider.errors import DataFlareError, DataFlareIOError, PermanentError

PERMANENT_ERRNOS = frozenset(
    {errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.EACCES, errno.EPERM, errno.EROFS,
     errno.ENAMETOOLONG, errno.EINVAL}
)  # fmt: skip


class PermanentIOError(PermanentError):
    """An I/O failure that will happen again on retry (missing path, no permission...)."""


def io_error(message: str, exc: OSError) -> DataFlareError:
    """``message`` as a transient :class:`DataFlareIOError`, or a :class:`PermanentIOError` when
    ``exc``'s errno says retrying cannot help (a retry of those only wastes the task's tries)."""
    cls = PermanentIOError if exc.errno in PERMANENT_ERRNOS else DataFlareIOError
    return cls(f"{message}: {exc}", errno=errno.errorcode.get(exc.errno or 0))
