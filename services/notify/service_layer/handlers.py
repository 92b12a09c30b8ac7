"""Notify: turn case events into letters and messages (each queued once), and send what is
queued. Replaying events queues nothing new: a message is keyed by its event and template."""

from __future__ import annotations

import hashlib
import logging
from collections import Counter as Tally
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from typing import Any

from prometheus_client import Counter
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from services.notify.adapters import store
from services.notify.config import DEFAULT_ACK_SMS_PER_DAY
from services.notify.domain import letters
from services.notify.domain.messages import acknowledgement_sms, chinese_date, reply_sms
from shared.clock import Clock, local_date
from shared.contracts.agencies import AgencyConfigured
from shared.contracts.applications import Channel
from shared.contracts.cases import CaseConcluded, CaseOpened, expanded
from shared.db import transaction_memo
from shared.events import Envelope
from shared.inbox import NotReady

log = logging.getLogger(__name__)

MESSAGES = Counter("gongkai_messages_total", "Messages by channel and status",
                   ["channel", "status"])
LETTERS = Counter("gongkai_letters_total", "Letters composed, by kind", ["kind"])
# No label names a number, an agency or a case: operators see how often the cap bites, staff
# see which case (the message, status 'capped', with its reason).
CAPPED = Counter("gongkai_acknowledgement_sms_capped_total",
                 "Acknowledgement SMS not sent: the number had its daily cap already")

# Each accepted application sends an acknowledgement SMS to the mobile it names, so anyone can
# make us text a number: at most this many a day per number (Asia/Shanghai), across agencies.
# The cap is GONGKAI_ACK_SMS_PER_DAY, read by services/notify/config.py.


def capped_reason(cap: int) -> str:
    """Shown to staff with the message (never the number itself)."""
    return f"该手机号码当日已收到{cap}条受理短信，已达每日上限，本条未发送（申请已正常受理）"

# Letters addressed to someone other than the applicant are printed and posted by staff.
NOT_TO_APPLICANT = frozenset({"consultation_letter"})


class Context:
    """What the event handlers need besides the connection: templates and providers."""

    def __init__(self, templates: letters.TemplateSource, sms_provider_of,
                 email_provider: str, ack_sms_per_day: int = DEFAULT_ACK_SMS_PER_DAY,
                 clock: Clock | None = None) -> None:
        self.templates = templates
        self.sms_provider_of = sms_provider_of  # agency config → provider name ("dev", …)
        self.email_provider = email_provider  # "smtp" or "dev-email"
        self.ack_sms_per_day = ack_sms_per_day
        self.clock = clock  # the service's clock: the day a message is composed

    def composed_on(self, envelope: Envelope) -> date:
        """The day a letter or message about `envelope` is written: today on the service's
        clock, and never before the fact was recorded."""
        recorded = local_date(envelope.occurred_at)
        return max(recorded, local_date(self.clock.now())) if self.clock else recorded


class Outgoing:
    """What a consumed batch writes, gathered while its events are decided and written at the
    end in a few statements (one per table) instead of several per event."""

    def __init__(self, recipients: dict[str, store.Recipient]) -> None:
        self.recipients = recipients  # known before the batch, and opened by it
        self.new_recipients: list[store.Recipient] = []
        self.letters: list[dict[str, Any]] = []
        self.emails: dict[tuple[str, str], dict[str, Any]] = {}  # (event, kind) → message
        self.messages: list[dict[str, Any]] = []


