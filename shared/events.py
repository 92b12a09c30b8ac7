"""The event envelope and the registry of versioned event types.

Every fact crosses service boundaries as an `Envelope` serialised to JSON. Payload types are
registered with their version; an older version is upcast when read, never rewritten
(invariant 4, docs/architecture.md#invariants).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

P = TypeVar("P", bound=BaseModel)

_TYPES: dict[str, tuple[int, type[BaseModel]]] = {}
_UPCASTERS: dict[tuple[str, int], Callable[[dict[str, Any]], dict[str, Any]]] = {}


class UnknownEvent(Exception):
    """An event type or version this code cannot read (a newer producer, or a poison message)."""


def event_type(name: str, version: int = 1) -> Callable[[type[P]], type[P]]:
    """Register a payload model as the current version of an event type."""

    def register(model: type[P]) -> type[P]:
        if name in _TYPES and _TYPES[name][1] is not model:
            raise ValueError(f"event type {name} registered twice")
        _TYPES[name] = (version, model)
        model.__event_type__ = name  # type: ignore[attr-defined]
        model.__event_version__ = version  # type: ignore[attr-defined]
        return model

    return register


def upcaster(name: str, from_version: int):
    """Register a function turning payload version N of `name` into version N+1."""

    def register(fn: Callable[[dict[str, Any]], dict[str, Any]]):
        _UPCASTERS[(name, from_version)] = fn
        return fn

    return register


def required_fields(name: str) -> frozenset[str]:
    """The fields the current model of an event type cannot do without."""
    if name not in _TYPES:
        return frozenset()
    return frozenset(f for f, info in _TYPES[name][1].model_fields.items() if info.is_required())


class Envelope(BaseModel):
    """What every event carries, whatever its payload."""

    model_config = ConfigDict(frozen=True)

    event_id: uuid.UUID
    type: str
    version: int
    stream_id: str
    stream_position: int
    agency: str
    occurred_at: datetime
    actor: str
    correlation_id: uuid.UUID
    causation_id: uuid.UUID | None = None
    source: str = ""
    position: int | None = Field(default=None, description="Global position in the source store")
    payload: dict[str, Any]

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_json(cls, raw: bytes | str | dict[str, Any]) -> Envelope:
        if isinstance(raw, dict):
            return cls.model_validate(raw)
        return cls.model_validate(json.loads(raw))

    def body(self) -> BaseModel:
        """The payload as its current model, upcast from older versions."""
        return decode_payload(self.type, self.version, self.payload)


def decode_payload(kind: str, version: int, payload: dict[str, Any] | str | bytes) -> BaseModel:
    """A payload (a dict, or its JSON text as stored) as the current model of its event type,
    upcast from older versions. JSON of the current version is validated in one pass, without
    an intermediate dict: a replay decodes every stored event this way."""
    if kind not in _TYPES:
        raise UnknownEvent(f"unknown event type {kind!r}")
    current, model = _TYPES[kind]
    if version > current:
        raise UnknownEvent(f"{kind} v{version} is newer than this code (v{current})")
    if version == current and not isinstance(payload, dict):
        return model.model_validate_json(payload)
    payload = json.loads(payload) if not isinstance(payload, dict) else dict(payload)
    while version < current:
        step = _UPCASTERS.get((kind, version))
        if step is None:
            raise UnknownEvent(f"no upcaster for {kind} v{version}")
        payload, version = step(payload), version + 1
    return model.model_validate(payload)


def new_event(
    payload: BaseModel,
    *,
    stream_id: str,
    stream_position: int,
    agency: str,
    occurred_at: datetime,
    actor: str,
    correlation_id: uuid.UUID,
    causation_id: uuid.UUID | None = None,
    source: str = "",
) -> Envelope:
    return Envelope(
        event_id=uuid.uuid4(),
        type=payload.__event_type__,  # type: ignore[attr-defined]
        version=payload.__event_version__,  # type: ignore[attr-defined]
        stream_id=stream_id,
        stream_position=stream_position,
        agency=agency,
        occurred_at=occurred_at,
        actor=actor,
        correlation_id=correlation_id,
        causation_id=causation_id,
        source=source,
        payload=payload.model_dump(mode="json"),
    )
