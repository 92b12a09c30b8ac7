"""Messages a consumer set aside because they can never be applied (the inbox's dead letters):
every service that consumes lists its own, for city administrators, who see to them. The raw
message stays in the database; the list shows what it was and why it was set aside."""

# No `from __future__ import annotations`: FastAPI must see the real types in the closure.
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import text

from shared.auth import Role, Staff, require_role

REASON_SHOWN = 300  # characters: the reason is an exception's text, which can run long


def router(runtime: Any) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["operations"])

    @api.get("/dead-letters", summary="Consumed messages set aside as impossible to apply")
    async def dead_letters(
        staff: Annotated[Staff, Depends(runtime.staff)],
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> dict[str, Any]:
        require_role(staff, Role.CITY_ADMIN)
        async with runtime.engine.connect() as conn:
            total = (await conn.execute(text("SELECT count(*) FROM dead_letters"))).scalar_one()
            rows = await conn.execute(
                text("""SELECT id, topic, event_id, left(reason, :cut) AS reason, recorded_at
                        FROM dead_letters ORDER BY id DESC LIMIT :n"""),
                {"cut": REASON_SHOWN, "n": limit})
            letters = [dict(r._mapping) for r in rows]
        return {"service": runtime.service, "total": total, "letters": letters}

    return api
