"""Notify's tables: recipients and agencies it has heard of, and the messages it sends."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection


async def put_agency(conn: AsyncConnection, agency_id: str, config: dict[str, Any]) -> None:
    await conn.execute(
        text(
            """INSERT INTO agencies (agency_id, config) VALUES (:a, CAST(:c AS jsonb))
               ON CONFLICT (agency_id) DO UPDATE SET config = CAST(:c AS jsonb)"""
        ),
        {"a": agency_id, "c": json.dumps(config, ensure_ascii=False)},
    )


async def get_agency(conn: AsyncConnection, agency_id: str) -> dict[str, Any] | None:
    raw = (
        await conn.execute(text("SELECT config FROM agencies WHERE agency_id = :a"),
                           {"a": agency_id})
    ).scalar()
    if raw is None:
        return None
    return raw if isinstance(raw, dict) else json.loads(raw)


async def get_agencies(conn: AsyncConnection, agency_ids: set[str]) -> dict[str, Any]:
    """The configuration of each of these agencies (absent: not configured), in one query."""
    if not agency_ids:
        return {}
    rows = await conn.execute(text(
        "SELECT agency_id, config FROM agencies WHERE agency_id = ANY(:a)"),
        {"a": list(agency_ids)})
    return {a: c if isinstance(c, dict) else json.loads(c) for a, c in rows.all()}


@dataclass(frozen=True)
class Recipient:
    application_id: uuid.UUID
    agency: str
    case_number: str
    name: str
    mobile: str | None
    email: str | None


async def put_recipients(conn: AsyncConnection, recipients: list[Recipient]) -> None:
    if recipients:
        await conn.execute(
            text(
                """INSERT INTO recipients (application_id, agency, case_number, name, mobile,
                                           email)
                   VALUES (:application_id, :agency, :case_number, :name, :mobile, :email)
                   ON CONFLICT (application_id) DO NOTHING"""
            ),
            [vars(r) for r in recipients],
        )


async def get_recipient(conn: AsyncConnection, application_id: uuid.UUID) -> Any:
    return (
        await conn.execute(text("SELECT * FROM recipients WHERE application_id = :id"),
                           {"id": application_id})
    ).first()


async def get_recipients(conn: AsyncConnection, application_ids: set[str],
                         ) -> dict[str, Recipient]:
    if not application_ids:
        return {}
    rows = await conn.execute(
        text("""SELECT application_id, agency, case_number, name, mobile, email
                FROM recipients WHERE application_id = ANY(CAST(:ids AS uuid[]))"""),
        {"ids": list(application_ids)})
    return {str(r.application_id): Recipient(**r._mapping) for r in rows}


def message(*, event_id: uuid.UUID, template: str, application_id: uuid.UUID, agency: str,
            channel: str, recipient: str, body: str, provider: str,
            letter_id: int | None = None, subject: str | None = None,
            requested_by: str | None = None, params: dict[str, str] | None = None,
            ) -> dict[str, Any]:
    """A message to queue, as `queue_messages` takes it."""
    return {"event_id": str(event_id), "template": template,
            "application_id": str(application_id), "agency": agency, "channel": channel,
            "recipient": recipient, "body": body, "provider": provider, "letter_id": letter_id,
            "subject": subject, "requested_by": requested_by, "params": params}


async def queue_messages(conn: AsyncConnection, messages: list[dict[str, Any]]) -> None:
    """Queue messages once each, in the order given (ids are the sending order): the same
    event and template never queue a second one. The sender is woken when this commits. A
    message may come with its own `status` and `last_error` (`capped`: kept, never sent)."""
    if not messages:
        return
    await conn.execute(
        text(
            """WITH queued AS (
                 INSERT INTO messages (event_id, template, application_id, agency, channel,
                                       recipient, body, provider, letter_id, subject,
                                       requested_by, params, status, last_error)
                 SELECT (m->>'event_id')::uuid, m->>'template', (m->>'application_id')::uuid,
                        m->>'agency', m->>'channel', m->>'recipient', m->>'body',
                        m->>'provider', (m->>'letter_id')::bigint, m->>'subject',
                        m->>'requested_by', nullif(m->'params', 'null'::jsonb),
                        coalesce(m->>'status', 'queued'), m->>'last_error'
                 FROM jsonb_array_elements(CAST(:messages AS jsonb)) WITH ORDINALITY AS t(m, n)
                 ORDER BY n
                 ON CONFLICT (event_id, template) DO NOTHING)
               SELECT pg_notify('gongkai_messages', '')"""
        ),
        {"messages": json.dumps(messages, ensure_ascii=False)},
    )


async def queue_message(conn: AsyncConnection, **fields: Any) -> None:
    """Queue one message (see `message` for the fields)."""
    await queue_messages(conn, [message(**fields)])


# --- the daily cap on acknowledgement SMS (issue 15) ---------------------------------------

ACKNOWLEDGEMENT_SMS = "acknowledgement_sms"
CAPPED = "capped"  # a message kept with the case but never sent: over a cap
# A message kept with the case but never sent: the applicant's personal data was erased
# before it went (its recipient, text and letter are gone; docs/privacy.md).
UNSENT_ERASED = "erased"


async def acknowledgements_today(conn: AsyncConnection, numbers: list[str],
                                 except_events: list[str]) -> dict[str, int]:
    """Acknowledgement SMS queued today (Asia/Shanghai, the database's clock) for each of
    `numbers` and not capped, those of `except_events` aside (a redelivered event counts as
    its batch counts it). Each number stays locked until the transaction ends, so batches
    that write to the same number count one after the other, and a cap is never overrun."""
    numbers = sorted(set(numbers))  # locks taken in one order everywhere: no deadlock
    if not numbers:
        return {}
    await conn.execute(
        text("""SELECT pg_advisory_xact_lock(hashtextextended('acknowledgement_sms:' || n, 0))
                FROM unnest(CAST(:numbers AS text[])) AS n"""),
        {"numbers": numbers})
    rows = await conn.execute(
        text("""SELECT recipient, count(*) FROM messages
                WHERE template = 'acknowledgement_sms' AND recipient = ANY(:numbers)
                  AND created_at >= date_trunc('day', now() AT TIME ZONE 'Asia/Shanghai')
                                    AT TIME ZONE 'Asia/Shanghai'
                  AND status <> 'capped'
                  AND NOT (event_id = ANY(CAST(:events AS uuid[])))
                GROUP BY recipient"""),
        {"numbers": numbers, "events": except_events})
    return {recipient: n for recipient, n in rows}


async def messages_for(conn: AsyncConnection, application_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await conn.execute(
        text(
            """SELECT id, template, channel, recipient, body, status, attempts, last_error,
                      next_attempt_at, created_at, sent_at, letter_id, requested_by
               FROM messages WHERE application_id = :id ORDER BY id"""
        ),
        {"id": application_id},
    )
    return [dict(r._mapping) for r in rows]


# --- what needs a person --------------------------------------------------------------------

# Messages a person must look at: every try used or an error no retry can fix ('failed'), or a
# send interrupted while the provider had it ('unknown'). The gauge
# gongkai_messages_needing_attention and the staff list both count exactly these.
NEEDS_A_PERSON = ("failed", "unknown")
# Written out (not a parameter) so that the planner can use the partial index on exactly these.
_NEEDS_A_PERSON_SQL = "status IN ('failed', 'unknown')"


async def attention_counts(conn: AsyncConnection, agency: str | None = None) -> dict[str, int]:
    """Messages needing a person, by status (every status present, 0 if none); `agency` None:
    the whole city."""
    rows = await conn.execute(
        text(f"""SELECT status, count(*) FROM messages
                 WHERE {_NEEDS_A_PERSON_SQL}
                   AND (CAST(:agency AS text) IS NULL OR agency = :agency)
                 GROUP BY status"""),
        {"agency": agency})
    counts = dict.fromkeys(NEEDS_A_PERSON, 0)
    counts.update({status: n for status, n in rows})
    return counts


async def needing_attention(conn: AsyncConnection, agency: str | None, *,
                            status: str | None = None, limit: int = 100, offset: int = 0,
                            ) -> list[dict[str, Any]]:
    """A page of the messages needing a person, the latest first, with their case number.
    `at` is when the last try began (the interrupted one, for 'unknown')."""
    rows = await conn.execute(
        text(f"""SELECT m.id, m.application_id, r.case_number, m.agency, m.channel,
                        m.template, m.status, m.last_error, m.attempts, m.letter_id,
                        m.created_at, coalesce(m.sending_since, m.created_at) AS at
                 FROM messages m LEFT JOIN recipients r ON r.application_id = m.application_id
                 WHERE m.{_NEEDS_A_PERSON_SQL}
                   AND (CAST(:agency AS text) IS NULL OR m.agency = :agency)
                   AND (CAST(:status AS text) IS NULL OR m.status = :status)
                 ORDER BY coalesce(m.sending_since, m.created_at) DESC, m.id DESC
                 LIMIT :limit OFFSET :offset"""),
        {"agency": agency, "status": status, "limit": limit, "offset": offset})
    return [dict(r._mapping) for r in rows]


# --- delivery -----------------------------------------------------------------------------

async def claim_due(conn: AsyncConnection, now, sms_open: bool, limit: int) -> list[Any]:
    """Mark due messages as being sent (committed before any provider is called)."""
    return list(await conn.execute(
        text("""UPDATE messages SET status = 'sending', sending_since = :now,
                       attempts = attempts + 1
                WHERE id IN (SELECT id FROM messages
                             WHERE status = 'queued'
                               AND (next_attempt_at IS NULL OR next_attempt_at <= :now)
                               AND (:sms OR channel <> 'sms')
                             ORDER BY next_attempt_at NULLS FIRST, id
                             LIMIT :n FOR UPDATE SKIP LOCKED)
                RETURNING *"""),
        {"now": now, "sms": sms_open, "n": limit}))


async def next_due(conn: AsyncConnection) -> tuple[bool, Any]:
    """Whether any queued message is due whenever claimed (no next attempt set), and the
    earliest next attempt of the others (None: none)."""
    row = (await conn.execute(text(
        """SELECT coalesce(bool_or(next_attempt_at IS NULL), false), min(next_attempt_at)
           FROM messages WHERE status = 'queued'"""))).one()
    return row[0], row[1]


async def release(conn: AsyncConnection, message_ids: list[int]) -> None:
    """Claimed messages never handed to a provider go back to the queue as they were."""
    await conn.execute(
        text("""UPDATE messages SET status = 'queued', attempts = attempts - 1
                WHERE id = ANY(:ids) AND status = 'sending'"""),
        {"ids": message_ids})


async def defer_sms(conn: AsyncConnection, now, until) -> int:
    """Quiet hours: SMS due now wait for the morning (shown as their next attempt)."""
    result = await conn.execute(
        text("""UPDATE messages SET next_attempt_at = :until
                WHERE status = 'queued' AND channel = 'sms'
                  AND (next_attempt_at IS NULL OR next_attempt_at < :until)"""),
        {"until": until})
    return result.rowcount


async def mark(conn: AsyncConnection, message_id: int, status: str, *, error: str | None = None,
               next_attempt_at=None, provider_message_id: str | None = None) -> None:
    await conn.execute(
        text("""UPDATE messages SET status = :s, last_error = coalesce(:e, last_error),
                       next_attempt_at = coalesce(:next, next_attempt_at),
                       provider_message_id = coalesce(:pid, provider_message_id),
                       sent_at = CASE WHEN :s = 'sent' THEN now() ELSE sent_at END
                WHERE id = :id"""),
        {"id": message_id, "s": status, "e": error, "next": next_attempt_at,
         "pid": provider_message_id})


async def mark_unsent_erased(conn: AsyncConnection, message_ids: list[int]) -> None:
    await conn.execute(
        text("""UPDATE messages SET status = :s, next_attempt_at = NULL
                WHERE id = ANY(:ids)"""), {"ids": message_ids, "s": UNSENT_ERASED})


async def mark_sent(conn: AsyncConnection, provider_ids: dict[int, str | None]) -> None:
    """Many messages sent at once (message id → the provider's id), as `mark` records one."""
    await conn.execute(
        text("""UPDATE messages SET status = 'sent', sent_at = now(),
                       provider_message_id = coalesce(p.pid, messages.provider_message_id)
                FROM unnest(CAST(:ids AS bigint[]), CAST(:pids AS text[])) AS p(id, pid)
                WHERE messages.id = p.id"""),
        {"ids": list(provider_ids), "pids": list(provider_ids.values())})


async def recover_interrupted(conn: AsyncConnection, now, older_than, retry_safe: list[str],
                              ) -> dict[str, int]:
    """Messages left 'sending' by a process that died: those whose provider is transactional or
    idempotent go back to the queue; the others become 'unknown' — never sent twice silently."""
    rows = await conn.execute(
        text("""UPDATE messages SET status = CASE WHEN provider = ANY(:safe) THEN 'queued'
                                                 ELSE 'unknown' END
                WHERE status = 'sending' AND sending_since < :cutoff
                RETURNING status"""),
        {"safe": retry_safe, "cutoff": now - older_than})
    counts: dict[str, int] = {}
    for (status,) in rows:
        counts[status] = counts.get(status, 0) + 1
    return counts


# --- letters ------------------------------------------------------------------------------

async def store_letters(conn: AsyncConnection, letters: list[dict[str, Any]],
                        ) -> dict[tuple[str, str], int]:
    """Keep letters, in the order given; returns the ids of the new ones by (event id, kind).
    A letter already kept for its event (a redelivered event) is not new."""
    if not letters:
        return {}
    rows = await conn.execute(
        text("""INSERT INTO letters (application_id, agency, event_id, kind, addressee, dated,
                                     template_version, content, content_hash, number)
                SELECT (l->>'application_id')::uuid, l->>'agency', (l->>'event_id')::uuid,
                       l->>'kind', l->>'addressee', (l->>'dated')::date,
                       l->>'template_version', (l->>'content')::jsonb, l->>'content_hash',
                       nullif(l->>'number', '')
                FROM jsonb_array_elements(CAST(:letters AS jsonb)) WITH ORDINALITY AS t(l, n)
                ORDER BY n
                ON CONFLICT (event_id, kind) DO NOTHING RETURNING id, event_id, kind"""),
        {"letters": json.dumps(letters, ensure_ascii=False)})
    return {(str(r.event_id), r.kind): r.id for r in rows}


async def lock_letter_numbers(conn: AsyncConnection, groups: list[tuple[str, int]]) -> None:
    """Hold the counters of these (agency, year) until the transaction ends, taken in one
    order everywhere (no deadlock): whoever numbers letters of the same agency and year after
    us waits, then sees our letters and our counter."""
    for agency, year in sorted(set(groups)):
        await conn.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
            {"k": f"letter_number:{agency}:{year}"})


async def letters_kept(conn: AsyncConnection, keys: list[tuple[str, str]],
                       ) -> set[tuple[str, str]]:
    """Which of these (event id, kind) already have their letter kept (a redelivered event)."""
    if not keys:
        return set()
    rows = await conn.execute(
        text("""SELECT event_id::text, kind FROM letters
                WHERE (event_id, kind) IN (SELECT (k->>0)::uuid, k->>1
                                           FROM jsonb_array_elements(CAST(:keys AS jsonb)) k)"""),
        {"keys": json.dumps([list(k) for k in keys])})
    return {(e, k) for e, k in rows}


async def take_letter_numbers(conn: AsyncConnection, agency: str, year: int, count: int) -> int:
    """Take the next `count` serial numbers of the agency's letters of `year`; returns the
    first. Call it under `lock_letter_numbers` and keep the letters in the same transaction:
    a number is then never reused, and none is lost."""
    last = (await conn.execute(
        text("""INSERT INTO letter_numbers (agency, year, last) VALUES (:a, :y, :n)
                ON CONFLICT (agency, year) DO UPDATE SET last = letter_numbers.last + :n
                RETURNING last"""),
        {"a": agency, "y": year, "n": count})).scalar_one()
    return last - count + 1


async def letters_for(conn: AsyncConnection, application_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await conn.execute(
        text("""SELECT id, kind, number, addressee, dated, template_version, content_hash,
                       created_at, pdf IS NOT NULL AS rendered
                FROM letters WHERE application_id = :id ORDER BY id"""), {"id": application_id})
    return [dict(r._mapping) for r in rows]


async def get_letter(conn: AsyncConnection, letter_id: int) -> Any:
    return (await conn.execute(text("SELECT * FROM letters WHERE id = :id"),
                               {"id": letter_id})).first()


async def save_pdf(conn: AsyncConnection, letter_id: int, pdf: bytes) -> None:
    await conn.execute(text("UPDATE letters SET pdf = :p WHERE id = :id AND pdf IS NULL"),
                       {"id": letter_id, "p": pdf})


async def unrendered(conn: AsyncConnection, limit: int) -> list[Any]:
    return list(await conn.execute(
        text("SELECT * FROM letters WHERE pdf IS NULL ORDER BY id LIMIT :n"), {"n": limit}))


async def cases_events(conn: AsyncConnection, application_ids: set[str],
                       ) -> dict[str, list[dict[str, Any]]]:
    """Each case's events as notify received them, in order (for the facts a letter needs)."""
    if not application_ids:
        return {}
    rows = await conn.execute(
        text("""SELECT envelope->>'stream_id' AS stream, envelope FROM inbox
                WHERE envelope->>'stream_id' = ANY(:ids) ORDER BY seq"""),
        {"ids": list(application_ids)})
    histories: dict[str, list[dict[str, Any]]] = {}
    for stream, raw in rows:
        histories.setdefault(stream, []).append(raw if isinstance(raw, dict) else json.loads(raw))
    return histories


async def dev_outbox(conn: AsyncConnection, recipient: str | None = None, *,
                     agency: str | None = None) -> list[dict[str, Any]]:
    """What the development SMS sink got (`agency` None: every agency's)."""
    rows = await conn.execute(
        text("""SELECT d.message_id, d.recipient, d.body, d.delivered_at, m.application_id,
                       m.agency
                FROM dev_sms d JOIN messages m ON m.id = d.message_id
                WHERE (CAST(:r AS text) IS NULL OR d.recipient = :r)
                  AND (CAST(:a AS text) IS NULL OR m.agency = :a)
                ORDER BY d.message_id"""),
        {"r": recipient, "a": agency})
    return [dict(r._mapping) for r in rows]


async def dev_mailbox(conn: AsyncConnection, recipient: str | None = None, *,
                      agency: str | None = None) -> list[dict[str, Any]]:
    """What the development mail sink got (`agency` None: every agency's)."""
    rows = await conn.execute(
        text("""SELECT d.message_id, d.recipient, d.subject, d.attachment_bytes, d.delivered_at,
                       m.application_id, m.letter_id, m.agency
                FROM dev_email d JOIN messages m ON m.id = d.message_id
                WHERE (CAST(:r AS text) IS NULL OR d.recipient = :r)
                  AND (CAST(:a AS text) IS NULL OR m.agency = :a)
                ORDER BY d.message_id"""),
        {"r": recipient, "a": agency})
    return [dict(r._mapping) for r in rows]
