"""The counting rules of DOMAIN §8 over facts per case, in memory. The service counts the same
way in SQL (adapters/store.py); this version serves checks of data not yet in the system, such
as a ledger about to be imported, and tests hold the two to the same figures."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from services.reporting.domain.projection import CaseRow


def year_cells(cases: Iterable[CaseRow], year: int) -> dict[str, dict[str, int]]:
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
