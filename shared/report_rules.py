"""The counting rules (docs/domain.md#counting) and the check relations (勾稽关系,
docs/report-format.md#checks) over the tables of docs/report-format.md: reporting builds its
documents with them, and intake checks a ledger about to be imported (and the figures an agency
published before) with the same rules.

Counting is SQL, written once here: reporting counts its projection's cases with it and intake
the rows of a ledger it holds, each in its own database. For a city's year (100,000 cases)
counting in the database is several times faster than fetching the rows into Python
(bench/accept.py)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from shared.contracts.report_format import APPLICANT_COLUMNS, COLUMNS, OUTCOMES, ROWS

Cells = Mapping[str, Mapping[str, int]]  # row key -> applicant column -> count


def cells_sql(cases: str, *, materialized: bool) -> str:
    """Table 三's cells of the year :jan1–:dec31 as (row key, applicant column, count), over
    `cases`: SQL for a relation with applicant_type, received_on, concluded_on and outcome.

    Each row is counted by its own condition, never derived from another row's count, so the
    check relations test the data: new (received in the year), carried over (received before
    it, not concluded before it), each outcome (concluded in the year, whenever received),
    carried forward (received by 31 December, not concluded by then). A case without a receipt
    date is counted nowhere. One scan per row: for reporting's indexed table, four index scans
    are twice as fast as one pass classifying every case (bench/accept.py). `materialized`:
    whether `cases` is computed once for the four (rows parsed from JSON) or merged into each
    scan (a table, so that each uses its index)."""
    return f"""WITH counted AS {"" if materialized else "NOT "}MATERIALIZED ({cases})
       SELECT 'new' AS row, applicant_type, count(*) AS n FROM counted
         WHERE received_on BETWEEN :jan1 AND :dec31
         GROUP BY applicant_type
       UNION ALL
       SELECT 'carried_over', applicant_type, count(*) FROM counted
         WHERE received_on < :jan1 AND (concluded_on IS NULL OR concluded_on >= :jan1)
         GROUP BY applicant_type
       UNION ALL
       SELECT outcome, applicant_type, count(*) FROM counted
         WHERE received_on IS NOT NULL AND concluded_on BETWEEN :jan1 AND :dec31
         GROUP BY outcome, applicant_type
       UNION ALL
       SELECT 'carried_forward', applicant_type, count(*) FROM counted
         WHERE received_on <= :dec31 AND (concluded_on IS NULL OR concluded_on > :dec31)
         GROUP BY applicant_type"""


def cells(counted: Iterable[tuple[str, str, int]]) -> dict[str, dict[str, int]]:
    """`cells_sql`'s rows as row key -> applicant column -> count."""
    found: dict[str, dict[str, int]] = {}
    for row, column, n in counted:
        found.setdefault(row, {})[column] = n
    return found


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
