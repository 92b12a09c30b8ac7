"""The counting rules (docs/domain.md#counting) and the check relations (勾稽关系,
docs/report-format.md#checks) over the tables of docs/report-format.md, pure and in memory:
reporting builds its documents with them, and intake checks a ledger about to be imported (and
the figures an agency published before) with the same rules.

Reporting counts the same way in SQL (services/reporting/adapters/store.py); `year_cells` here
serves data not yet in the system."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, Protocol

from shared.contracts.report_format import APPLICANT_COLUMNS, COLUMNS, OUTCOMES, ROWS

Cells = Mapping[str, Mapping[str, int]]  # row key -> applicant column -> count


class CaseFacts(Protocol):
    """What counting needs of one application (reporting's CaseRow has these attributes)."""

    @property
    def applicant_type(self) -> str: ...
    @property
    def received_on(self) -> date | None: ...
    @property
    def concluded_on(self) -> date | None: ...
    @property
    def outcome(self) -> str | None: ...


def year_cells(cases: Iterable[CaseFacts], year: int) -> dict[str, dict[str, int]]:
    jan1, dec31 = date(year, 1, 1), date(year, 12, 31)
    cells: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for c in cases:
        if c.received_on is None or c.received_on > dec31:
            continue
        concluded = c.concluded_on
        if c.received_on >= jan1:
            cells["new"][c.applicant_type] += 1
        elif concluded is None or concluded >= jan1:
            cells["carried_over"][c.applicant_type] += 1
        if concluded is not None and jan1 <= concluded <= dec31:
            cells[c.outcome][c.applicant_type] += 1
        if concluded is None or concluded > dec31:
            cells["carried_forward"][c.applicant_type] += 1
    return {row: dict(columns) for row, columns in cells.items()}


def table3(cells: Cells) -> dict[str, dict[str, int]]:
    """Every row and column present; the 总计 row and column are sums, never stored counts."""
    table: dict[str, dict[str, int]] = {}
    for row in ROWS:
        if row == "total":
            continue
        values = {c: int(cells.get(row, {}).get(c, 0)) for c in APPLICANT_COLUMNS}
        table[row] = {**values, "total": sum(values.values())}
    total = {c: sum(table[o][c] for o in OUTCOMES) for c in COLUMNS}
    return {r: (total if r == "total" else table[r]) for r in ROWS}


def _eq(ok: bool) -> str:
    return "＝" if ok else "≠"


def checks(t3: Mapping[str, Mapping[str, int]], previous_carried_forward: Mapping[str, int] | None,
           ) -> list[dict[str, Any]]:
    """Every check relation (勾稽关系, docs/report-format.md#checks) with its result; `detail`
    gives the figures in the words of the published form (第一项, 第二项 … as its note numbers the
    rows)."""
    results: list[dict[str, Any]] = []
    for c in COLUMNS:
        new, over = t3["new"][c], t3["carried_over"][c]
        done, forward = t3["total"][c], t3["carried_forward"][c]
        ok = new + over == done + forward
        results.append({"rule": "balance", "column": c, "ok": ok,
                        "detail": f"{new}＋{over}{_eq(ok)}{done}＋{forward}"})
        leaves = sum(t3[o][c] for o in OUTCOMES)
        results.append({"rule": "total_is_sum_of_outcomes", "column": c, "ok": leaves == done,
                        "detail": f"（七）总计{done}，{len(OUTCOMES)}种办理结果之和{leaves}"})
    for r in ROWS:
        parts = sum(t3[r][c] for c in APPLICANT_COLUMNS)
        results.append({"rule": "total_column_is_sum", "row": r, "ok": parts == t3[r]["total"],
                        "detail": f"总计{t3[r]['total']}，各类申请人之和{parts}"})
    if previous_carried_forward is not None:
        for c in COLUMNS:
            before, now = previous_carried_forward.get(c, 0), t3["carried_over"][c]
            results.append({"rule": "carried_over_equals_previous_carried_forward",
                            "column": c, "ok": before == now,
                            "detail": f"上年结转{now}，上一年度结转下年度继续办理{before}"})
    return results
