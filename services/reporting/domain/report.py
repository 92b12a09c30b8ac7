"""The annual report document of docs/report-format.md and the check relations it must satisfy
(docs/report-format.md#checks)."""

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
from shared.report_rules import Cells, checks, table3  # noqa: F401 - shared with intake's import


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
    handling: dict[str, Any] | None = None,
) -> dict[str, Any]:
    t3 = table3(cells)
    doc = {
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
    if handling is not None:  # how the year's applications were handled (domain/handling.py)
        doc["handling"] = handling
    return doc
