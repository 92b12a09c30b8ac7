"""Notify's HTTP API: the letters and messages of a case, letter PDFs, re-sending on purpose,
the messages that need a person, and (in development mode, to staff) what the development
sinks received."""

# No `from __future__ import annotations`: FastAPI must see the real types in the closures.
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel

from services.notify.adapters import store
from services.notify.service_layer import sending
from shared.auth import Role, Staff, require_agency, require_role
from shared.http import Problem
from shared.runtime import Runtime

CITY = "city"  # every agency's, for city administrators (as casework's queues)
# Why an 'unknown' message is listed: its own last_error, if any, is from an earlier try.
INTERRUPTED = ("发送过程中断（服务在短信或邮件服务商处理期间停止），无法确定对方是否已收到；"
               "系统不会自动重发")


class Resend(BaseModel):
    channel: Literal["email", "sms"] = "email"


def _attention_item(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "reason": INTERRUPTED if row["status"] == "unknown" else row["last_error"]}


def router(runtime: Runtime, *, dev_sinks: bool, sms_provider_of: Any,
           email_provider: str) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["letters and messages"])
    staff_dep = Annotated[Staff, Depends(runtime.staff)]

    async def case_agency(conn, application_id: uuid.UUID, staff: Staff) -> Any:
        recipient = await store.get_recipient(conn, application_id)
        if recipient is None or not staff.can_act_for(recipient.agency):
            raise Problem(404, "未找到该案件", field="application_id")
        return recipient

    @api.get("/cases/{application_id}/letters", summary="Letters of a case")
    async def case_letters(application_id: uuid.UUID, staff: staff_dep) -> list[dict[str, Any]]:
        async with runtime.engine.connect() as conn:
            await case_agency(conn, application_id, staff)
            return await store.letters_for(conn, application_id)

    @api.get("/cases/{application_id}/messages", summary="SMS and e-mail about a case")
    async def case_messages(application_id: uuid.UUID, staff: staff_dep,
                            ) -> list[dict[str, Any]]:
        async with runtime.engine.connect() as conn:
            await case_agency(conn, application_id, staff)
            return await store.messages_for(conn, application_id)

    @api.get("/letters/{letter_id}.pdf", summary="A letter as printable PDF (A4)",
             response_class=Response)
    async def letter_pdf(letter_id: int, staff: staff_dep) -> Response:
        async with runtime.engine.connect() as conn:
            row = await store.get_letter(conn, letter_id)
        if row is None or not staff.can_act_for(row.agency):
            raise Problem(404, "未找到该文书", field="letter_id")
        try:
            name, pdf = await sending.pdf_of(runtime.engine, letter_id)
        except sending.LetterErased:
            raise Problem(410, "该文书的内容已按个人信息保存期限删除", field="letter_id") from None
        return Response(pdf, media_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{name}"'})

    @api.post("/letters/{letter_id}/resend", status_code=202,
              summary="Send a letter again, on purpose (a new, logged message)")
    async def resend(letter_id: int, body: Resend, staff: staff_dep) -> dict[str, Any]:
        require_role(staff, Role.CASEWORKER, Role.APPROVER)
        async with runtime.engine.begin() as conn:
            row = await store.get_letter(conn, letter_id)
            if row is None or not staff.can_act_for(row.agency):
                raise Problem(404, "未找到该文书", field="letter_id")
            recipient = await store.get_recipient(conn, row.application_id)
            address = recipient.email if body.channel == "email" else recipient.mobile
            if not address:
                raise Problem(409, "申请人未留有该联系方式", field="channel")
            act = uuid.uuid4()
            agency = await store.get_agency(conn, row.agency)
            provider = email_provider if body.channel == "email" else sms_provider_of(agency)
            await store.queue_message(
                conn, event_id=act, template=f"resend:{row.kind}",
                application_id=row.application_id, agency=row.agency, channel=body.channel,
                recipient=address, subject=f"（重发）{row.kind}",
                body=f"{recipient.name}：{row.kind}文书重发，见附件。" if body.channel == "email"
                else f"您的政府信息公开申请（受理编号{recipient.case_number}）相关文书已重新发送。",
                provider=provider, letter_id=row.id if body.channel == "email" else None,
                requested_by=staff.user)
        return {"resent": True, "act": str(act), "channel": body.channel}

    @api.get("/attention/{agency}", tags=["attention"],
             summary="Messages that need a person: failed, or of unknown fate "
                     "(`city`: every agency's, for city administrators)")
    async def attention(
        agency: str, staff: staff_dep, response: Response,
        status: Literal["failed", "unknown"] | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    ) -> dict[str, Any]:
        """What `gongkai_messages_needing_attention` counts, listed: messages `failed` (every try
        used, or an error no retry can fix; `reason` is the last error) and `unknown` (a send
        interrupted while the provider had it: it may have arrived, so it is never retried by
        itself). The latest first; `at` is when the last try began. `total` (also
        `X-Total-Count`) and `counts` cover the whole list, not just this page. A message stays
        listed after a person re-sends its letter (the re-sending is a new message)."""
        if agency == CITY:
            require_role(staff, Role.CITY_ADMIN)
        else:
            require_agency(staff, agency)
        scope = None if agency == CITY else agency
        async with runtime.engine.connect() as conn:
            counts = await store.attention_counts(conn, scope)
            rows = await store.needing_attention(conn, scope, status=status, limit=limit,
                                                 offset=offset)
        total = counts[status] if status else sum(counts.values())
        response.headers["X-Total-Count"] = str(total)
        return {"agency": agency, "total": total, "counts": counts,
                "messages": [_attention_item(r) for r in rows]}

    if dev_sinks:
        # Development mode only (bootstrap.dev_sinks_enabled), and even then what a staff member
        # sees is their own agency's: the sinks hold applicants' numbers, addresses and texts.
        def sink_scope(staff: Staff, agency: str | None) -> str | None:
            if agency is not None:
                require_agency(staff, agency)
                return agency
            if staff.agency is None:  # only a city administrator's token has none
                require_role(staff, Role.CITY_ADMIN)
            return None if Role.CITY_ADMIN in staff.roles else staff.agency

        agency_query = Annotated[str | None, Query(
            min_length=2, max_length=40,
            description="Only this agency's (default: the reader's own; every agency's for a "
                        "city administrator)")]

        @api.get("/dev/sms", tags=["development"], summary="What the development SMS sink got")
        async def dev_sms(staff: staff_dep, agency: agency_query = None,
                          recipient: Annotated[str | None, Query(max_length=20)] = None,
                          ) -> list[dict[str, Any]]:
            scope = sink_scope(staff, agency)
            async with runtime.engine.connect() as conn:
                return await store.dev_outbox(conn, recipient, agency=scope)

        @api.get("/dev/email", tags=["development"], summary="What the development mail sink got")
        async def dev_email(staff: staff_dep, agency: agency_query = None,
                            recipient: Annotated[str | None, Query(max_length=254)] = None,
                            ) -> list[dict[str, Any]]:
            scope = sink_scope(staff, agency)
            async with runtime.engine.connect() as conn:
                return await store.dev_mailbox(conn, recipient, agency=scope)

    return api
