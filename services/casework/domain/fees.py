"""The information processing fee (信息处理费) of 国办函〔2020〕109号. Pure: amounts only.

The fee is charged only when the volume or frequency of requests clearly exceeds a reasonable
range, and for one application the agency uses ONE method, never both:

- per item (按件计收), by the rank of this application among the applicant's applications in
  the same calendar month: 1st-10th free, 11th-30th ¥100 each, then bands of ten at ¥200, ¥300,
  ¥400 ... each (price(n) = 100·(2 + ⌊(n-31)/10⌋) for n ≥ 31). Each application pays the price
  of its own rank; earlier ones are not re-priced.
- per volume (按量计收), by pages provided, in marginal bands like income tax: pages 1-30 free,
  31-100 ¥10/page, 101-200 ¥20/page, 201 and up ¥40/page (2,219 pages → ¥83,460).

Whether to charge at all, and which method, is the agency's decision; this module only prices.
Amounts are `Decimal` yuan with two places (the fee notice prints fen); errors are ValueErrors
with English messages for staff tooling (the HTTP layer translates).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

__all__ = ["FEE_RULES", "FeeMethod", "fee", "per_item_fee", "per_volume_fee"]

FEE_RULES = "国办函〔2020〕109号《政府信息公开信息处理费管理办法》"

FeeMethod = Literal["per_item", "per_volume"]

_CENTS = Decimal("0.01")

# (first page, last page, yuan per page) of each charged band; pages 1-30 are free and the last
# band is open-ended. A page is priced by its own band only (marginal, not the whole volume).
_VOLUME_BANDS: tuple[tuple[int, int | None, int], ...] = (
    (31, 100, 10), (101, 200, 20), (201, None, 40),
)


def _yuan(amount: int) -> Decimal:
    return Decimal(amount).quantize(_CENTS)


def _check_count(name: str, value: object, minimum: int) -> int:
    # bool is an int subclass; True as "the 1st application" is a caller bug, not a count.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def per_item_fee(nth_this_month: int) -> Decimal:
    """Fee for the applicant's `nth_this_month`-th application of the calendar month (n ≥ 1)."""
    n = _check_count("nth_this_month", nth_this_month, 1)
    if n <= 10:
        return _yuan(0)
    if n <= 30:
        return _yuan(100)
    return _yuan(100 * (2 + (n - 31) // 10))


def per_volume_fee(pages: int) -> Decimal:
    """Fee for providing `pages` pages (≥ 0): each band's pages at that band's price."""
    p = _check_count("pages", pages, 0)
    total = sum(
        price * (min(p, last or p) - first + 1)
        for first, last, price in _VOLUME_BANDS
        if p >= first
    )
    return _yuan(total)


def fee(
    method: FeeMethod,
    *,
    nth_this_month: int | None = None,
    pages: int | None = None,
) -> Decimal:
    """The fee by `method`, given exactly the one argument that method needs.

    Passing both arguments is refused rather than ignored: it usually means the caller has not
    decided on one method, and the rules forbid combining them.
    """
    if method == "per_item":
        if nth_this_month is None:
            raise ValueError("per_item needs nth_this_month (the application's rank this month)")
        if pages is not None:
            raise ValueError("per_item takes nth_this_month only, not pages: one method per "
                             "application, never both")
        return per_item_fee(nth_this_month)
    if method == "per_volume":
        if pages is None:
            raise ValueError("per_volume needs pages (the number of pages provided)")
        if nth_this_month is not None:
            raise ValueError("per_volume takes pages only, not nth_this_month: one method per "
                             "application, never both")
        return per_volume_fee(pages)
    raise ValueError(f"unknown fee method {method!r}: expected 'per_item' or 'per_volume'")
