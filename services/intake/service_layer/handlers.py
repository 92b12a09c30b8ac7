"""Intake's use cases: submit an application, configure the city's agencies."""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine

from services.intake.adapters import repository
from services.intake.adapters.id_documents import StoredDocument
from services.intake.domain.applicant_keys import applicant_keys, seal, unseal
from services.intake.domain.application import (
    RegistrationForm,
    SubmissionForm,
    case_number_prefix,
    check_as_of,
    identifying_number,
    identity,
    register,
    submit_online,
)
from services.intake.domain.id_document import IdDocumentFile
from shared import eventstore
from shared.auth import Role, Staff
from shared.clock import Clock, local_date
from shared.contracts import AGENCIES_TOPIC, APPLICATIONS_TOPIC
from shared.contracts.agencies import AgencyConfigured
from shared.contracts.applications import (
    ACCESS_CODE_ALPHABET,
    IdDocumentRef,
    access_code_hash,
)
from shared.events import new_event
from shared.refusals import Reason, Refused

log = logging.getLogger(__name__)

SERVICE = "intake"


@dataclass(frozen=True)
class Accepted:
    """What the applicant is told of an accepted application: its id, case number, agency,
    channel, status, dates and the access code (shown once). The idempotency record keeps it,
    so a retry with the same key is told the same (`replayed`)."""

    receipt: dict[str, Any]
    replayed: bool = False


def _request_hash(form: BaseModel, document: IdDocumentFile | None) -> str:
    """What an Idempotency-Key is held to: the form, and the identity document's content if
    one was given (without one, the hash is what it always was)."""
    digest = hashlib.sha256(form.model_dump_json().encode())
    if document is not None:
        digest.update(f"\nid_document:{document.sha256}".encode())
    return digest.hexdigest()


async def submit_application(
    store: repository.Store,
    clock: Clock,
    form: SubmissionForm,
    *,
    idempotency_key: str | None,
    id_document: IdDocumentFile | None = None,
) -> Accepted:
    """Record an online application from the public (with the scan or photo of the applicant's
    identity document, when one was given)."""

    def facts(agency: AgencyConfigured, application_id: uuid.UUID, number: str, now: datetime):
        return submit_online(form, agency, application_id=application_id, number=number, now=now,
                             keys=applicant_keys(identifying_number(form), store.key_ring))

    return await _accept(store, clock, form, facts, idempotency_key=idempotency_key,
                         actor="public", document=id_document)


async def register_application(
    store: repository.Store,
    clock: Clock,
    form: RegistrationForm,
    staff: Staff,
    *,
    idempotency_key: str | None,
    id_document: IdDocumentFile | None = None,
) -> Accepted:
    """Record an application staff received in person, by post, fax or e-mail (with a copy of
    the applicant's identity document, when one came with it)."""
    if not staff.has(Role.REGISTRAR, Role.CASEWORKER, Role.APPROVER):
        raise Refused("当前角色无权登记申请", reason=Reason.FORBIDDEN)
    if not staff.can_act_for(form.agency):
        raise Refused("无权为其他行政机关登记申请", reason=Reason.FORBIDDEN, field="agency")

    def facts(agency: AgencyConfigured, application_id: uuid.UUID, number: str, now: datetime):
        return register(form, application_id=application_id, number=number, now=now,
                        registrar=staff.user,
                        keys=applicant_keys(identifying_number(form), store.key_ring))

    return await _accept(store, clock, form, facts, idempotency_key=idempotency_key,
                         actor=staff.user, document=id_document)


