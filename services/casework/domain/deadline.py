"""Due dates from their inputs (Art. 30, 32–35). Pure: the same inputs and calendar always give
the same date, which is what lets a calendar reload recompute every open case.

due = the (20 + extension + paused) -th working day after the start of the reply period,
where the period starts at receipt, or again at the receipt of the correction; paused days are
the working days inside closed pauses (consultations, an unpaid fee when the agency's policy
says so). Adding working days composes (add(add(d, a), b) == add(d, a + b)), so the order in
which extension and pauses happened does not matter.
"""

from __future__ import annotations

from collections.abc import Iterable

from services.casework.domain.calendar import WorkingCalendar
from services.casework.domain.case import Case, Pause
from shared.contracts.cases import DueDateBasis, DueDateSet

REPLY_PERIOD = 20  # Art. 33
MAX_EXTENSION = 20  # Art. 33
CORRECTION_NOTICE_WITHIN = 7  # Art. 30
CONSULTATION_PERIOD = 15  # Art. 32, 34
FEE_PAYMENT_PERIOD = 20  # fee rules (国办函〔2020〕109号)


def paused_working_days(pauses: Iterable[Pause], period_start, calendar: WorkingCalendar) -> int:
    """Working days inside the union of the closed pauses, counted only after the period began
    (overlapping pauses stop the clock once, not twice)."""
    spans = sorted((max(p.start_after, period_start), p.end) for p in pauses
                   if p.end is not None and p.end > max(p.start_after, period_start))
    total, current = 0, None
    for start, end in spans:
        if current and start <= current[1]:
            current = (current[0], max(current[1], end))
            continue
        if current:
            total += calendar.working_days_between(*current)
        current = (start, end)
    if current:
        total += calendar.working_days_between(*current)
    return total


def calendar_name(calendar: WorkingCalendar) -> str:
    years = sorted(calendar.official_years)
    return f"official {years[0]}-{years[-1]}, provisional beyond" if years else "provisional"


def due_date(case: Case, calendar: WorkingCalendar, rule: str) -> DueDateSet | None:
    """The case's due date as its facts now stand, or None if it equals the recorded one."""
    if case.concluded or case.period_start is None:
        return None
    if case.status == "awaiting_correction":
        due, basis = None, None
    elif case.set_due is not None:
        due = case.set_due
        basis = DueDateBasis(rule="art35_reasonable_date", counted_from=case.period_start,
                             working_days=0, set_date=due, provisional=calendar.is_provisional(due),
                             calendar=calendar_name(calendar))
    else:
        paused = paused_working_days(case.pauses, case.period_start, calendar)
        days = REPLY_PERIOD + case.extension_days + paused
        due = calendar.add_working_days(case.period_start, days)
        basis = DueDateBasis(
            rule=rule, counted_from=case.period_start, working_days=REPLY_PERIOD,
            extension_days=case.extension_days, paused_working_days=paused,
            provisional=calendar.is_due_provisional(case.period_start, due),
            calendar=calendar_name(calendar),
        )
    same_basis = case.due_basis is not None and basis is not None and (
        case.due_basis.model_dump(exclude={"rule"}) == basis.model_dump(exclude={"rule"}))
    if due == case.due_on and (same_basis or basis is None):
        return None
    return DueDateSet(application_id=case.application_id, due_on=due,
                      previous_due_on=case.due_on, basis=basis)
