"""Pydantic's validation errors in formal Chinese, for every service's 422 answers.

Pydantic words its errors in English ("Input should be less than or equal to 20"); people who
use the system read Chinese. Each error type is worded here from its context (the limit, the
allowed values); a `value_error` carries the message our own validators raise, which is already
Chinese. A type not listed, or a message with no Chinese in it, becomes a plain "取值无效", so
no English sentence of pydantic's (or of a library's validator) ever reaches a client.
The field stays the JSON path of the body (e.g. `applicant.credit_code`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

INVALID = "取值无效"
_CJK = re.compile(r"[\u3400-\u9fff]")
_LOCATIONS = ("body", "query", "path", "header", "cookie")


def _chinese(text: str) -> str:
    """A message of ours (already Chinese) as is; anything else (English) as `INVALID`."""
    return text if _CJK.search(text) else INVALID


def _choices(ctx: Mapping[str, Any]) -> str:
    """pydantic's "'a', 'b' or 'c'" as "a、b、c"."""
    expected = str(ctx.get("expected") or "")
    quoted = re.findall(r"'([^']*)'", expected)
    items = quoted or [p.strip() for p in re.split(r",| or ", expected) if p.strip()]
    return "、".join(items)


class _Context(dict):
    """An error's context as the wording's `{name}`s read it: an absent or None value is blank."""

    def __missing__(self, key: str) -> str:
        return ""


# The error types whose message is the one a validator of ours raised (ValueError or FieldError).
_OWN = frozenset({"value_error", "assertion_error"})
# Each error type's wording; a `{name}` is the value of the error's context (the limit), and
# `{choices}` the values allowed.
_WORDS: dict[str, str] = {
    "missing": "必填",
    "missing_argument": "必填",
    "extra_forbidden": "不允许提交此字段",
    "unexpected_keyword_argument": "不允许提交此字段",
    "json_invalid": "请求内容不是有效的JSON",
    "json_type": "须为JSON文本",
    "model_type": "须为JSON对象",
    "model_attributes_type": "须为JSON对象",
    "dict_type": "须为JSON对象",
    "list_type": "须为数组",
    "tuple_type": "须为数组",
    "set_type": "须为数组",
    "string_type": "须为文本",
    "string_unicode": "须为有效的Unicode文本",
    "string_too_short": "不得少于{min_length}个字符",
    "string_too_long": "不得超过{max_length}个字符",
    "string_pattern_mismatch": "格式不正确",
    "bytes_too_long": "不得超过{max_length}字节",
    "bytes_too_short": "不得少于{min_length}字节",
    "too_short": "不得少于{min_length}项",
    "too_long": "不得超过{max_length}项",
    "int_type": "须为整数",
    "int_parsing": "须为整数",
    "int_parsing_size": "数值超出允许范围",
    "int_from_float": "须为整数",
    "float_type": "须为数字",
    "float_parsing": "须为数字",
    "finite_number": "须为有限数值",
    "decimal_type": "须为数字",
    "decimal_parsing": "须为数字",
    "decimal_max_digits": "不得超过{max_digits}位数字",
    "decimal_max_places": "小数不得超过{decimal_places}位",
    "decimal_whole_digits": "整数部分不得超过{whole_digits}位",
    "bool_type": "须为true或false",
    "bool_parsing": "须为true或false",
    "greater_than": "须大于{gt}",
    "greater_than_equal": "不得小于{ge}",
    "less_than": "须小于{lt}",
    "less_than_equal": "不得大于{le}",
    "multiple_of": "须为{multiple_of}的整数倍",
    "date_type": "日期格式应为YYYY-MM-DD",
    "date_parsing": "日期格式应为YYYY-MM-DD",
    "date_from_datetime_parsing": "日期格式应为YYYY-MM-DD",
    "date_from_datetime_inexact": "日期格式应为YYYY-MM-DD",
    "date_past": "须为今天以前的日期",
    "date_future": "须为今天以后的日期",
    "datetime_type": "时间格式应为YYYY-MM-DDTHH:MM:SS",
    "datetime_parsing": "时间格式应为YYYY-MM-DDTHH:MM:SS",
    "datetime_from_date_parsing": "时间格式应为YYYY-MM-DDTHH:MM:SS",
    "datetime_object_invalid": "时间无效",
    "timezone_aware": "时间须含时区",
    "timezone_naive": "时间不得含时区",
    "time_type": "时间格式应为HH:MM:SS",
    "time_parsing": "时间格式应为HH:MM:SS",
    "uuid_type": "编号格式不正确（应为UUID）",
    "uuid_parsing": "编号格式不正确（应为UUID）",
    "uuid_version": "编号格式不正确（应为UUID）",
    "enum": "须为以下之一：{choices}",
    "literal_error": "须为以下之一：{choices}",
    "union_tag_invalid": "类型不正确",
    "union_tag_not_found": "缺少类型字段",
    "none_required": "须为空",
    "url_type": "须为网址",
    "url_parsing": "网址格式不正确",
    "url_scheme": "网址格式不正确",
    "frozen_field": "不得修改",
    "frozen_instance": "不得修改",
}


def message(error: Mapping[str, Any]) -> str:
    """One pydantic error (an item of `ValidationError.errors()`) in formal Chinese."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind in _OWN:
        own = ctx.get("error")
        return _chinese(str(getattr(own, "message", None) or own or ""))
    words = _WORDS.get(kind)
    if words is None:
        # A custom error type (PydanticCustomError) of ours carries its Chinese message.
        return _chinese(str(error.get("msg") or ""))
    values = {k: v for k, v in ctx.items() if v is not None}
    return words.format_map(_Context(values, choices=_choices(ctx)))


def field(error: Mapping[str, Any]) -> str:
    """The JSON path an error is about: `applicant.credit_code`, `working_days`, `body`."""
    loc = [p for p in error.get("loc") or () if p not in _LOCATIONS]
    if error.get("type") == "json_invalid" and all(isinstance(p, int) for p in loc):
        loc = []  # FastAPI's location of a body that is not JSON: the offset in the text
    parts = [str(p) for p in loc]
    # A cross-field rule raised at a model's level may name the field it is about.
    named = getattr((error.get("ctx") or {}).get("error"), "field", None)
    if named:
        parts.append(str(named))
    return ".".join(parts) or "body"


def problems(errors: list[Any]) -> list[dict[str, str]]:
    """Pydantic's errors as the `errors` of a problem+json answer, each field once (its first
    message), in pydantic's order."""
    seen: dict[str, str] = {}
    for error in errors:
        seen.setdefault(field(error), message(error))
    return [{"field": f, "message": m} for f, m in seen.items()]
