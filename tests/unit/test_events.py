"""Events are versioned from day one: old versions are upcast when read, never rewritten."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from pydantic import BaseModel

from shared.events import Envelope, UnknownEvent, event_type, upcaster


@event_type("NoteTaken", 2)
class NoteTaken(BaseModel):
    text: str
    language: str


@upcaster("NoteTaken", 1)
def _v1_to_v2(payload):
    return {**payload, "language": "zh"}


def envelope(type_: str, version: int, payload: dict) -> Envelope:
    return Envelope(event_id=uuid.uuid4(), type=type_, version=version, stream_id="s",
                    stream_position=1, agency="a", occurred_at=datetime(2025, 1, 1, tzinfo=UTC),
                    actor="t", correlation_id=uuid.uuid4(), payload=payload)


def test_an_old_version_is_upcast_on_read():
    body = envelope("NoteTaken", 1, {"text": "你好"}).body()
    assert body == NoteTaken(text="你好", language="zh")


def test_the_envelope_survives_json():
    e = envelope("NoteTaken", 2, {"text": "x", "language": "en"})
    assert Envelope.from_json(e.to_json()) == e


@pytest.mark.parametrize(("type_", "version"), [("Nope", 1), ("NoteTaken", 3)])
def test_unknown_types_and_newer_versions_are_refused(type_, version):
    with pytest.raises(UnknownEvent):
        envelope(type_, version, {"text": "x", "language": "en"}).body()
