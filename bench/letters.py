"""Letters benchmark: notify's per-event work in-process, no servers. For N cases of the demo
city's 聊城市民政局 it times, per CPU-second of this process and per wall-clock second:
- `decode` (a case event's JSON payload as its typed event; also with the inbox's envelope
  parsed first, and from the payload's JSON text) and `fold` (into `CaseFacts`), per event;
- the history a consumed batch decodes and folds (`_facts_by_event` of
  services/notify/service_layer/handlers.py decodes the case's whole history for every event that
  arrives, so the work per event grows with the case: shown as events decoded per event);
- `compose` of the common letters (the acknowledgement every application gets, the replies,
  the correction, extension and fee notices), per letter;
- what notify keeps of a letter (its JSON and hash): `json.dumps(asdict(letter))`, as
  handlers._number_letters does, next to `Letter.content()`.
It also prints a digest of every composed letter (its stored JSON, as notify keeps it), so a
change to `compose` can be checked to keep each letter byte for byte. Prints; asserts nothing.

Run: `.venv/bin/python -m bench.letters [--cases N] [--repeat N] [--digest-only]`
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from bench._common import machine
from gongkai.city import DEMO_CITY, read_city
from services.casework.domain.commands import BASIS_BY_GROUND, GROUNDS
from services.casework.domain.commands import Context as CaseworkContext
from services.casework.domain.decide import from_intake
from services.casework.domain.outcomes import OUTCOMES
from services.notify.domain import letters
from shared.contracts.applications import Applicant, ApplicationSubmitted, RequestedInformation
from shared.contracts.cases import (
    CaseConcluded,
    CaseReceived,
    CorrectionRequested,
    DueDateBasis,
    DueDateSet,
    ExtensionApproved,
    FeeNoticeIssued,
)

AGENCY = next(a for a in read_city(DEMO_CITY) if a.agency_id == "lc-mzj")
TEMPLATES = letters.TemplateSource()
# The replies, roughly as often as the demo city's annual report sees them.
REPLIES = ("disclosed", "partially_disclosed", "withheld.third_party", "unable.not_held",
           "not_processed.duplicate", "disclosed", "unable.needs_creation", "disclosed")


def _due(app: uuid.UUID, received: date, on: date, rule: str, previous: date | None,
         extension: int = 0) -> DueDateSet:
    basis = DueDateBasis(rule=rule, counted_from=received, working_days=20,
                         extension_days=extension, provisional=on.year > 2026,
                         calendar="official 2004-2026, provisional beyond")
    return DueDateSet(application_id=app, due_on=on, previous_due_on=previous, basis=basis)


def _concluded(app: uuid.UUID, outcome: str, on: date) -> CaseConcluded:
    ground = GROUNDS.get(outcome, (None,))[0]
    return CaseConcluded(application_id=app, on=on, outcome=outcome, ground=ground,
                         legal_basis=BASIS_BY_GROUND[ground] if ground else OUTCOMES[outcome],
                         reply_text="发放名单中的个人身份证号码属于个人隐私，不予公开。"
                         if outcome == "partially_disclosed" else "")


def case_history(n: int) -> list[tuple[BaseModel, str]]:
    """Case n's events as casework records them, each with the letter it calls for ("" none):
    opened, received, due date (acknowledgement), then by n a correction, an extension or a
    fee notice, and a reply."""
    app = uuid.UUID(int=n + 1)
    received = date(2025, 9, 1) + timedelta(days=n % 90)
    submitted = ApplicationSubmitted(
        application_id=app, case_number=f"LCMZJ-2025-{n + 1:05d}",
        channel=("online", "in_person", "post_signed")[n % 3],
        submitted_at=datetime.fromisoformat(f"{received}T09:30:00+08:00"),
        applicant=Applicant(type="natural_person", name=f"申请人{n}", mobile="13800138000"),
        request=RequestedInformation(description=f"2024年度聊城市城乡最低生活保障资金发放情况（{n}）。",
                                     medium="paper", delivery=("post", "pickup", "email")[n % 3]))
    opened = from_intake(None, submitted, CaseworkContext(today=received, calendar=None))
    due = received + timedelta(days=28)
    events: list[tuple[BaseModel, str]] = [(e, "") for e in opened]
    events += [(CaseReceived(application_id=app, received_on=received), ""),
               (_due(app, received, due, "reply_period", None), "acknowledgement")]
    replied = received + timedelta(days=20)
    if n % 4 == 1:
        events.append((CorrectionRequested(
            application_id=app, on=received + timedelta(days=3), period_working_days=15,
            correct_by=received + timedelta(days=24), items=["请写明所需信息的年度范围"]),
            "correction_notice"))
    elif n % 4 == 2:
        events += [(ExtensionApproved(application_id=app, on=received + timedelta(days=25),
                                      working_days=20, approved_by="办公室主任",
                                      reason="所申请信息涉及多个年度的档案"), ""),
                   (_due(app, received, due + timedelta(days=28), "extension", due, 20),
                    "extension_notice")]
        replied = received + timedelta(days=40)
    elif n % 4 == 3:
        events.append((FeeNoticeIssued(
            application_id=app, on=received + timedelta(days=10), method="per_volume",
            pages=231, amount_yuan=Decimal("4300"), pay_by=received + timedelta(days=38),
            pauses_clock=True), "fee_notice"))
    outcome = REPLIES[n % len(REPLIES)]
    events.append((_concluded(app, outcome, replied), letters.reply_kind(outcome)))
    return events


def as_stored(event: BaseModel) -> dict[str, Any]:
    """An event as notify's inbox hands it to the fold: type, JSON payload, version."""
    return {"type": event.__event_type__, "payload": event.model_dump(mode="json"),  # type: ignore[attr-defined]
            "version": event.__event_version__}  # type: ignore[attr-defined]


