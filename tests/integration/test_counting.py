"""Table 三's counting rules (docs/domain.md#counting), written once in SQL
(shared/report_rules.py), on the real PostgreSQL: over reporting's projection table, and over a
ledger's rows as intake counts them before an import; both give the same cells."""

from __future__ import annotations

import json
import uuid
from datetime import date

import pytest
from sqlalchemy import text

from services.intake.adapters import ledger_checks
from services.intake.domain.ledger_check import check_ledger
from services.reporting.adapters import store
from shared import report_rules

pytestmark = pytest.mark.e2e

YEAR = 2024
# (applicant type, received on, concluded on, outcome), each row commented with where it counts
# in 2024.
CASES = [
    ("natural_person", "2024-01-01", "2024-01-05", "disclosed"),  # new; disclosed
    ("natural_person", "2024-12-31", None, None),  # new; carried forward
    ("natural_person", "2024-06-01", "2025-01-02", "disclosed"),  # new; carried forward
    ("commercial_enterprise", "2023-12-31", "2024-01-01", "unable.not_held"),  # over; outcome
    ("commercial_enterprise", "2023-05-01", None, None),  # carried over and forward
    ("natural_person", "2023-05-01", "2023-12-31", "disclosed"),  # concluded before: nowhere
    ("natural_person", "2025-01-01", None, None),  # received after the year: nowhere
    ("natural_person", None, None, None),  # no receipt date: counted nowhere
    ("natural_person", "2024-03-01", "2024-12-31", "withheld.third_party"),  # new; outcome
]
EXPECTED = {
    "new": {"natural_person": 4},
    "carried_over": {"commercial_enterprise": 2},
    "disclosed": {"natural_person": 1},
    "unable.not_held": {"commercial_enterprise": 1},
    "withheld.third_party": {"natural_person": 1},
    "carried_forward": {"natural_person": 2, "commercial_enterprise": 1},
}


async def test_reporting_counts_its_cases_by_the_rules(engine):
    async with engine.begin() as conn:
        await store.create_version(conn, 1)
        await store.use(conn, 1)
        await conn.execute(text(
            """INSERT INTO cases (application_id, agency, applicant_type, received_on,
                                  concluded_on, outcome, extended, breached, on_the_spot)
               VALUES (:id, :agency, :t, :r, :c, :o,
                       false, false, false)"""),
            [{"id": uuid.uuid4(), "agency": agency, "t": t, "r": day(r), "c": day(c), "o": o}
             for agency in ("it-a", "it-b") for t, r, c, o in CASES])
        one = await store.year_cells(conn, ["it-a"], YEAR)
        both = await store.year_cells(conn, ["it-a", "it-b"], YEAR)
    assert one == EXPECTED
    assert both == {row: {c: 2 * n for c, n in columns.items()}
                    for row, columns in EXPECTED.items()}
    assert all(c["ok"] for c in report_rules.checks(report_rules.table3(one), None))


async def test_a_ledger_is_counted_by_the_same_rules_as_reporting(engine):
    """Intake compares the figures an agency published with what its ledger yields, counted in
    its own database by the same SQL: a published table equal to the count gives no warning, a
    changed cell gives one."""
    ledger = ("收到申请日期,申请方式,申请人类型,申请人,申请内容,处理结果,答复日期\n"
              "2024-01-02,当面,自然人,甲,某信息,予以公开,2024-01-05\n"
              "2024-12-30,当面,自然人,乙,某信息,,\n"
              "2023-12-28,信函,商业企业,丙公司,某信息,予以公开,2024-01-03\n").encode()
    counted = {"new": {"natural_person": 2}, "carried_over": {"commercial_enterprise": 1},
               "disclosed": {"natural_person": 1, "commercial_enterprise": 1},
               "carried_forward": {"natural_person": 1}}
    async with engine.connect() as conn:
        rows = check_ledger(ledger, "ledger.csv", None, today=date(2025, 1, 10)).rows
        cases = json.dumps([{"applicant_type": r.applicant_type.value,
                             "received_on": r.received_on.isoformat(),
                             "concluded_on": r.replied_on and r.replied_on.isoformat(),
                             "outcome": r.outcome} for r in rows])
        found = report_rules.cells(await conn.execute(
            ledger_checks._LEDGER_CELLS,
            {"cases": cases, "jan1": date(YEAR, 1, 1), "dec31": date(YEAR, 12, 31)}))
        assert found == counted
        same = check_ledger(ledger, "ledger.csv", published(counted), today=date(2025, 1, 10))
        assert await ledger_checks.warnings(conn, same) == []
        counted["new"]["natural_person"] = 3
        counted["carried_forward"]["natural_person"] = 2  # still balanced: only the count differs
        other = check_ledger(ledger, "ledger.csv", published(counted), today=date(2025, 1, 10))
        warnings = await ledger_checks.warnings(conn, other)
    assert any("公布为3，系统根据台账计算为2" in w for w in warnings), warnings


def day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def published(cells: dict[str, dict[str, int]]) -> bytes:
    """Published table-三 figures (CSV, shared/published.py) holding `cells` for 2024."""
    from shared.contracts.report_format import APPLICANT_COLUMNS, ROWS

    lines = ["year,row," + ",".join(APPLICANT_COLUMNS) + ",total"]
    table = report_rules.table3(cells)
    for row, columns in table.items():
        lines.append(f"{YEAR},{ROWS[row]}," + ",".join(str(columns[c]) for c in APPLICANT_COLUMNS)
                     + f",{columns['total']}")
    return ("\n".join(lines) + "\n").encode()
