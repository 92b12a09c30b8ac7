"""Pydantic's errors as a client reads them (shared/validation/messages.py): formal Chinese,
the limit or the allowed values in the words, never an English sentence."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import pytest
from pydantic import BaseModel, Field, ValidationError, field_validator

from shared.validation.messages import INVALID, message


class Form(BaseModel):
    name: str = Field(min_length=2, max_length=5)
    days: int = Field(gt=0, le=20)
    fee: Decimal = Field(decimal_places=2)
    kind: Literal["paper", "electronic"]
    note: str = ""

    @field_validator("note")
    @classmethod
    def _note(cls, value: str) -> str:
        if value == "ours":
            raise ValueError("备注不得为该值")
        if value == "library":
            raise ValueError("not allowed")
        return value


def messages(**data) -> dict[str, str]:
    with pytest.raises(ValidationError) as raised:
        Form(**({"name": "张明", "days": 1, "fee": "1", "kind": "paper"} | data))
    return {str(e["loc"][0]): message(e) for e in raised.value.errors()}


def test_limits_and_choices_are_in_the_words():
    assert messages(name="张", days=0, fee="1.234", kind="fax") == {
        "name": "不得少于2个字符", "days": "须大于0", "fee": "小数不得超过2位",
        "kind": "须为以下之一：paper、electronic"}
    assert messages(name="张明张明张明", days=21) == {"name": "不得超过5个字符",
                                                  "days": "不得大于20"}


def test_our_validators_speak_chinese_and_nothing_english_gets_through():
    assert messages(note="ours") == {"note": "备注不得为该值"}
    assert messages(note="library") == {"note": INVALID}
    assert message({"type": "some_library_error", "msg": "Input is bad"}) == INVALID
