"""The annual report document of REPORT_FORMAT.md and the relations it must satisfy (DOMAIN §8)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from shared.contracts.report_format import (  # noqa: F401 - re-exported for readers
    APPLICANT_COLUMNS,
    COLUMNS,
    FORMAT,
    OUTCOMES,
    ROWS,
    TABLE2,
    TABLE4_COLUMNS,
    TABLE4_GROUPS,
)

Cells = Mapping[str, Mapping[str, int]]  # row key -> applicant column -> count


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


def checks(t3: Mapping[str, Mapping[str, int]], previous_carried_forward: Mapping[str, int] | None,
           ) -> list[dict[str, Any]]:
    """Every relation of DOMAIN §8 with its result (勾稽关系)."""
    results: list[dict[str, Any]] = []
    for c in COLUMNS:
        new, over = t3["new"][c], t3["carried_over"][c]
        done, forward = t3["total"][c], t3["carried_forward"][c]
        results.append({"rule": "balance", "column": c, "ok": new + over == done + forward,
                        "detail": f"{new} + {over} = {done} + {forward}"})
        leaves = sum(t3[o][c] for o in OUTCOMES)
        results.append({"rule": "total_is_sum_of_outcomes", "column": c, "ok": leaves == done,
                        "detail": f"sum of 21 outcome rows {leaves} = {done}"})
    for r in ROWS:
        parts = sum(t3[r][c] for c in APPLICANT_COLUMNS)
        results.append({"rule": "total_column_is_sum", "row": r, "ok": parts == t3[r]["total"],
                        "detail": f"{parts} = {t3[r]['total']}"})
    if previous_carried_forward is not None:
        for c in COLUMNS:
            before, now = previous_carried_forward.get(c, 0), t3["carried_over"][c]
            results.append({"rule": "carried_over_equals_previous_carried_forward",
                            "column": c, "ok": before == now, "detail": f"{now} = {before}"})
    return results


def table4(cells: Cells) -> dict[str, dict[str, int]]:
    groups = {}
    for group in TABLE4_GROUPS:
        values = {c: int(cells.get(group, {}).get(c, 0)) for c in TABLE4_COLUMNS if c != "total"}
        groups[group] = {**values, "total": sum(values.values())}
    return groups


def table2(entries: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The agency's entered figures; for the city, the sum of its agencies' entries."""
    summed: dict[str, Any] = {k: dict.fromkeys(v, 0) for k, v in TABLE2.items()}
    fees = Decimal("0")
    for entry in entries:
        for key, figures in TABLE2.items():
            for figure in figures:
                summed[key][figure] += int(entry.get(key, {}).get(figure, 0))
        fees += Decimal(str(entry.get("fees", {}).get("amount_10k_yuan", "0")))
    summed["fees"] = {"amount_10k_yuan": str(fees.normalize()) if fees else "0"}
    return summed


def document(
    *,
    year: int,
    agency: str,
    agencies: list[str],
    cells: Cells,
    previous_carried_forward: Mapping[str, int] | None,
    generated_at: datetime,
    as_of_event: int,
    review_cells: Cells | None = None,
    table2_entries: list[Mapping[str, Any]] | None = None,
    fees_collected_yuan: Decimal = Decimal("0"),
) -> dict[str, Any]:
    t3 = table3(cells)
    return {
        "format": FORMAT,
        "year": year,
        "agency": agency,
        "agencies": agencies,
        "generated_at": generated_at.isoformat(),
        "as_of_event": as_of_event,
        "table3": t3,
        "table4": table4(review_cells or {}),
        "table2": table2(table2_entries or []),
        "fees_collected_yuan": f"{Decimal(fees_collected_yuan):.2f}",
        "checks": checks(t3, previous_carried_forward),
    }
