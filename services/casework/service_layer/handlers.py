"""Casework's reactions to events from intake, and its queries."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from services.casework.adapters import projection
from services.casework.domain.calendar import WorkingCalendar
from services.casework.domain.case import OutOfOrder, decide, fold
from shared import eventstore
from shared.contracts import CASES_TOPIC
from shared.contracts.agencies import AgencyConfigured
from shared.events import Envelope, new_event
from shared.inbox import Unprocessable

SERVICE = "casework"


async def on_application_event(
    conn: AsyncConnection, envelope: Envelope, calendar: WorkingCalendar
) -> None:
    """Open the case or start its clock; what the case already knows is decided again as nothing."""
    history = await eventstore.read_stream(conn, envelope.stream_id, SERVICE)
    state = fold([e.body() for e in history])
    try:
        facts = decide(state, envelope.body(), calendar)
    except OutOfOrder as exc:
        raise Unprocessable(str(exc)) from exc
    events = [
        new_event(
            fact,
            stream_id=envelope.stream_id,
            stream_position=len(history) + i + 1,
            agency=envelope.agency,
            occurred_at=envelope.occurred_at,
            actor="system",
            correlation_id=envelope.correlation_id,
            causation_id=envelope.event_id,
            source=SERVICE,
        )
        for i, fact in enumerate(facts)
    ]
    await eventstore.append(conn, events, CASES_TOPIC)
    for event, fact in zip(events, facts, strict=True):
        await projection.project(conn, event.agency, fact, event.occurred_at)


async def on_agency_event(conn: AsyncConnection, envelope: Envelope) -> None:
    agency = envelope.body()
    assert isinstance(agency, AgencyConfigured)
    await projection.put_agency(conn, agency.agency_id, agency.model_dump(mode="json"))
