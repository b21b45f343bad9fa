"""Map DataFlare failures onto Dagster retries by their ``failure_class`` (no string matching).

| class           | raised in the asset as                    | effect                            |
|-----------------|-------------------------------------------|-----------------------------------|
| transient       | the error itself                          | retried under the ``RetryPolicy`` |
| permanent       | ``Failure(allow_retries=False)``          | one attempt, reason in description|
| deterministic   | ``Failure(allow_retries=False)``, or the  | not retried unless                |
|                 | error itself with ``retry_deterministic`` | ``retry_deterministic=True``      |
| data            | ``Failure(allow_retries=False)``          | dead-letter kept, check failed    |
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from dataflare_provider.errors import DataFlareError, FailureClass


def failure_metadata(exc: DataFlareError) -> dict[str, dg.MetadataValue]:
    """The error's class and context as metadata of the step failure."""
    meta: dict[str, dg.MetadataValue] = {
        "dataflare/failure_class": dg.MetadataValue.text(exc.failure_class.value),
        "dataflare/error": dg.MetadataValue.text(type(exc).__name__),
    }
    for key, value in exc.context.items():
        meta[f"dataflare/{key}"] = (
            dg.MetadataValue.int(value)
            if isinstance(value, int) and not isinstance(value, bool)
            else dg.MetadataValue.text(str(value))
        )
    return meta


def is_retried(exc: DataFlareError, *, retry_deterministic: bool = False) -> bool:
    """Whether the asset's ``RetryPolicy`` may retry ``exc``."""
    return exc.failure_class is FailureClass.TRANSIENT or (
        retry_deterministic and exc.failure_class is FailureClass.DETERMINISTIC
    )


def as_dagster_error(exc: DataFlareError, *, retry_deterministic: bool = False) -> BaseException:
    """What to raise in an asset for ``exc``: the error itself when it may be retried, else a
    ``Failure`` that Dagster does not retry, with the reason in its description."""
    if is_retried(exc, retry_deterministic=retry_deterministic):
        return exc
    what = {
        FailureClass.PERMANENT: "permanent failure, not retried",
        FailureClass.DETERMINISTIC: "the plugin fails the same way on this input, not retried",
        FailureClass.DATA: "too many rejected rows, not retried",
        FailureClass.TRANSIENT: "transient failure",
    }[exc.failure_class]
    return dg.Failure(
        description=f"{type(exc).__name__} ({what}): {exc}",
        metadata=failure_metadata(exc),
        allow_retries=False,
    )


@contextmanager
def dagster_errors(
    *, retry_deterministic: bool = False, logger: logging.Logger | None = None
) -> Iterator[None]:
    """Re-raise DataFlare errors of the block as :func:`as_dagster_error` says."""
    try:
        yield
    except DataFlareError as exc:
        mapped = as_dagster_error(exc, retry_deterministic=retry_deterministic)
        if mapped is exc:
            if logger is not None:
                logger.warning(
                    "%s (%s): %s; the asset's RetryPolicy may retry it",
                    type(exc).__name__, exc.failure_class.value, exc,
                )  # fmt: skip
            raise
        raise mapped from exc
