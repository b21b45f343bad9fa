"""Airflow exceptions of the DataFlare provider, one per failure class (DESIGN.md §7).

Every DataFlare error carries a ``failure_class``; :func:`airflow_exception_for` maps it onto
Airflow's retry behaviour without looking at messages:

==============  ==========================================  =====================================
failure class   raised as                                   Airflow does
==============  ==========================================  =====================================
transient       :class:`DataFlareTransientError`            retry (``retries``/``retry_policy``)
permanent       :class:`DataFlarePermanentError`            fail now (``AirflowFailException``)
deterministic   :class:`DataFlarePluginFailure`             fail now; with
                (:class:`DataFlarePluginRetryableFailure`   ``retry_on_plugin_failure=True``:
                when retries are allowed)                   retry
data            :class:`DataFlareDataError`                 fail now; the dead letter is kept
==============  ==========================================  =====================================

The original error is the ``__cause__``; ``failure_class`` and ``context`` (plugin, column, rows,
limit...) are copied onto the Airflow exception for callbacks and retry policies.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk.exceptions import AirflowException, AirflowFailException

from dataflare_provider.errors import DataFlareError, FailureClass


class DataFlareException(AirflowException):
    """Base of the provider's exceptions: the failure class and context of the DataFlare error."""

    def __init__(
        self,
        message: str,
        *,
        failure_class: FailureClass | str | None = None,
        context: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.failure_class = FailureClass(failure_class) if failure_class else None
        self.context: dict[str, Any] = dict(context or {})

    @classmethod
    def from_error(cls, error: DataFlareError, prefix: str = "") -> DataFlareException:
        """Wrap ``error`` (raise the result ``from error``)."""
        return cls(
            f"{prefix}{error.failure_class} failure: {error}",
            failure_class=error.failure_class,
            context=error.context,
        )


class DataFlareTransientError(DataFlareException):
    """Might succeed on retry (registry unreachable, I/O error, timeout, interrupted)."""


class DataFlarePermanentError(DataFlareException, AirflowFailException):
    """Fails the same way on every try (bad config, signature policy, ABI mismatch): no retry."""


class DataFlarePluginFailure(DataFlareException, AirflowFailException):
    """The guest failed on this input (trap, fuel, memory limit, plugin error): no retry."""


class DataFlarePluginRetryableFailure(DataFlareTransientError):
    """A guest failure raised as retryable because ``retry_on_plugin_failure=True``."""


class DataFlareDataError(DataFlareException, AirflowFailException):
    """Too many rows were rejected (``max_error_rate``); the dead-letter output was kept."""


def airflow_exception_for(
    error: DataFlareError, *, retry_on_plugin_failure: bool = False, prefix: str = ""
) -> DataFlareException:
    """The Airflow exception to raise (``from error``) for a DataFlare error."""
    cls: type[DataFlareException]
    fc = error.failure_class
    if fc is FailureClass.TRANSIENT:
        cls = DataFlareTransientError
    elif fc is FailureClass.DETERMINISTIC:
        cls = DataFlarePluginRetryableFailure if retry_on_plugin_failure else DataFlarePluginFailure
    elif fc is FailureClass.DATA:
        cls = DataFlareDataError
    else:
        cls = DataFlarePermanentError
    return cls.from_error(error, prefix)


def io_error(exc: OSError, prefix: str = "") -> DataFlareTransientError:
    """An ``OSError`` that escaped the pipeline's own wrapping: I/O errors are transient."""
    return DataFlareTransientError(
        f"{prefix}transient failure: I/O error: {exc}",
        failure_class=FailureClass.TRANSIENT,
        context={"error": type(exc).__name__},
    )