async def _accept(store: repository.Store, clock: Clock,
                  form: SubmissionForm | RegistrationForm, facts_of, *,
                  idempotency_key: str | None, actor: str,
                  document: IdDocumentFile | None = None) -> Accepted:
    """Answer 'accepted' only after the facts are committed (invariant 1,
    docs/architecture.md#invariants), with the identity document if one was given."""
    now = clock.now()
    check_as_of(form, local_date(now))
    request_hash = _request_hash(form, document)
    year = local_date(now).year
    fresh = False
    while True:
        found = await store.agencies.get(form.agency, fresh=fresh)
        if found is None:
            raise Refused(f"未找到行政机关“{form.agency}”", reason=Reason.INVALID, field="agency")
        version, agency = found
        application_id = uuid.uuid4()
        # The number is drawn inside the storing statement; the facts carry a placeholder
        # that the statement replaces, so a refused or failed submission uses up no number.
        facts = facts_of(agency, application_id, "", now)
        code = "".join(secrets.choice(ACCESS_CODE_ALPHABET) for _ in range(12))
        # The document is stored beside the events, which carry only a reference to it.
        stored = _stored(document, application_id, agency.agency_id, now)
        reference = None if stored is None else IdDocumentRef(
            document_id=stored.document_id, media_type=stored.media_type, size=stored.size)
        facts[0] = facts[0].model_copy(update={
            "access_code_hash": access_code_hash(application_id, code),
            "id_document": reference})
        correlation = uuid.uuid4()
        events = [
            new_event(fact, stream_id=str(application_id), stream_position=i + 1,
                      agency=agency.agency_id, occurred_at=now, actor=actor,
                      correlation_id=correlation, source=SERVICE)
            for i, fact in enumerate(facts)
        ]
        received = facts[0].receipt  # submissions and registrations carry it inside
        receipt = {
            "application_id": str(application_id),
            "case_number": None,
            "agency": agency.agency_id,
            "channel": facts[0].channel.value,
            "status": "received" if received else "awaiting_confirmation",
            "submitted_at": now.isoformat(),
            "received_on": received.received_on.isoformat() if received else None,
            # Shown once: with the application id it lets the applicant follow the case.
            "access_code": code,
        }
        # The idempotency record answers a retry with the same receipt, the access code sealed.
        kept = receipt if idempotency_key is None else {
            **receipt, "access_code": seal(code, idempotency_key, store.key_ring[0])}
        result = await store.acceptor.accept(repository.Submission(
            agency_id=agency.agency_id, agency_version=version, year=year,
            number_prefix=case_number_prefix(agency, year), idempotency_key=idempotency_key,
            request_hash=request_hash, topic=APPLICATIONS_TOPIC, events=events, response=kept,
            document=stored, identity={"application_id": str(application_id), **identity(form)}))
        if result.outcome in ("unknown_agency", "stale_agency") and not fresh:
            fresh = True  # the directory changed since it was read: decide again on the new
            continue
        break
    if result.outcome == "unknown_agency":
        raise Refused(f"未找到行政机关“{form.agency}”", reason=Reason.INVALID, field="agency")
    if result.outcome == "stale_agency":
        raise Refused("行政机关配置正在更新，申请未被保存，请稍后重试。",
                      reason=Reason.UNAVAILABLE)
    if result.outcome == "replayed":
        if result.request_hash != request_hash:
            raise Refused("该幂等键已用于内容不同的另一申请", reason=Reason.INVALID,
                          field="Idempotency-Key")
        kept = dict(result.response or {})
        if kept.get("access_code") and idempotency_key is not None:
            kept["access_code"] = unseal(kept["access_code"], idempotency_key, store.key_ring)
        return Accepted(kept, replayed=True)
    receipt["case_number"] = result.case_number
    log.info("application %s accepted for %s as %s (%s)%s", application_id, agency.agency_id,
             result.case_number, receipt["channel"],
             f" with id document {stored.document_id} ({stored.media_type}, {stored.size} bytes)"
             if stored else "")
    return Accepted(receipt)


def _stored(document: IdDocumentFile | None, application_id: uuid.UUID, agency: str,
            now: datetime) -> StoredDocument | None:
    if document is None:
        return None
    return StoredDocument(
        document_id=uuid.uuid4(), application_id=application_id, agency_id=agency,
        media_type=document.media_type, size=document.size, sha256=document.sha256,
        received_at=now, content=document.content)


async def configure_agencies(
    engine: AsyncEngine, clock: Clock, agencies: list[AgencyConfigured], actor: str
) -> list[str]:
    """Announce each new or changed agency; unchanged ones record nothing. Returns changed ids."""
    changed: list[str] = []
    now = clock.now()
    async with engine.begin() as conn:
        for agency in agencies:
            found = await repository.get_agency(conn, agency.agency_id)
            if found is not None and found[1] == agency:
                continue
            version = (found[0] if found else 0) + 1
            event = new_event(
                agency,
                stream_id=f"agency-{agency.agency_id}",
                stream_position=version,
                agency=agency.agency_id,
                occurred_at=now,
                actor=actor,
                correlation_id=uuid.uuid4(),
                source=SERVICE,
            )
            await eventstore.append(conn, [event], AGENCIES_TOPIC)
            await repository.put_agency(conn, agency, version)
            changed.append(agency.agency_id)
    return changed
