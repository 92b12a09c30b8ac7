"""Casework's HTTP API: cases, their history and how their due dates were computed."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from services.casework.adapters import projection
from shared import eventstore
from shared.http import Problem

router = APIRouter(prefix="/v1", tags=["cases"])


@router.get("/cases/{application_id}", summary="One case: status, receipt date, due date, history")
async def get_case(application_id: uuid.UUID, request: Request) -> dict[str, Any]:
    async with request.app.state.runtime.engine.connect() as conn:
        case = await projection.get_case(conn, application_id)
        if case is None:
            raise Problem(404, "未找到该申请对应的案件", field="application_id")
        history = await eventstore.read_stream(conn, str(application_id), "casework")
    case["history"] = [
        {"type": e.type, "occurred_at": e.occurred_at.isoformat(), "actor": e.actor,
         "facts": e.payload}
        for e in history
    ]
    return case


@router.get("/cases", summary="An agency's open cases, earliest due date first")
async def list_cases(
    request: Request,
    agency: Annotated[str, Query(min_length=2, max_length=40)],
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    async with request.app.state.runtime.engine.connect() as conn:
        return await projection.list_open(conn, agency, limit)
