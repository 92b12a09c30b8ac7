"""Casework's use cases: react to intake's facts, carry out staff commands, sweep lapses, load
the calendar. Each runs in one transaction: load the case's facts, decide, append, project."""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from prometheus_client import Counter
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.casework.adapters import calendar_store, projection
from services.casework.domain.available import available
from services.casework.domain.case import Case, evolve
from services.casework.domain.commands import Command, Context, IssueFeeNotice, Sweep
from services.casework.domain.decide import OutOfOrder, decide, from_intake, recompute
from services.casework.domain.notice import Notice
from shared import eventstore
from shared.auth import Staff
from shared.clock import Clock, local_date
from shared.contracts import CASES_TOPIC
from shared.contracts.agencies import AgencyConfigured, AgencyPolicies
from shared.contracts.cases import CaseOpened, DeadlineBreached, DeadlineBreachWithdrawn
from shared.db import transaction_memo
from shared.events import Envelope, new_event
from shared.inbox import NotReady, Unprocessable
from shared.refusals import Reason, Refused

log = logging.getLogger(__name__)

SERVICE = "casework"
calendars = calendar_store.CalendarCache()
BREACHED = Counter("gongkai_deadlines_breached_total", "Due dates passed without a reply",
                   ["agency"])
# A breach that facts entered later undo; breaches standing = breached_total − withdrawn_total.
BREACH_WITHDRAWN = Counter("gongkai_deadline_breaches_withdrawn_total",
                           "Recorded breaches withdrawn: later facts showed the deadline was met",
                           ["agency"])


class Loaded:
    """A case's stream as read in this transaction."""

    def __init__(self, history: list[Envelope], policies: AgencyPolicies) -> None:
        self.history = history
        self.policies = policies
        self.edges = (policies.pause_includes_dispatch_day, policies.pause_includes_answer_day)
        self.case: Case | None = None
        self.applicant_name = ""
        for envelope in history:
            self.apply(envelope.body())

    def apply(self, fact: BaseModel) -> None:
        self.case = evolve(self.case, fact, pause_edges=self.edges)
        if isinstance(fact, CaseOpened):
            self.applicant_name = fact.applicant_name


async def _policies(conn: AsyncConnection, agency: str) -> AgencyPolicies:
    memo = transaction_memo(conn)
    if ("policies", agency) not in memo:
        config = await projection.get_agency(conn, agency)
        if config is None:
            raise NotReady(f"agency {agency} not yet known to casework")
        memo["policies", agency] = AgencyConfigured.model_validate(config).policies
    return memo["policies", agency]


async def _context(conn: AsyncConnection, today: date, policies: AgencyPolicies,
                   staff: Staff | None = None) -> Context:
    """What `decide` knows besides the case: the business date, the working calendar, the
    agency's policies, and who acts (the system, when no staff member does)."""
    calendar = await calendars.get(conn)
    if staff is None:
        return Context(today=today, calendar=calendar, policies=policies)
    return Context(today=today, calendar=calendar, policies=policies, actor=staff.user,
                   roles=frozenset(r.value for r in staff.roles))


async def _load(conn: AsyncConnection, stream: str, agency: str) -> Loaded:
    history = await eventstore.read_stream(conn, stream, SERVICE)
    return Loaded(history, await _policies(conn, agency))


def _numbered(loaded: Loaded, facts: list[BaseModel], *, agency: str, at: datetime, actor: str,
              correlation: uuid.UUID, causation: uuid.UUID | None = None) -> list[Envelope]:
    """The facts as the stream's next events, folded into `loaded`."""
    if not facts:
        return []
    stream = str(facts[0].application_id)
    events = [new_event(fact, stream_id=stream, stream_position=len(loaded.history) + i + 1,
                        agency=agency, occurred_at=at, actor=actor, correlation_id=correlation,
                        causation_id=causation, source=SERVICE)
              for i, fact in enumerate(facts)]
    for fact in facts:
        loaded.apply(fact)
    loaded.history.extend(events)
    return events


async def _record(conn: AsyncConnection, loaded: Loaded, facts: list[BaseModel], *, agency: str,
                  at: datetime, actor: str, correlation: uuid.UUID,
                  causation: uuid.UUID | None = None) -> None:
    events = _numbered(loaded, facts, agency=agency, at=at, actor=actor,
                       correlation=correlation, causation=causation)
    if not events:
        return
    await eventstore.append(conn, events, CASES_TOPIC)
    await projection.save(conn, loaded.case, agency, loaded.applicant_name, at)
    _count_withdrawals(events)


def _count_withdrawals(events: list[Envelope]) -> None:
    for event in events:
        if event.type == DeadlineBreachWithdrawn.__event_type__:  # type: ignore[attr-defined]
            BREACH_WITHDRAWN.labels(event.agency).inc()


async def on_application_event(conn: AsyncConnection, envelope: Envelope, clock: Clock) -> None:
    """One event (the inbox applies a refused batch event by event): a batch of one, so intake's
    facts have one path into a case."""
    await on_application_events(conn, [envelope], clock)


