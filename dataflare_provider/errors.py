"""Error classes shared by every layer.

Every error carries a *failure class* (see ``docs/lifecycle.md``) so orchestrator layers can map it
onto retries without matching strings:

- ``transient``: may succeed if tried again (registry unreachable, I/O error, wall-clock timeout).
- ``permanent``: will fail the same way every time (bad config, policy violation, ABI mismatch).
- ``deterministic``: the guest failed on this input (trap, fuel exhausted, memory limit); retrying
  the same input fails again, but orchestrators may be told to retry anyway.
- ``data``: too many per-record errors.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class FailureClass(StrEnum):
    """How a failure should be treated by a scheduler."""

    TRANSIENT = "transient"
    PERMANENT = "permanent"
    DETERMINISTIC = "deterministic"
    DATA = "data"


class DataFlareError(Exception):
    """Base class of every DataFlare error.

    ``context`` holds what the error is about (plugin, column, field, limit...), shown in the message
    and available to callers as structured data.
    """

    failure_class: FailureClass = FailureClass.PERMANENT

    def __init__(self, message: str, **context: Any) -> None:
        self.message = message
        self.context = {k: v for k, v in context.items() if v is not None}
        super().__init__(self._render())

    def _render(self) -> str:
        if not self.context:
            return self.message
        details = ", ".join(f"{k}={v!r}" for k, v in self.context.items())
        return f"{self.message} [{details}]"

    @property
    def retryable(self) -> bool:
        return self.failure_class is FailureClass.TRANSIENT


class TransientError(DataFlareError):
    """A failure that may go away on retry."""

    failure_class = FailureClass.TRANSIENT


class PermanentError(DataFlareError):
    """A failure that will happen again on every retry."""

    failure_class = FailureClass.PERMANENT


class DeterministicError(DataFlareError):
    """The guest failed on this input; the same input fails again."""

    failure_class = FailureClass.DETERMINISTIC


# --- configuration and loading -------------------------------------------------------------------


class ConfigError(PermanentError):
    """Invalid configuration (host settings or a plugin's config)."""


class PluginLoadError(PermanentError):
    """The module could not be compiled, validated or instantiated."""


class ForbiddenImportError(PluginLoadError):
    """The module imports something the sandbox does not provide."""


class MissingExportError(PluginLoadError):
    """The module lacks an export the ABI requires, or declares it with the wrong signature."""


class ABIVersionError(PluginLoadError):
    """The module speaks an ABI version this host does not support."""


class UnsupportedTypeError(PermanentError):
    """A column has an Arrow type the ABI cannot carry."""


# --- running -------------------------------------------------------------------------------------


class PluginABIError(DeterministicError):
    """The guest returned output that breaks the ABI (out-of-range pointer, bad format...)."""


class PluginError(DeterministicError):
    """The guest reported an error (negative status code) for this input."""


class PluginSchemaError(PermanentError):
    """The guest refused the input schema (status -3)."""


class PluginConfigError(ConfigError):
    """The guest refused its config (status -2) or the config failed the plugin's JSON Schema."""


class PluginTrapError(DeterministicError):
    """The guest trapped (unreachable, out-of-bounds access, stack overflow...)."""


class FuelExhaustedError(PluginTrapError):
    """The guest used up its fuel budget for one call."""


class MemoryLimitError(PluginTrapError):
    """The guest hit its linear-memory cap."""


class PluginTimeoutError(TransientError):
    """A call ran past its wall-clock timeout (epoch deadline)."""


class PluginInterrupted(TransientError):
    """The run was interrupted from outside (e.g. Airflow ``on_kill``)."""


class PluginStateError(PermanentError):
    """An operation was attempted in a lifecycle state that does not allow it."""


class ErrorRateExceeded(DataFlareError):
    """More per-record errors than ``max_error_rate`` allows.

    In-memory runs attach what they computed as ``result`` (a ``pipeline.TableResult``), so the
    rejected rows are not lost with the exception.
    """

    failure_class = FailureClass.DATA
    result: Any = None


class DataFlareIOError(TransientError):
    """Reading input or writing output failed."""


class InputDataError(PermanentError):
    """The input data cannot be parsed (not a transient I/O problem)."""


class OutputSchemaError(PermanentError):
    """Batches of incompatible schemas were to be written to one output."""
