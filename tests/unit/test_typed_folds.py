"""Notify reads typed events (shared/contracts/): a consumer that reads a field its event type
does not declare fails here, not silently in production (issue 17)."""

from __future__ import annotations

import types
import typing
import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import pytest
from pydantic import BaseModel

from services.notify.domain import letters
from services.notify.service_layer import handlers
from shared.contracts import cases
from shared.contracts.agencies import AgencyConfigured

CASE_EVENTS = [m for m in vars(cases).values()
               if isinstance(m, type) and hasattr(m, "__event_type__")]


def sample(annotation):  # noqa: C901 - one branch per kind of annotation
    """A valid value of `annotation`, never None where the field could hold something."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Literal:
        return args[0]
    if origin in (typing.Union, types.UnionType):
        return sample(next(a for a in args if a is not type(None)))
    if origin in (list, tuple, set, frozenset):
        return [sample(args[0])] if args else []
    if origin is dict:
        return {}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return instance(annotation)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return next(iter(annotation))
    simple = {uuid.UUID: uuid.UUID(int=1), date: date(2025, 10, 20),
              datetime: datetime(2025, 10, 20, 9), Decimal: Decimal("10"), bool: True,
              int: 1, str: "x"}
    return simple[annotation]


def instance(model: type[BaseModel]) -> BaseModel:
    """An instance of `model` with every field set (optional ones too)."""
    return model(**{name: sample(info.annotation) for name, info in model.model_fields.items()})


def test_every_attribute_the_fold_reads_is_declared_by_its_event_type():
    for model, reads in letters.FOLD.items():
        assert model in CASE_EVENTS
        undeclared = set(reads.values()) - set(model.model_fields)
        assert not undeclared, f"notify reads {model.__name__}.{undeclared}"
    facts = {f for f in letters.CaseFacts.__dataclass_fields__}
    assert {name for reads in letters.FOLD.values() for name in reads} <= facts


@pytest.mark.parametrize("model", CASE_EVENTS, ids=lambda m: m.__name__)
def test_notify_reads_only_declared_fields_of_every_case_event(model):
    event = instance(model)
    after = letters.fold(letters.CaseFacts(outcome="disclosed"), event)
    for name, attribute in letters.FOLD.get(model, {}).items():
        value = getattr(event, attribute)
        kept = getattr(after, name)
        assert kept == (value.value if isinstance(value, Enum) else
                        tuple(value) if isinstance(value, list) else value)
    letters.letters_called_for(event, after)
    letters.letter_date_of(event, after)
    assert handlers.case_of(event) == str(uuid.UUID(int=1))
    handlers._sms_for(event, date(2025, 10, 20))
    # The payload route (tests, JSON) reads the same typed event.
    assert letters.evolve_facts(letters.CaseFacts(outcome="disclosed"), model.__event_type__,
                                event.model_dump(mode="json")) == after


def test_an_agency_event_is_about_no_case():
    assert handlers.case_of(AgencyConfigured.model_construct()) is None
