from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.casework.domain.fees import FEE_RULES, fee, per_item_fee, per_volume_fee


@pytest.mark.parametrize(("n", "yuan"), [
    (1, "0"), (10, "0"),  # 1st-10th free
    (11, "100"), (30, "100"),  # 11th-30th ¥100
    (31, "200"), (40, "200"),  # 31st-40th ¥200
    (41, "300"), (50, "300"),
    (51, "400"), (60, "400"), (61, "500"),
])
def test_per_item_band_edges(n, yuan):
    assert per_item_fee(n) == Decimal(yuan)
    assert fee("per_item", nth_this_month=n) == Decimal(yuan)


@pytest.mark.parametrize(("pages", "yuan"), [
    (0, "0"), (30, "0"),
    (31, "10"),  # first charged page
    (100, "700"),  # 70 pages × ¥10
    (101, "720"),  # 700 + 1 × ¥20
    (200, "2700"),  # 700 + 100 × ¥20
    (201, "2740"),  # 2700 + 1 × ¥40
    (2219, "83460"),  # the check figure: 700 + 2000 + 2019 × ¥40
])
def test_per_volume_band_edges(pages, yuan):
    assert per_volume_fee(pages) == Decimal(yuan)
    assert fee("per_volume", pages=pages) == Decimal(yuan)


def test_amounts_are_decimal_yuan_with_two_places():
    for amount in (per_item_fee(1), per_item_fee(31), per_volume_fee(2219), per_volume_fee(0)):
        assert isinstance(amount, Decimal)
        assert amount.as_tuple().exponent == -2
    assert str(per_volume_fee(2219)) == "83460.00"


def test_fee_rules_constant():
    assert FEE_RULES == "国办函〔2020〕109号《政府信息公开信息处理费管理办法》"


def _page_price(page: int) -> int:
    return 0 if page <= 30 else 10 if page <= 100 else 20 if page <= 200 else 40


@given(st.integers(min_value=0, max_value=5000))
def test_each_extra_page_costs_its_band_price(pages):
    step = per_volume_fee(pages + 1) - per_volume_fee(pages)
    assert step == _page_price(pages + 1)
    assert step >= 0  # hence non-decreasing


@given(st.integers(min_value=0, max_value=5000), st.integers(min_value=0, max_value=5000))
def test_per_volume_non_decreasing(a, b):
    lo, hi = sorted((a, b))
    assert per_volume_fee(lo) <= per_volume_fee(hi)


@given(st.integers(min_value=1, max_value=2000), st.integers(min_value=1, max_value=2000))
def test_per_item_non_decreasing(a, b):
    lo, hi = sorted((a, b))
    assert per_item_fee(lo) <= per_item_fee(hi)


@given(st.integers(min_value=31, max_value=2000))
def test_per_item_formula(n):
    assert per_item_fee(n) == 100 * (2 + (n - 31) // 10)


@pytest.mark.parametrize("n", [0, -1, True, 1.0, "11", None])
def test_per_item_invalid(n):
    with pytest.raises(ValueError, match="nth_this_month"):
        per_item_fee(n)


@pytest.mark.parametrize("pages", [-1, False, 2.5, "31", None])
def test_per_volume_invalid(pages):
    with pytest.raises(ValueError, match="pages"):
        per_volume_fee(pages)


@pytest.mark.parametrize(("method", "kwargs", "message"), [
    ("per_item", {}, "per_item needs nth_this_month"),
    ("per_item", {"pages": 40}, "per_item needs nth_this_month"),
    ("per_item", {"nth_this_month": 11, "pages": 40}, "never both"),
    ("per_volume", {}, "per_volume needs pages"),
    ("per_volume", {"nth_this_month": 11}, "per_volume needs pages"),
    ("per_volume", {"nth_this_month": 11, "pages": 40}, "never both"),
    ("per_page", {"pages": 40}, "unknown fee method 'per_page'"),
    ("per_item", {"nth_this_month": 0}, "must be >= 1"),
    ("per_volume", {"pages": -5}, "must be >= 0"),
])
def test_fee_argument_errors(method, kwargs, message):
    with pytest.raises(ValueError, match=message):
        fee(method, **kwargs)
