"""Staff look at an applicant's identity document; every look is recorded.

Only staff of the application's own agency see it: not another agency's, and not a city
administrator for the city as a whole (the document is needed to handle the case, which only the
agency does). Whoever may not see it is told the same as when there is none."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import asyncpg

from services.intake.adapters import id_documents
from services.intake.adapters.id_documents import StoredDocument
from shared.auth import Staff
from shared.clock import Clock
from shared.refusals import Reason, Refused

log = logging.getLogger(__name__)

NO_DOCUMENT = "未找到该申请的证件材料"
NO_APPLICATION = "未找到该申请"


def _may_see(staff: Staff, agency: str | None) -> bool:
    return agency is not None and staff.agency == agency


async def view(pool: asyncpg.Pool, clock: Clock, staff: Staff,
               application_id: uuid.UUID) -> StoredDocument:
    """The document with its bytes; the view is committed before anything is shown."""
    async with pool.acquire() as conn, conn.transaction():
        document = await id_documents.find(conn, application_id, content=True)
        if document is None or not _may_see(staff, document.agency_id):
            if document is not None:
                log.warning("id document of application %s refused to %s (agency %s)",
                            application_id, staff.user, staff.agency or "city")
            raise Refused(NO_DOCUMENT, reason=Reason.NOT_FOUND, field="application_id")
        await id_documents.record_view(conn, document, staff.user, clock.now())
    log.info("id document %s of application %s viewed by %s", document.document_id,
             application_id, staff.user)
    return document


async def views(pool: asyncpg.Pool, staff: Staff, application_id: uuid.UUID) -> dict[str, Any]:
    """Whether the application has a document, and who viewed it when; records nothing."""
    async with pool.acquire() as conn:
        document = await id_documents.find(conn, application_id)
        agency = (document.agency_id if document is not None
                  else await id_documents.agency_of_application(conn, application_id))
        if not _may_see(staff, agency):
            raise Refused(NO_APPLICATION, reason=Reason.NOT_FOUND, field="application_id")
        seen = await id_documents.views(conn, application_id) if document is not None else []
    return {
        "document": None if document is None else {
            "media_type": document.media_type, "size": document.size,
            "received_at": document.received_at},
        "views": [{"user": v.user, "at": v.at} for v in seen],
    }
