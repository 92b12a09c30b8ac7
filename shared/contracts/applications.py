"""Facts recorded by intake."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel

from shared.events import event_type, upcaster

ACCESS_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read over the phone


def access_code_hash(application_id: uuid.UUID, code: str) -> str:
    """Salted by the application id, so equal codes never give equal hashes."""
    return hashlib.sha256(f"{application_id}:{code.strip().upper()}".encode()).hexdigest()


class ApplicantType(StrEnum):
    """The six applicant columns of report table 三 (docs/report-format.md#table-3)."""

    natural_person = "natural_person"
    commercial_enterprise = "commercial_enterprise"
    research_institution = "research_institution"
    public_interest_org = "public_interest_org"
    legal_service_org = "legal_service_org"
    other_org = "other_org"


class Channel(StrEnum):
    """How the application reached the agency; it decides how the receipt date is fixed
    (docs/domain.md#receipt)."""

    in_person = "in_person"
    post_signed = "post_signed"
    ordinary_letter = "ordinary_letter"
    online = "online"
    fax = "fax"
    email = "email"


class Applicant(BaseModel):
    """What of the applicant travels on the applications topic: what casework shows its staff
    (type, name) and hands on to notify (mobile, e-mail). The identity (document type and
    number, credit code, legal representative) and the postal details stay in intake
    (docs/privacy.md)."""

    type: ApplicantType
    name: str
    mobile: str | None = None
    email: str | None = None


class RequestedInformation(BaseModel):
    description: str
    purpose: str | None = None
    medium: str = "electronic"
    delivery: str = "online"


class IdDocumentRef(BaseModel):
    """The applicant's identity document as intake keeps it. Only this reference travels: the
    bytes stay in intake, and no file name is recorded (a file name can be personal)."""

    document_id: uuid.UUID
    media_type: str  # sniffed from the content: image/jpeg, image/png or application/pdf
    size: int  # bytes


# The confirmation of a receipt read from an agency's ledger (台账) by `gongkai import`.
LEDGER_IMPORT = "ledger_import"


class Receipt(BaseModel):
    """收到申请之日 (Art. 31), fixed when the application is recorded: an online application an
    agency confirms automatically, a registration with its receipt date. The fields of
    `ReceiptConfirmed`, which fixes the date later (and in stores recorded before version 3)."""

    received_on: date
    confirmation: str
    confirmed_by: str | None = None


@event_type("ApplicationSubmitted", 3)
class ApplicationSubmitted(BaseModel):
    application_id: uuid.UUID
    case_number: str
    channel: Channel
    submitted_at: datetime
    applicant: Applicant
    # Recognise one applicant across applications (per-item fees are counted per applicant and
    # month) without the number: HMACs of the ID or credit code under intake's secrets, one per
    # secret in use, the current first. Two applications share an applicant when they share a
    # key, so a secret can be replaced without breaking the count (docs/privacy.md).
    applicant_keys: list[str] = []
    request: RequestedInformation
    # Staff registration: the day the application reached the agency (handed in, arrived by
    # post, fax or e-mail); a receipt date can never be earlier. Online: the submission's date.
    arrived_on: date | None = None
    registered_by: str | None = None
    # The applicant checks the status with the application id and a secret code given at
    # submission; only this salted hash of the code is recorded.
    access_code_hash: str | None = None
    # The scan or photo of the applicant's identity document, when one was given (optional in
    # version 1: events recorded before it, and applications without one, have none).
    id_document: IdDocumentRef | None = None
    # The receipt date when it is known at submission, in the same fact (version 3): one event
    # says what happened. None while the application awaits confirmation, and in versions 1–2,
    # which were followed by a `ReceiptConfirmed`.
    receipt: Receipt | None = None


# Version 1 carried the whole applicant, ID number included. What of it is read now is still
# there; the rest is dropped, and no key can be made outside intake (stored copies of version
# 1 are cleaned by each service's migration, docs/privacy.md).
_APPLICANT_V2 = frozenset(Applicant.model_fields)


@upcaster("ApplicationSubmitted", 1)
def _application_submitted_v1(payload: dict) -> dict:
    applicant = {k: v for k, v in payload["applicant"].items() if k in _APPLICANT_V2}
    return {**payload, "applicant": applicant, "applicant_keys": []}


@upcaster("ApplicationSubmitted", 2)
def _application_submitted_v2(payload: dict) -> dict:
    """Version 2 had no receipt inside: its receipt, if any, is the `ReceiptConfirmed` that
    followed. Version 3 is a new number so that a reader of version 2 refuses a submission that
    carries a receipt rather than read it without one."""
    return payload


@event_type("ReceiptConfirmed", 1)
class ReceiptConfirmed(BaseModel):
    """Fixes the receipt date (收到申请之日, Art. 31); the statutory clock starts from it."""

    application_id: uuid.UUID
    received_on: date
    confirmation: str
    confirmed_by: str | None = None


@event_type("HistoricalOutcomeRecorded", 1)
class HistoricalOutcomeRecorded(BaseModel):
    """Ledger import: the application was concluded before this system; its outcome as the
    agency's ledger (台账) records it."""

    application_id: uuid.UUID
    outcome: str
    replied_on: date
    legal_basis: str = ""
    fee_yuan: Decimal | None = None
    source: str