async def on_events(conn: AsyncConnection, envelopes: list[Envelope], ctx: Context) -> None:
    """A consumed batch: the cases' histories and recipients read in one query each, each event
    decided as if alone, then the batch's letters and messages written together."""
    bodies = [envelope.body() for envelope in envelopes]
    batch: dict[str, list[tuple[Envelope, BaseModel]]] = {}
    for envelope, body in zip(envelopes, bodies, strict=True):
        if (case := case_of(body)) is not None:
            batch.setdefault(case, []).append((envelope, body))
    # A case whose first event is in this batch has no history before it: its facts come from
    # the events already decoded, without reading them back from the inbox (most batches).
    begun = {case for case, events in batch.items() if events[0][0].stream_position == 1}
    histories = await store.cases_events(conn, set(batch) - begun)
    facts = {stream: _facts_by_event(
        (e["event_id"], letters.decode(e["type"], e["payload"], e.get("version")))
        for e in history) for stream, history in histories.items()}
    facts.update({case: _facts_by_event(
        (str(e.event_id), body if e.type in letters.CASE_EVENTS else None)
        for e, body in batch[case]) for case in begun})
    out = Outgoing(await store.get_recipients(conn, set(batch)))
    for envelope, body in zip(envelopes, bodies, strict=True):
        await _decide(conn, envelope, body, ctx, facts, out)
    await _write(conn, out, ctx)


async def on_event(conn: AsyncConnection, envelope: Envelope, ctx: Context) -> None:
    await on_events(conn, [envelope], ctx)


def case_of(fact: BaseModel) -> str | None:
    """The case (application id) a typed event is about; None for an agency's configuration."""
    if isinstance(fact, AgencyConfigured):
        return None
    return str(fact.application_id)  # type: ignore[attr-defined]  # every case event has one


async def _decide(conn: AsyncConnection, envelope: Envelope, fact: BaseModel, ctx: Context,
                  case_facts: dict[str, dict[str, letters.CaseFacts]], out: Outgoing) -> None:
    if isinstance(fact, AgencyConfigured):
        await store.put_agency(conn, fact.agency_id, fact.model_dump(mode="json"))
        return
    if isinstance(fact, CaseOpened) and str(fact.application_id) not in out.recipients:
        recipient = store.Recipient(
            application_id=fact.application_id, agency=envelope.agency,
            case_number=fact.case_number, name=fact.applicant_name, mobile=fact.mobile,
            email=fact.email)
        out.recipients[str(fact.application_id)] = recipient
        out.new_recipients.append(recipient)
    case = case_of(fact)
    if case is None:
        return
    # Every event of the batch is in the inbox already (stored before it is applied).
    facts = case_facts.get(case, {}).get(str(envelope.event_id))
    if facts is None:
        raise NotReady(f"event {envelope.event_id} not found in notify's inbox")
    today = ctx.composed_on(envelope)
    for part, kinds, sms in called_for(fact, facts, today):
        await _answer(conn, envelope, part, kinds, sms, facts, today, ctx, out)


def fold(facts: letters.CaseFacts, event: BaseModel) -> letters.CaseFacts:
    """The case's facts after one typed case event, read as the facts it says (`expanded`: an
    opening received at once is opened, received and due)."""
    for part in expanded(event):
        facts = letters.fold(facts, part)
    return facts


def called_for(event: BaseModel, facts_after: letters.CaseFacts, today: date,
               ) -> list[tuple[BaseModel, list[str], Any]]:
    """(part, letter kinds, SMS) for each part of a typed event (`expanded`) that calls for a
    letter or an SMS: an opening received at once calls for what its receipt's due date does
    (the acknowledgement letter and SMS). What a ledger records calls for nothing."""
    found = []
    for part in expanded(event):
        if letters.recorded_by_ledger(part, facts_after):
            continue
        kinds, sms = (letters.letters_called_for(part, facts_after),
                      _sms_for(part, today))
        if kinds or sms:
            found.append((part, kinds, sms))
    return found


