"""Plugin lifecycle states and the logged transitions between them."""

from __future__ import annotations

import logging
import time
from enum import StrEnum

from dataflare_provider.errors import PluginStateError


class PluginState(StrEnum):
    """Where a plugin instance is in its life (the original plan's ``PluginState``)."""

    LOADING = "Loading"
    INITIALIZING = "Initializing"
    READY = "Ready"
    PROCESSING = "Processing"
    PAUSED = "Paused"
    STOPPING = "Stopping"
    STOPPED = "Stopped"
    ERROR = "Error"


_ALLOWED: dict[PluginState, frozenset[PluginState]] = {
    PluginState.LOADING: frozenset({PluginState.INITIALIZING, PluginState.ERROR}),
    PluginState.INITIALIZING: frozenset({PluginState.READY, PluginState.ERROR}),
    PluginState.READY: frozenset(
        {PluginState.PROCESSING, PluginState.PAUSED, PluginState.STOPPING, PluginState.ERROR}
    ),
    PluginState.PROCESSING: frozenset({PluginState.READY, PluginState.ERROR}),
    PluginState.PAUSED: frozenset({PluginState.READY, PluginState.STOPPING, PluginState.ERROR}),
    PluginState.STOPPING: frozenset({PluginState.STOPPED, PluginState.ERROR}),
    PluginState.STOPPED: frozenset(),
    PluginState.ERROR: frozenset({PluginState.STOPPING, PluginState.STOPPED}),
}


class Lifecycle:
    """Tracks the state of one instance and logs each transition with the time spent before it.

    ``Ready <-> Processing`` flips once per batch; those are not logged (the metrics cover them).
    """

    __slots__ = ("_since", "error", "logger", "name", "state")

    def __init__(self, name: str, logger: logging.Logger) -> None:
        self.name = name
        self.logger = logger
        self.state = PluginState.LOADING
        self.error: str | None = None
        self._since = time.perf_counter()
        logger.info("plugin %s: %s", name, self.state)

    def to(self, new: PluginState, reason: str | None = None) -> float:
        """Move to ``new``; returns the seconds spent in the previous state."""
        old = self.state
        if new not in _ALLOWED[old]:
            raise PluginStateError(
                f"plugin {self.name}: cannot go from {old} to {new}", reason=reason
            )
        now = time.perf_counter()
        spent = now - self._since
        self.state, self._since = new, now
        if new is PluginState.ERROR:
            self.error = reason
            self.logger.error(
                "plugin %s: %s -> Error(%s) after %.1f ms", self.name, old, reason, spent * 1e3
            )
        elif not {old, new} <= {PluginState.READY, PluginState.PROCESSING}:
            self.logger.info("plugin %s: %s -> %s (%.1f ms)", self.name, old, new, spent * 1e3)
        return spent

    def require(self, *states: PluginState) -> None:
        if self.state not in states:
            detail = f" ({self.error})" if self.error else ""
            raise PluginStateError(
                f"plugin {self.name} is {self.state}{detail}; needs one of "
                + ", ".join(str(s) for s in states)
            )
