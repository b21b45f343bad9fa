"""Resource limits of one plugin instance."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Limits(BaseModel):
    """Per-instance sandbox limits. ``None`` disables a limit."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timeout_s: float | None = Field(
        60.0, gt=0, description="Wall-clock limit for one guest call (one batch), in seconds."
    )
    memory_bytes: int | None = Field(
        512 * 1024 * 1024, gt=0, description="Cap on the guest's linear memory, in bytes."
    )
    fuel: int | None = Field(
        None, gt=0, description="Fuel (roughly wasm instructions) per guest call; None = unmetered."
    )

    def merged(self, override: Limits | dict[str, object] | None) -> Limits:
        """These limits with the fields set in ``override`` replaced."""
        if override is None:
            return self
        data = override.model_dump(exclude_unset=True) if isinstance(override, Limits) else override
        return self.model_copy(update=Limits.model_validate(data).model_dump(include=set(data)))
