"""Notify's HTTP API: what was sent for a case, and the development SMS sink."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from services.notify.adapters import store
from services.notify.adapters.sms import dev_outbox

router = APIRouter(prefix="/v1", tags=["messages"])


@router.get("/cases/{application_id}/messages", summary="Messages sent about a case")
async def case_messages(application_id: uuid.UUID, request: Request) -> list[dict[str, Any]]:
    async with request.app.state.runtime.engine.connect() as conn:
        return await store.messages_for(conn, application_id)


@router.get("/dev/sms", summary="Messages the development SMS sink has delivered")
async def dev_sms(
    request: Request, recipient: Annotated[str | None, Query(max_length=20)] = None
) -> list[dict[str, Any]]:
    async with request.app.state.runtime.engine.connect() as conn:
        return await dev_outbox(conn, recipient)