async def _answer(conn: AsyncConnection, envelope: Envelope, fact: BaseModel, kinds: list[str],
                  sms: Any, facts: letters.CaseFacts, today: date, ctx: Context,
                  out: Outgoing) -> None:
    """The letters and SMS one fact of `envelope` calls for."""
    application_id = fact.application_id  # type: ignore[attr-defined]  # every case event has one
    memo = transaction_memo(conn)  # one read of the agency per consumed batch
    if ("agency", envelope.agency) not in memo:
        config = await store.get_agency(conn, envelope.agency)
        memo["agency", envelope.agency] = (
            config, AgencyConfigured.model_validate(config) if config else None)
    agency_config, agency = memo["agency", envelope.agency]
    recipient = out.recipients.get(str(application_id))
    if agency is None or recipient is None:
        raise NotReady(f"case or agency {envelope.agency} not yet known to notify")
    dated = letters.letter_date_of(fact, facts) or _business_date(fact, envelope)
    if not agency.policies.extension_notice_written:
        kinds = [k for k in kinds if k != "extension_notice"]
    for kind in kinds:
        # A receipt is dated the day it is issued: registered late, not the day received.
        on = max(dated, local_date(envelope.occurred_at)) if kind == "acknowledgement" else dated
        _letter(envelope, kind, facts, agency, on, today, recipient, ctx, out)
    if sms and recipient.mobile:
        body, params = sms[1](agency.name, recipient.case_number, facts)
        out.messages.append(store.message(
            event_id=envelope.event_id, template=sms[0], application_id=application_id,
            agency=envelope.agency, channel="sms", recipient=recipient.mobile, body=body,
            params=params, provider=ctx.sms_provider_of(agency_config)))


async def _write(conn: AsyncConnection, out: Outgoing, ctx: Context) -> None:
    """The batch's writes, in an order that keeps ids as the events came: recipients, letters
    (a letter composed before — a redelivered event — is not new and e-mails nothing), then
    the messages, SMS and the e-mails of the new letters in the order they were composed."""
    await store.put_recipients(conn, out.new_recipients)
    await _number_letters(conn, out.letters)
    new_letters = await store.store_letters(conn, out.letters)
    for (event_id, kind), letter_id in new_letters.items():
        LETTERS.labels(kind).inc()
        email = out.emails.get((event_id, kind))
        if email is not None:
            email["letter_id"] = letter_id
    messages = [m for m in out.messages if m["channel"] == "sms" or m["letter_id"] is not None]
    capped = await _cap_acknowledgements(conn, messages, ctx.ack_sms_per_day)
    for (channel, status), count in Tally((m["channel"], m.get("status", "queued"))
                                          for m in messages).items():
        MESSAGES.labels(channel, status).inc(count)
    await store.queue_messages(conn, messages)
    if capped:
        CAPPED.inc(len(capped))
        log.warning("%d acknowledgement SMS over the daily cap of %d per number, not sent "
                    "(applications %s)", len(capped), ctx.ack_sms_per_day,
                    ", ".join(m["application_id"] for m in capped))


async def _number_letters(conn: AsyncConnection, kept: list[dict[str, Any]]) -> None:
    """Give each new letter of an agency that numbers its letters the next 文号 of its agency
    and year, in the order composed, then fix the letters' content. A letter kept before (a
    redelivered event) takes no number: it has one. The counters stay locked until the batch
    commits, so concurrent batches number one after the other, and a batch rolled back gives
    its numbers back: no number is used twice, none is skipped."""
    numbered = [x for x in kept if x["prefix"]]
    if numbered:
        await store.lock_letter_numbers(conn, [(x["agency"], x["year"]) for x in numbered])
        known = await store.letters_kept(conn, [(x["event_id"], x["kind"]) for x in numbered])
        fresh = [x for x in numbered if (x["event_id"], x["kind"]) not in known]
        serial = {group: await store.take_letter_numbers(conn, *group, n) for group, n in
                  Tally((x["agency"], x["year"]) for x in fresh).items()}
        for x in fresh:
            group = (x["agency"], x["year"])
            x["letter"] = replace(x["letter"], number=letters.letter_number(
                x["prefix"], x["year"], serial[group]))
            serial[group] += 1
    for x in kept:
        letter = x.pop("letter")
        x.pop("prefix"), x.pop("year")
        content = letter.content()
        x.update(number=letter.number, content=content,
                 content_hash=hashlib.sha256(content.encode()).hexdigest())


