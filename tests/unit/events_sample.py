"""Typed events for the fold checks (tests/unit/test_typed_folds.py): an instance of every event
type with every field set, and a record of the attributes a consumer reads of them."""

from __future__ import annotations

import types
import typing
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from pydantic import BaseModel, ValidationError

from shared.contracts import agencies, applications, cases, reports


def events_of(module: types.ModuleType) -> list[type[BaseModel]]:
    """The event types a contract module registers."""
    return [m for m in vars(module).values()
            if isinstance(m, type) and hasattr(m, "__event_type__")]


# Every model of the contracts, events and the models they hold (a fold reads those too).
MODELS = list(dict.fromkeys(
    m for module in (agencies, applications, cases, reports) for m in vars(module).values()
    if isinstance(m, type) and issubclass(m, BaseModel) and m is not BaseModel))


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
    values = {name: sample(info.annotation) for name, info in model.model_fields.items()}
    try:
        return model(**values)
    except ValidationError:  # a constrained text ("x" is no agency id): the types are right
        return model.model_construct(**values)


@contextmanager
def reads() -> Iterator[dict[type[BaseModel], set[str]]]:
    """While open, every attribute read of a contract model's instance, by model: its fields
    and any name that is neither a field nor the class's own (a method, `model_fields`), also
    where `getattr(event, name, default)` would hide that the name does not exist."""
    seen: dict[type[BaseModel], set[str]] = defaultdict(set)

    def record(self: BaseModel, name: str):
        model = type(self)
        if name in model.model_fields or not (name.startswith("_") or hasattr(model, name)):
            seen[model].add(name)
        return object.__getattribute__(self, name)

    for model in MODELS:
        model.__getattribute__ = record  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        for model in MODELS:
            del model.__getattribute__


def undeclared(seen: dict[type[BaseModel], set[str]]) -> dict[str, set[str]]:
    """The attributes read that their model does not declare, by model name."""
    return {model.__name__: names - set(model.model_fields)
            for model, names in seen.items() if names - set(model.model_fields)}
