"""The report document: every cell present, totals derived, and the checks catch imbalance."""

from __future__ import annotations

from datetime import UTC, datetime

from services.reporting.domain.report import COLUMNS, OUTCOMES, ROWS, document, table3

AT = datetime(2025, 1, 10, 1, tzinfo=UTC)


def make(cells, previous=None):
    return document(year=2019, agency="lc-mzj", agencies=["lc-mzj"], cells=cells,
                    previous_carried_forward=previous, generated_at=AT, as_of_event=7)


def test_every_row_and_column_is_present_with_zeros():
    t3 = table3({})
    assert list(t3) == list(ROWS) and len(ROWS) == 25 and len(OUTCOMES) == 21
    assert all(list(row) == list(COLUMNS) for row in t3.values())
    assert all(v == 0 for row in t3.values() for v in row.values())


def test_liaocheng_2019_balances():
    # Seed 000: 聊城市民政局 2019 — 7 new (natural persons): 2 disclosed, 1 prohibited by law,
    # 3 not held, 1 carried forward.
    doc = make({
        "new": {"natural_person": 7},
        "disclosed": {"natural_person": 2},
        "withheld.law_prohibited": {"natural_person": 1},
        "unable.not_held": {"natural_person": 3},
        "carried_forward": {"natural_person": 1},
    })
    t3 = doc["table3"]
    assert t3["total"]["natural_person"] == 6 and t3["total"]["total"] == 6
    assert all(c["ok"] for c in doc["checks"])
    assert {c["rule"] for c in doc["checks"]} == {
        "balance", "total_is_sum_of_outcomes", "total_column_is_sum"}


def test_an_unbalanced_table_fails_its_checks():
    # Seed 003 (张店区 2020): 一=2, 二=1, but (七)=0 and 四=0.
    doc = make({"new": {"natural_person": 2}, "carried_over": {"natural_person": 1}})
    failed = [c for c in doc["checks"] if not c["ok"]]
    assert {(c["rule"], c["column"]) for c in failed} == {
        ("balance", "natural_person"), ("balance", "total")}
    assert failed[0]["detail"] == "2＋1≠0＋0"


def test_carried_over_must_equal_last_years_carried_forward():
    doc = make({"carried_over": {"natural_person": 0}}, previous={"natural_person": 1})
    rule = [c for c in doc["checks"]
            if c["rule"] == "carried_over_equals_previous_carried_forward"
            and c["column"] == "natural_person"]
    assert rule and rule[0]["ok"] is False