async def _cap_acknowledgements(conn: AsyncConnection, messages: list[dict[str, Any]],
                                cap: int) -> list[dict[str, Any]]:
    """Mark the acknowledgement SMS over the number's daily cap 'capped' (kept with the case,
    never sent), in the batch's order; returns them. Only the acknowledgement is capped: it is
    what anyone can cause; letters and the other notices go to whoever the case concerns."""
    acks = [m for m in messages if m["template"] == store.ACKNOWLEDGEMENT_SMS]
    if not acks:
        return []
    today = await store.acknowledgements_today(
        conn, [m["recipient"] for m in acks], [m["event_id"] for m in acks])
    capped = []
    for m in acks:
        if today.get(m["recipient"], 0) >= cap:
            m.update(status=store.CAPPED, last_error=capped_reason(cap))
            capped.append(m)
        else:
            today[m["recipient"]] = today.get(m["recipient"], 0) + 1
    return capped


def _facts_by_event(history: Iterable[tuple[str, BaseModel | None]],
                    ) -> dict[str, letters.CaseFacts]:
    """The case as of each of its events (event id, the typed case event or None for another
    type), as notify received them (a batch holds later events of the same case too; a letter
    must know only what came up to its own event)."""
    facts = letters.CaseFacts()
    as_of: dict[str, letters.CaseFacts] = {}
    for event_id, event in history:
        if event is not None:
            facts = fold(facts, event)
        as_of[event_id] = facts
    return as_of


def _business_date(fact: BaseModel, envelope: Envelope) -> date:
    return letters.business_date(fact) or local_date(envelope.occurred_at)


def _sms_for(fact: BaseModel, today: date):
    """(template, maker of (text, template params)) of the SMS an event calls for, if any."""
    if letters.acknowledges_receipt(fact):
        received = fact.basis.counted_from  # type: ignore[attr-defined]
        return ("acknowledgement_sms", lambda agency, number, facts: (
            acknowledgement_sms(agency, number, received, fact, today),
            {"case_number": number, "received": chinese_date(received),
             "due": chinese_date(fact.due_on)}))
    if isinstance(fact, CaseConcluded):
        dated = fact.on
        return ("reply_sms", lambda agency, number, facts: (
            reply_sms(agency, number, dated),
            {"case_number": number, "replied": chinese_date(dated)}))
    return None


def _letter(envelope: Envelope, kind: str, facts: letters.CaseFacts,
            agency: AgencyConfigured, dated: date, today: date, recipient: store.Recipient,
            ctx: Context, out: Outgoing) -> None:
    letter = letters.compose(kind, facts, agency, dated, ctx.templates, today=today)
    out.letters.append(dict(
        application_id=str(recipient.application_id), agency=envelope.agency,
        event_id=str(envelope.event_id), kind=kind, addressee=letter.addressee,
        dated=letter.dated.isoformat(), template_version=letter.template_version,
        letter=letter, prefix=agency.letter_prefix, year=letter.dated.year))
    online = facts.channel in (Channel.online, Channel.online.value)
    if kind not in NOT_TO_APPLICANT and recipient.email and online:
        email = store.message(
            event_id=envelope.event_id, template=f"email:{kind}",
            application_id=recipient.application_id, agency=envelope.agency, channel="email",
            recipient=recipient.email, subject=f"{letter.title}（{recipient.case_number}）",
            body=f"{recipient.name}：\n\n{agency.name}就{letters.you(facts.applicant_type)}的"
                 f"政府信息公开申请"
                 f"（受理编号{recipient.case_number}）出具的《{letter.title}》见附件。\n\n"
                 f"{agency.name}\n{agency.disclosure_body}  电话：{agency.phone}",
            provider=ctx.email_provider)
        out.emails[str(envelope.event_id), kind] = email
        out.messages.append(email)
