"""Which staff commands the law allows on a case today, for this user.

Each command is tried through `decide` itself with today's date and valid placeholder content:
what `decide` would refuse is not offered. So the console shows exactly the actions the domain
accepts, and the rules stay written in one place (decide.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from services.casework.domain import commands as c
from services.casework.domain.case import Case
from services.casework.domain.decide import decide
from shared.refusals import Refused

_PLACEHOLDER = "（可用性检查）"


def _probes(case: Case, ctx: c.Context, today: date) -> Iterator[tuple[str, c.Command]]:
    yield "receipt", c.ConfirmReceipt(today)
    yield "correction-notice", c.RequestCorrection(today, (_PLACEHOLDER,))
    yield "correction", c.ReceiveCorrection(today, _PLACEHOLDER)
    yield "extension", c.ApproveExtension(today, 20, _PLACEHOLDER)
    yield "consultations", c.StartConsultation(today, "third_party", _PLACEHOLDER)
    for pause in case.open_pauses:
        if pause.key.startswith("consultation:"):
            yield "consultation-answer", c.EndConsultation(today, pause.key.split(":", 1)[1])
    yield "fee-notice", c.IssueFeeNotice(today, "per_volume", pages=10_000)
    yield "fee-payment", c.RecordFeePayment(today)
    yield "reasons-request", c.RequestReasons(today, "")
    if case.due_on is not None:
        later = ctx.calendar.add_working_days(case.due_on, 1)
        yield "reasonable-due-date", c.SetReasonableDueDate(today, later, _PLACEHOLDER)
    yield "withdrawal", c.Withdraw(today)
    yield "decision", c.Decide(today, "unable.not_held")
    yield "reviews", c.FileReview(today, _PLACEHOLDER, "reconsideration", _PLACEHOLDER)
    for review_id, _, result in case.reviews:
        if result is None:
            yield "review-result", c.DecideReview(today, review_id, "upheld")


def available(case: Case, ctx: c.Context) -> list[str]:
    """The command paths (as in casework's HTTP API) `ctx`'s user may send, in order: allowed
    today, or back-dated to the case's last date (a notice sent on time but entered late)."""
    allowed: list[str] = []
    dates = [ctx.today] + ([case.last_on] if case.last_on and case.last_on < ctx.today else [])
    for on in dates:
        for name, command in _probes(case, ctx, on):
            if name in allowed:
                continue
            try:
                facts = decide(case, command, ctx)
            except Refused:
                continue
            if facts:  # what would record nothing (a receipt already confirmed) is no act
                allowed.append(name)
    order = list(dict.fromkeys(name for name, _ in _probes(case, ctx, ctx.today)))
    return sorted(allowed, key=order.index)
