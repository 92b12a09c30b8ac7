"""Notify: turn case events into letters and messages (each queued once), and send what is
queued. Replaying events queues nothing new: a message is keyed by its event and template."""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from dataclasses import asdict
from datetime import date
from typing import Any

from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncConnection

from services.notify.adapters import store
from services.notify.domain import letters
from services.notify.domain.messages import acknowledgement_sms, chinese_date, reply_sms
from shared.clock import local_date
from shared.contracts.agencies import AgencyConfigured
from shared.contracts.applications import Channel
from shared.contracts.cases import CaseOpened, DueDateSet
from shared.db import transaction_memo
from shared.events import Envelope
from shared.inbox import NotReady

log = logging.getLogger(__name__)

MESSAGES = Counter("gongkai_messages_total", "Messages by channel and status",
                   ["channel", "status"])
LETTERS = Counter("gongkai_letters_total", "Letters composed, by kind", ["kind"])

# Letters addressed to someone other than the applicant are printed and posted by staff.
NOT_TO_APPLICANT = frozenset({"consultation_letter"})


class Context:
    """What the event handlers need besides the connection: templates and providers."""

    def __init__(self, templates: letters.TemplateSource, sms_provider_of,
                 email_provider: str) -> None:
        self.templates = templates
        self.sms_provider_of = sms_provider_of  # agency config → provider name ("dev", …)
        self.email_provider = email_provider  # "smtp" or "dev-email"


async def on_events(conn: AsyncConnection, envelopes: list[Envelope], ctx: Context) -> None:
    """A consumed batch: the cases' histories read in one query, then each event as alone."""
    streams = {str(e.payload["application_id"]) for e in envelopes
               if e.payload.get("application_id")}
    histories = await store.cases_events(conn, streams)
    for envelope in envelopes:
        await on_event(conn, envelope, ctx, histories)


async def on_event(conn: AsyncConnection, envelope: Envelope, ctx: Context,
                   histories: dict[str, list[dict[str, Any]]] | None = None) -> None:
    fact = envelope.body()
    if isinstance(fact, AgencyConfigured):
        await store.put_agency(conn, fact.agency_id, fact.model_dump(mode="json"))
        return
    if isinstance(fact, CaseOpened):
        await store.put_recipient(
            conn, fact.application_id, agency=envelope.agency, case_number=fact.case_number,
            name=fact.applicant_name, mobile=fact.mobile, email=fact.email)
    application_id = getattr(fact, "application_id", None)
    if application_id is None:
        return
    if histories is None:
        histories = await store.cases_events(conn, {str(application_id)})
    facts = _facts(histories.get(str(application_id), []), envelope.event_id)
    kinds = letters.letters_for(envelope.type, envelope.payload, facts)
    sms = _sms_for(fact, envelope)
    if not kinds and not sms:
        return
    memo = transaction_memo(conn)  # one read of the agency per consumed batch
    if ("agency", envelope.agency) not in memo:
        config = await store.get_agency(conn, envelope.agency)
        memo["agency", envelope.agency] = (
            config, AgencyConfigured.model_validate(config) if config else None)
    agency_config, agency = memo["agency", envelope.agency]
    recipient = await store.get_recipient(conn, application_id)
    if agency is None or recipient is None:
        raise NotReady(f"case or agency {envelope.agency} not yet known to notify")
    dated = letters.letter_date(envelope.type, envelope.payload, facts) or _business_date(envelope)
    if not agency.policies.extension_notice_written:
        kinds = [k for k in kinds if k != "extension_notice"]
    for kind in kinds:
        await _letter(conn, envelope, kind, facts, agency, dated, recipient, ctx)
    if sms and recipient.mobile:
        body, params = sms[1](agency.name, recipient.case_number, facts)
        await store.queue_message(
            conn, event_id=envelope.event_id, template=sms[0], application_id=application_id,
            agency=envelope.agency, channel="sms", recipient=recipient.mobile, body=body,
            params=params, provider=ctx.sms_provider_of(agency_config))
        MESSAGES.labels("sms", "queued").inc()


def _facts(history: list[dict[str, Any]], event_id: uuid.UUID) -> letters.CaseFacts:
    """The case as of `event_id`: its events as notify received them, up to and including it
    (a batch holds later events of the same case too; a letter must not know of them)."""
    facts = letters.CaseFacts()
    for envelope in history:
        facts = letters.evolve_facts(facts, envelope["type"], envelope["payload"])
        if envelope["event_id"] == str(event_id):
            break
    return facts


def _business_date(envelope: Envelope) -> date:
    on = envelope.payload.get("on")
    return date.fromisoformat(on) if on else local_date(envelope.occurred_at)


def _sms_for(fact: Any, envelope: Envelope):
    """(template, maker of (text, template params)) of the SMS an event calls for, if any."""
    if (isinstance(fact, DueDateSet) and fact.basis is not None and fact.previous_due_on is None
            and fact.basis.rule == "reply_period"):
        received = fact.basis.counted_from
        return ("acknowledgement_sms", lambda agency, number, facts: (
            acknowledgement_sms(agency, number, received, fact),
            {"case_number": number, "received": chinese_date(received),
             "due": chinese_date(fact.due_on)}))
    if envelope.type == "CaseConcluded":
        dated = _business_date(envelope)
        return ("reply_sms", lambda agency, number, facts: (
            reply_sms(agency, number, dated),
            {"case_number": number, "replied": chinese_date(dated)}))
    return None


async def _letter(conn: AsyncConnection, envelope: Envelope, kind: str,
                  facts: letters.CaseFacts, agency: AgencyConfigured, dated: date,
                  recipient: Any, ctx: Context) -> None:
    letter = letters.compose(kind, facts, agency, dated, ctx.templates)
    content = json.dumps(asdict(letter), ensure_ascii=False, default=str, sort_keys=True)
    letter_id = await store.store_letter(
        conn, application_id=recipient.application_id, agency=envelope.agency,
        event_id=envelope.event_id, kind=kind, addressee=letter.addressee, dated=letter.dated,
        template_version=letter.template_version, content=content,
        content_hash=hashlib.sha256(content.encode()).hexdigest())
    if letter_id is None:
        return  # composed before (a redelivered event): nothing new
    LETTERS.labels(kind).inc()
    online = facts.channel in (Channel.online, Channel.online.value)
    if kind not in NOT_TO_APPLICANT and recipient.email and online:
        await store.queue_message(
            conn, event_id=envelope.event_id, template=f"email:{kind}",
            application_id=recipient.application_id, agency=envelope.agency, channel="email",
            recipient=recipient.email, subject=f"{letter.title}（{recipient.case_number}）",
            body=f"{recipient.name}：\n\n{agency.name}就您的政府信息公开申请"
                 f"（受理编号{recipient.case_number}）出具的《{letter.title}》见附件。\n\n"
                 f"{agency.name}\n{agency.disclosure_body}  电话：{agency.phone}",
            provider=ctx.email_provider, letter_id=letter_id)
        MESSAGES.labels("email", "queued").inc()
