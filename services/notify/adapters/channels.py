"""How a queued message leaves: SMS through the agency's provider (or the development sink),
e-mail through SMTP (or the development sink). Each channel says whether a send that was
interrupted may be retried safely: only when the provider is transactional with our database
(the sinks) or deduplicates by our message id (the webhook). A channel that is transactional
with our database delivers a whole round of messages at once (`deliver_all`), in the
transaction that marks them sent."""

from __future__ import annotations

import asyncio
import json
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection


class DeliveryError(Exception):
    def __init__(self, detail: str, *, retryable: bool) -> None:
        super().__init__(detail)
        self.retryable = retryable


class Channel(Protocol):
    name: str
    retry_safe: bool
    # Writes only into notify's database, in the caller's transaction: a round's messages are
    # then delivered together by `deliver_all` (message id → provider's id) and marked sent in
    # the same commit, still exactly once.
    transactional: bool

    async def deliver(self, conn: AsyncConnection, message: Any,
                      attachment: tuple[str, bytes] | None) -> str | None: ...


class DevSms:
    """Records the SMS in notify's own database in the sending transaction: exactly once."""

    name, retry_safe, transactional = "dev", True, True

    async def deliver(self, conn: AsyncConnection, message: Any,
                      attachment: tuple[str, bytes] | None = None) -> str | None:
        return (await self.deliver_all(conn, [message], {}))[message.id]

    async def deliver_all(self, conn: AsyncConnection, messages: list[Any],
                          attachments: dict[int, tuple[str, bytes]]) -> dict[int, str | None]:
        await conn.execute(
            text("""INSERT INTO dev_sms (message_id, recipient, body)
                    SELECT * FROM unnest(CAST(:ids AS bigint[]), CAST(:r AS text[]),
                                         CAST(:b AS text[]))"""),
            {"ids": [m.id for m in messages], "r": [m.recipient for m in messages],
             "b": [m.body for m in messages]})
        return {m.id: f"dev-{m.id}" for m in messages}


class ProviderSms:
    """An SMS provider adapter (Alibaba Cloud, Tencent Cloud, webhook). Cloud providers send
    only registered templates: the agency's config maps each of our templates to its code
    (`template.acknowledgement_sms: SMS_123`), and the message's params fill it."""

    def __init__(self, provider: Any, template_codes: dict[str, str] | None = None) -> None:
        self.provider = provider
        self.template_codes = template_codes or {}
        self.name = provider.name
        self.retry_safe = provider.deduplicates
        self.transactional = False

    async def deliver(self, conn: AsyncConnection, message: Any,
                      attachment: tuple[str, bytes] | None = None) -> str | None:
        from services.notify.adapters.sms_providers import ProviderError, Sms

        try:
            params = message.params if isinstance(message.params, dict) else (
                json.loads(message.params) if message.params else None)
            result = await self.provider.send(Sms(
                message_id=str(message.id), phone=message.recipient, text=message.body,
                template_code=self.template_codes.get(message.template.split(":")[-1]),
                template_params=params))
        except ProviderError as exc:
            raise DeliveryError(f"{exc.code}: {exc.detail}", retryable=exc.retryable) from exc
        if not result.accepted:
            raise DeliveryError("not accepted by the provider", retryable=True)
        return result.provider_message_id


class DevEmail:
    name, retry_safe, transactional = "dev-email", True, True

    async def deliver(self, conn: AsyncConnection, message: Any,
                      attachment: tuple[str, bytes] | None) -> str | None:
        attachments = {message.id: attachment} if attachment else {}
        return (await self.deliver_all(conn, [message], attachments))[message.id]

    async def deliver_all(self, conn: AsyncConnection, messages: list[Any],
                          attachments: dict[int, tuple[str, bytes]]) -> dict[int, str | None]:
        await conn.execute(
            text("""INSERT INTO dev_email (message_id, recipient, subject, attachment_bytes)
                    SELECT * FROM unnest(CAST(:ids AS bigint[]), CAST(:r AS text[]),
                                         CAST(:s AS text[]), CAST(:n AS integer[]))"""),
            {"ids": [m.id for m in messages], "r": [m.recipient for m in messages],
             "s": [m.subject or "" for m in messages],
             "n": [len(attachments[m.id][1]) if m.id in attachments else 0 for m in messages]})
        return {m.id: f"dev-email-{m.id}" for m in messages}


@dataclass(frozen=True)
class SmtpEmail:
    host: str
    port: int
    sender: str
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    name: str = "smtp"
    retry_safe: bool = False
    transactional: bool = False

    async def deliver(self, conn: AsyncConnection, message: Any,
                      attachment: tuple[str, bytes] | None) -> str | None:
        mail = EmailMessage()
        mail["From"], mail["To"] = self.sender, message.recipient
        mail["Subject"] = message.subject or "政府信息公开申请办理通知"
        mail["Message-ID"] = make_msgid(idstring=f"gongkai-{message.id}")
        mail.set_content(message.body)
        if attachment:
            mail.add_attachment(attachment[1], maintype="application", subtype="pdf",
                                filename=attachment[0])
        try:
            await asyncio.to_thread(self._send, mail)
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(f"SMTP {exc.smtp_code}", retryable=exc.smtp_code >= 400
                                and exc.smtp_code < 500) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"SMTP unavailable: {type(exc).__name__}", retryable=True) from exc
        return mail["Message-ID"]

    def _send(self, mail: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=20) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(mail)


def retry_safe_names() -> list[str]:
    """The providers (by the name stored with each message) whose interrupted sends go back to
    the queue; the others' become 'unknown' for a person to check (never sent twice)."""
    from services.notify.adapters.sms_providers.config import PROVIDERS

    channels = [p for p in (DevSms, DevEmail, SmtpEmail) if p.retry_safe]
    return sorted([*(c.name for c in channels),
                   *(name for name, p in PROVIDERS.items() if p.deduplicates)])
