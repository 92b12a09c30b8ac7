"""Facts recorded by intake."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel

from shared.events import event_type

ACCESS_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read over the phone


def access_code_hash(application_id: uuid.UUID, code: str) -> str:
    """Salted by the application id, so equal codes never give equal hashes."""
    return hashlib.sha256(f"{application_id}:{code.strip().upper()}".encode()).hexdigest()


class ApplicantType(StrEnum):
    """The six applicant columns of report table 三 (REPORT_FORMAT.md)."""

    natural_person = "natural_person"
    commercial_enterprise = "commercial_enterprise"
    research_institution = "research_institution"
    public_interest_org = "public_interest_org"
    legal_service_org = "legal_service_org"
    other_org = "other_org"


class Channel(StrEnum):
    """How the application reached the agency; it decides how the receipt date is fixed (§2)."""

    in_person = "in_person"
    post_signed = "post_signed"
    ordinary_letter = "ordinary_letter"
    online = "online"
    fax = "fax"
    email = "email"


class Applicant(BaseModel):
    type: ApplicantType
    name: str
    id_document_type: str | None = None
    id_number: str | None = None
    credit_code: str | None = None
    legal_representative: str | None = None
    contact_name: str | None = None
    mobile: str | None = None
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    postal_code: str | None = None


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


@event_type("ApplicationSubmitted", 1)
class ApplicationSubmitted(BaseModel):
    application_id: uuid.UUID
    case_number: str
    channel: Channel
    submitted_at: datetime
    applicant: Applicant
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