REPEAT = 5


def timed(label: str, count: int, unit: str, work: Callable[[], Any]) -> float:
    """Run `work` REPEAT times; print the best run's µs per `unit` in CPU and wall time (the
    machine is shared: the best run is the least disturbed); return CPU µs per unit."""
    runs = []
    for _ in range(REPEAT):
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        runs.append((time.process_time() - cpu, time.perf_counter() - wall))
    cpu, wall = min(runs)
    print(f"{label:<52} {count:>7,} {unit + 's':<8} {cpu / count * 1e6:8.1f} µs CPU/{unit}"
          f"  ({wall / count * 1e6:.1f} µs wall)")
    return cpu / count * 1e6


def compose_all(jobs: list[tuple[str, letters.CaseFacts, date]]) -> list[letters.Letter]:
    return [letters.compose(kind, facts, AGENCY, dated, TEMPLATES, today=dated)
            for kind, facts, dated in jobs]


def digest(composed: list[letters.Letter]) -> str:
    """One hash of every letter as notify stores it (handlers._number_letters)."""
    h = hashlib.sha256()
    for letter in composed:
        h.update(json.dumps(asdict(letter), ensure_ascii=False, default=str,
                            sort_keys=True).encode())
    return h.hexdigest()[:16]


def kept(letter: letters.Letter) -> str:
    """What notify keeps of a letter, as handlers._number_letters writes it: the content and
    its hash."""
    content = json.dumps(asdict(letter), ensure_ascii=False, default=str, sort_keys=True)
    return hashlib.sha256(content.encode()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5,
                        help="runs of each measurement; the best is shown")
    parser.add_argument("--digest-only", action="store_true",
                        help="print the letters' digest and stop")
    args = parser.parse_args()
    global REPEAT
    REPEAT = args.repeat
    histories = [case_history(n) for n in range(args.cases)]
    stored = [[as_stored(e) for e, _ in h] for h in histories]
    jobs: list[tuple[str, letters.CaseFacts, date]] = []
    for history in histories:
        facts = letters.CaseFacts()
        for event, kind in history:
            facts = letters.fold(facts, event)
            if kind:
                jobs.append((kind, facts, letters.letter_date_of(event, facts) or date(2025, 9, 1)))
    composed = compose_all(jobs)
    print(f"letters digest: {digest(composed)} ({len(composed)} letters)")
    if args.digest_only:
        return
    print(f"machine: {machine()}")
    events = [e for h in stored for e in h]
    decoded = [letters.decode(e["type"], e["payload"], e["version"]) for e in events]
    print(f"{args.cases:,} cases, {len(events):,} events, {len(jobs):,} letters")
    timed("decode (JSON payload -> typed event)", len(events), "event",
          lambda: [letters.decode(e["type"], e["payload"], e["version"]) for e in events])
    # As the inbox stores it: the envelope's JSON text parsed whole, then the payload decoded,
    # next to the payload's own JSON text validated in one pass (`decode_payload` takes text).
    envelopes = [json.dumps({"event_id": str(uuid.uuid4()), "stream_id": "x", "agency": "lc-mzj",
                             "occurred_at": "2025-09-01T09:30:00+08:00", "actor": "system",
                             "correlation_id": str(uuid.uuid4()), **e}, ensure_ascii=False)
                 for e in events]
    payloads = [json.dumps(e["payload"], ensure_ascii=False) for e in events]
    timed("json.loads(envelope) + decode", len(events), "event",
          lambda: [letters.decode((e := json.loads(text))["type"], e["payload"], e["version"])
                   for text in envelopes])
    timed("decode from the payload's JSON text", len(events), "event",
          lambda: [letters.decode(e["type"], text, e["version"])
                   for e, text in zip(events, payloads, strict=True)])

    def fold_all() -> None:
        facts = letters.CaseFacts()
        for event in decoded:
            facts = letters.fold(facts, event)
    timed("fold (typed event -> CaseFacts)", len(decoded), "event", fold_all)

    # handlers._facts_by_event as each event of a case arrives in a batch of its own: the
    # case's history up to it decoded and folded again.
    prefixes = sum(i + 1 for h in stored for i in range(len(h)))

    def refold() -> None:
        for history in stored:
            for i in range(len(history)):
                facts = letters.CaseFacts()
                for e in history[:i + 1]:
                    event = letters.decode(e["type"], e["payload"], e["version"])
                    if event is not None:
                        facts = letters.fold(facts, event)
    print(f"history per arriving event: {prefixes / len(events):.1f} events decoded and folded")
    timed("whole history decoded+folded, per arriving event", len(events), "event", refold)
    by_kind: dict[str, list[tuple[str, letters.CaseFacts, date]]] = {}
    for job in jobs:
        by_kind.setdefault(job[0], []).append(job)
    total = timed("compose, all letters", len(jobs), "letter", lambda: compose_all(jobs))
    for kind, some in sorted(by_kind.items(), key=lambda kv: -len(kv[1])):
        timed(f"  compose {kind}", len(some), "letter", lambda some=some: compose_all(some))
    timed("kept: json.dumps(asdict(letter)) + sha256", len(composed), "letter",
          lambda: [kept(letter) for letter in composed])
    if hasattr(letters.Letter, "content"):
        timed("kept: letter.content() + sha256", len(composed), "letter",
              lambda: [hashlib.sha256(letter.content().encode()).hexdigest()
                       for letter in composed])
        same = all(letter.content() == json.dumps(asdict(letter), ensure_ascii=False,
                                                  default=str, sort_keys=True)
                   for letter in composed)
        print(f"letter.content() the same text as json.dumps(asdict(letter)): {same}")
    print(f"compose per application ({len(jobs) / args.cases:.2f} letters each): "
          f"{total * len(jobs) / args.cases:.0f} µs CPU")


if __name__ == "__main__":
    main()