async def on_application_events(conn: AsyncConnection, envelopes: list[Envelope],
                                clock: Clock) -> None:
    """A consumed batch at once: each event decided against its case as the earlier ones left
    it, the batch's streams read in one query and its new events appended in one statement."""
    histories = await eventstore.read_streams(conn, {e.stream_id for e in envelopes}, SERVICE)
    today = local_date(clock.now())
    loaded: dict[str, Loaded] = {}
    touched: dict[str, tuple[str, datetime]] = {}
    recorded: list[Envelope] = []
    for envelope in envelopes:
        case = loaded.get(envelope.stream_id)
        if case is None:
            case = loaded[envelope.stream_id] = Loaded(
                histories[envelope.stream_id], await _policies(conn, envelope.agency))
        ctx = await _context(conn, today, case.policies)
        try:
            facts = from_intake(case.case, envelope.body(), ctx)
        except (OutOfOrder, Refused) as exc:
            raise Unprocessable(str(exc)) from exc  # the inbox retries the batch one by one
        events = _numbered(case, facts, agency=envelope.agency, at=envelope.occurred_at,
                           actor="system", correlation=envelope.correlation_id,
                           causation=envelope.event_id)
        if events:
            recorded.extend(events)
            touched[envelope.stream_id] = (envelope.agency, envelope.occurred_at)
    await eventstore.append(conn, recorded, CASES_TOPIC)
    _count_withdrawals(recorded)
    await projection.save_many(conn, [(loaded[stream].case, agency, loaded[stream].applicant_name,
                                       at) for stream, (agency, at) in touched.items()])


async def on_agency_event(conn: AsyncConnection, envelope: Envelope) -> None:
    agency = envelope.body()
    assert isinstance(agency, AgencyConfigured)
    await projection.put_agency(conn, agency.agency_id, agency.model_dump(mode="json"))


async def command(engine: AsyncEngine, clock: Clock, application_id: uuid.UUID, cmd: Command,
                  staff: Staff) -> dict[str, Any]:
    """Carry out a staff command on a case; returns the case as it now stands."""
    async with engine.begin() as conn:
        found = await projection.row(conn, application_id)
        if found is None or not staff.can_act_for(found["agency"]):
            # Another agency's case is reported as absent, so nothing about it is revealed.
            raise Refused("未找到该案件", reason=Reason.NOT_FOUND, field="application_id")
        agency = found["agency"]
        loaded = await _load(conn, str(application_id), agency)
        now = clock.now()
        ctx = await _context(conn, local_date(now), loaded.policies, staff)
        if (isinstance(cmd, IssueFeeNotice) and cmd.method == "per_item"
                and loaded.case.received_on is not None):
            cmd = replace(cmd, nth_this_month=await projection.nth_this_month(
                conn, agency, loaded.case))
        facts = decide(loaded.case, cmd, ctx)
        await _record(conn, loaded, facts, agency=agency, at=now, actor=staff.user,
                      correlation=uuid.uuid4())
        log.info("case %s: %s by %s -> %s", application_id, type(cmd).__name__, staff.user,
                 [type(f).__name__ for f in facts])
        return await projection.row(conn, application_id)


async def actions(conn: AsyncConnection, clock: Clock, agency: str, history: list[Envelope],
                  staff: Staff) -> list[str]:
    """The commands `staff` may send on the case today (what the console offers)."""
    loaded = Loaded(history, await _policies(conn, agency))
    if loaded.case is None:
        return []
    return available(loaded.case, await _context(conn, local_date(clock.now()), loaded.policies,
                                                 staff))


async def sweep(engine: AsyncEngine, clock: Clock, limit: int = 500) -> int:
    """Record every lapse that time has brought (correction and fee periods, consultations,
    breached deadlines). Returns the number of cases changed."""
    now = clock.now()
    today = local_date(now)
    async with engine.connect() as conn:
        due = await projection.due_for_sweep(conn, today, limit)
    changed = 0
    for application_id in due:
        async with engine.begin() as conn:
            found = await projection.row(conn, application_id)
            loaded = await _load(conn, str(application_id), found["agency"])
            ctx = await _context(conn, today, loaded.policies)
            facts = decide(loaded.case, Sweep(), ctx)
            await _record(conn, loaded, facts, agency=found["agency"], at=now, actor="system",
                          correlation=uuid.uuid4())
            changed += bool(facts)
        for fact in facts:
            if isinstance(fact, DeadlineBreached):
                BREACHED.labels(found["agency"]).inc()
    return changed


async def load_notice(engine: AsyncEngine, clock: Clock, notice: Notice, staff: Staff,
                      ) -> dict[str, Any]:
    """Load or correct a year's notice, then recompute every open case whose due date moves;
    each change is a DueDateSet event with the old and the new date."""
    now = clock.now()
    async with engine.begin() as conn:
        await calendar_store.store_notice(conn, notice, loaded_by=staff.user)
        moved = []
        for application_id in await projection.open_case_ids(conn):
            found = await projection.row(conn, application_id)
            loaded = await _load(conn, str(application_id), found["agency"])
            facts = recompute(loaded.case, await _context(conn, local_date(now), loaded.policies))
            await _record(conn, loaded, facts, agency=found["agency"], at=now,
                          actor=staff.user, correlation=uuid.uuid4())
            if facts:
                moved.append({"application_id": str(application_id),
                              "case_number": found["case_number"],
                              "from": found["due_on"], "to": facts[0].due_on.isoformat()
                              if facts[0].due_on else None})
    log.info("calendar %d loaded by %s (%s); %d open cases moved", notice.year, staff.user,
             notice.title, len(moved))
    return {"year": notice.year, "source": notice.title, "moved": moved}
