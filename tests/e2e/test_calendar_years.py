"""Casework's calendar lists the provisional years beside the loaded ones: the rule their
working days follow and the rest days it gives them."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.helpers import auth

pytestmark = pytest.mark.e2e


def calendar(stack, **params) -> httpx.Response:
    return httpx.get(f"{stack.url('casework')}/v1/calendar", params=params, timeout=10,
                     headers=auth(stack, "e2e-clock", "caseworker"))


def test_the_years_with_no_notice_are_listed_as_provisional_with_their_days_and_rule(stack):
    # The stack's clock is 2025-09-22; 2004-2026 are loaded from the packaged notices.
    plain = calendar(stack).json()
    assert [y["year"] for y in plain if y["provisional"]] == []
    assert {2025, 2026} <= {y["year"] for y in plain if not y["provisional"]}

    years = {y["year"]: y for y in calendar(stack, through=2027).json()}
    assert not years[2026]["provisional"] and years[2026]["loaded_by"]
    provisional = years[2027]
    assert provisional["provisional"] is True and provisional["loaded_by"] is None
    assert provisional["source"] == "暂定：法定节假日（《全国年节及纪念日放假办法》）"
    assert "《全国年节及纪念日放假办法》" in provisional["rule"] and "补假" in provisional["rule"]
    days = {d["date"]: d for d in provisional["days"]}
    assert [d["name"] for d in provisional["days"]][:5] == ["元旦", "春节", "春节", "春节", "春节"]
    assert len(days) == 13 and all(not d["working"] for d in days.values())
    # 初一 2027 is a Saturday: a rest day anyway, and no substitute day until the notice.
    assert days["2027-02-06"] == {"date": "2027-02-06", "working": False, "name": "春节",
                                  "rule": "statutory", "weekend": True}
    assert days["2027-10-01"]["weekend"] is False


def test_a_year_out_of_the_rules_range_is_refused_in_chinese(stack):
    refused = calendar(stack, through=2101)
    assert refused.status_code == 422
    assert refused.json()["errors"] == [{"field": "through", "message": "不得大于2100"}]
