"""Configuration dataclasses that travel as JSON (beside checkpoints, in ``--config`` files)."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any, ClassVar, TypeVar

C = TypeVar("C", bound="JsonConfig")


class JsonConfig:
    """Mixin for a dataclass: ``to_json`` / ``from_json``, refusing unknown fields by name, since a misspelt
    setting silently ignored would train or load something other than what was asked for."""

    LABEL: ClassVar[str] = "config"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_json(cls: type[C], data: dict[str, Any]) -> C:
        unknown = set(data) - {f.name for f in fields(cls)}  # type: ignore[arg-type]
        if unknown:
            raise ValueError(f"{cls.LABEL}: unknown fields {sorted(unknown)}")
        return cls(**data)
