"""An application as submitted, its validation, and the facts that submitting it records."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.clock import local_date
from shared.contracts.agencies import AgencyConfigured
from shared.contracts.applications import (
    Applicant,
    ApplicantType,
    ApplicationSubmitted,
    Channel,
    ReceiptConfirmed,
    RequestedInformation,
)
from shared.validation.identity import validate_credit_code, validate_mobile, validate_resident_id


class IdDocument(StrEnum):
    resident_id = "resident_id"  # 居民身份证 (and the 2023 foreigners' permanent residence card)
    passport = "passport"
    hk_macao_permit = "hk_macao_permit"
    taiwan_permit = "taiwan_permit"
    other = "other"


class Medium(StrEnum):
    paper = "paper"
    electronic = "electronic"


class Delivery(StrEnum):
    post = "post"
    email = "email"
    pickup = "pickup"
    online = "online"


class ApplicantForm(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    type: ApplicantType
    name: str = Field(min_length=1, max_length=200)
    id_document_type: IdDocument | None = None
    id_number: str | None = Field(None, max_length=40)
    credit_code: str | None = Field(None, max_length=40)
    legal_representative: str | None = Field(None, max_length=100)
    contact_name: str | None = Field(None, max_length=100)
    mobile: str | None = Field(None, max_length=30)
    phone: str | None = Field(None, max_length=30)
    email: str | None = Field(None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    address: str | None = Field(None, max_length=500)
    postal_code: str | None = Field(None, pattern=r"^\d{6}$")

    @field_validator("mobile")
    @classmethod
    def _mobile(cls, value: str | None) -> str | None:
        return validate_mobile(value) if value else None

    @field_validator("credit_code")
    @classmethod
    def _credit_code(cls, value: str | None) -> str | None:
        return validate_credit_code(value) if value else None

    @model_validator(mode="after")
    def _required_by_type(self) -> Self:
        # The applicant type is a column of the annual report, and each type identifies itself
        # differently (Art. 29: name and ID document or organisation code, contact details).
        if self.type is ApplicantType.natural_person:
            if self.id_document_type is None:
                self.id_document_type = IdDocument.resident_id
            if not self.id_number:
                raise _field_error("id_number", "自然人申请须填写身份证件号码")
            if self.id_document_type is IdDocument.resident_id:
                try:
                    self.id_number = validate_resident_id(self.id_number)
                except ValueError as exc:
                    raise _field_error("id_number", str(exc)) from None
        else:
            if not self.credit_code:
                raise _field_error("credit_code", "法人或其他组织申请须填写统一社会信用代码")
            if not self.legal_representative:
                raise _field_error(
                    "legal_representative", "法人或其他组织申请须填写法定代表人或负责人"
                )
            if not self.contact_name:
                raise _field_error("contact_name", "法人或其他组织申请须填写联系人姓名")
        if not (self.mobile or self.phone or self.address or self.email):
            raise _field_error("mobile", "须至少填写一种联系方式（电话、通信地址或电子邮箱）")
        return self


class RequestForm(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    description: str = Field(min_length=2, max_length=5000)
    purpose: str | None = Field(None, max_length=2000)
    medium: Medium = Medium.electronic
    delivery: Delivery = Delivery.online


class SubmissionForm(BaseModel):
    """An online application as the public submits it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    agency: str = Field(min_length=2, max_length=40)
    applicant: ApplicantForm
    request: RequestForm

    @model_validator(mode="after")
    def _reachable(self) -> Self:
        no_control_characters(self)
        if not (self.applicant.mobile or self.applicant.phone):
            raise _field_error("applicant.mobile", "网上申请须填写联系电话（手机号码或固定电话）")
        return _deliverable(self)


def _deliverable(form: SubmissionForm | RegistrationForm) -> SubmissionForm | RegistrationForm:
    """The applicant can be reached the way they asked to receive the information."""
    if form.request.delivery is Delivery.post and not form.applicant.address:
        raise _field_error("applicant.address", "选择邮寄方式的，须填写通信地址")
    if form.request.delivery is Delivery.email and not form.applicant.email:
        raise _field_error("applicant.email", "选择电子邮件方式的，须填写电子邮箱")
    return form


class RegistrationForm(BaseModel):
    """An application staff register: handed in, posted, faxed, e-mailed, or written down from
    an oral request (which is then an in-person application, Art. 29)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    agency: str = Field(min_length=2, max_length=40)
    channel: Channel
    arrived_on: date = Field(description="The day it reached the agency (handed in, delivered)")
    received_on: date | None = Field(
        None, description="收到申请之日 (Art. 31); empty while a letter, fax or online "
                          "application waits to be signed for or confirmed")
    applicant: ApplicantForm
    request: RequestForm

    @model_validator(mode="after")
    def _receipt_rules(self) -> Self:
        no_control_characters(self)
        # Art. 31: in person and e-mail are received the day they arrive; signed-for post needs
        # the signing date; an ordinary letter, a fax or an online application is received when
        # confirmed, which may be later (or not yet).
        same_day = (Channel.in_person, Channel.email)
        if self.channel in same_day:
            self.received_on = self.received_on or self.arrived_on
            if self.received_on != self.arrived_on:
                raise _field_error(
                    "received_on", "当面提交或电子邮件申请，收到之日即为提交或到达之日")
        if self.channel is Channel.post_signed and self.received_on is None:
            raise _field_error("received_on", "邮寄签收的申请须填写签收之日")
        if self.received_on is not None and self.received_on < self.arrived_on:
            raise _field_error("received_on", "收到申请之日不得早于申请到达之日")
        return _deliverable(self)


_CONTROL = {c for c in range(32) if chr(c) not in "\t\n\r"} | {127}


def no_control_characters(model: BaseModel, prefix: str = "") -> None:
    """Text is stored verbatim, but control characters (NUL above all) are never legitimate in an
    application and PostgreSQL refuses NUL: refuse them by field."""
    for name, value in model:
        if isinstance(value, BaseModel):
            no_control_characters(value, f"{prefix}{name}.")
        elif isinstance(value, str) and any(ord(ch) in _CONTROL for ch in value):
            raise FieldError(f"{prefix}{name}", "内容包含不允许的控制字符")


class FieldError(ValueError):
    """A validation failure that names its field (dotted path from the form's root)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _field_error(field: str, message: str) -> FieldError:
    return FieldError(field, message)


def check_as_of(form: SubmissionForm | RegistrationForm, today: date) -> None:
    """Checks that need today's date (kept out of the model so the clock stays injected):
    back-dating is allowed, a date in the future never."""
    if isinstance(form, RegistrationForm):
        if form.arrived_on > today:
            raise FieldError("arrived_on", "申请到达之日不得晚于今天")
        if form.received_on is not None and form.received_on > today:
            raise FieldError("received_on", "收到申请之日不得晚于今天")
    applicant = form.applicant
    if applicant.id_document_type is IdDocument.resident_id and applicant.id_number:
        try:
            validate_resident_id(applicant.id_number, today=today)
        except ValueError as exc:
            raise FieldError("applicant.id_number", str(exc)) from None


def case_number_prefix(agency: AgencyConfigured, year: int) -> str:
    return f"{agency.case_prefix}-{year}-"


def case_number(agency: AgencyConfigured, year: int, sequence: int) -> str:
    """PREFIX-YEAR-00001; the sequence is numbered per agency and year (the same shape is
    built inside intake's `accept_application` function, migration 0003)."""
    return f"{case_number_prefix(agency, year)}{sequence:05d}"


def _submitted(form: SubmissionForm | RegistrationForm, channel: Channel,
               application_id: uuid.UUID, number: str, now: datetime, arrived_on: date,
               registered_by: str | None, keys: list[str]) -> ApplicationSubmitted:
    a = form.applicant
    return ApplicationSubmitted(
        application_id=application_id,
        case_number=number,
        channel=channel,
        submitted_at=now,
        arrived_on=arrived_on,
        registered_by=registered_by,
        applicant=Applicant(type=a.type, name=a.name, mobile=a.mobile, email=a.email),
        applicant_keys=keys,
        request=RequestedInformation(
            description=form.request.description,
            purpose=form.request.purpose,
            medium=form.request.medium.value,
            delivery=form.request.delivery.value,
        ),
    )


def identity(form: SubmissionForm | RegistrationForm) -> dict[str, str | None]:
    """What intake keeps of the applicant beside the events and no other service gets: the
    identity document and number, the credit code, the legal representative, and the postal
    details (docs/privacy.md)."""
    a = form.applicant
    return {"id_document_type": a.id_document_type.value if a.id_document_type else None,
            "id_number": a.id_number, "credit_code": a.credit_code,
            "legal_representative": a.legal_representative, "contact_name": a.contact_name,
            "phone": a.phone, "address": a.address, "postal_code": a.postal_code}


def identifying_number(form: SubmissionForm | RegistrationForm) -> str | None:
    """The number an applicant's key is made from: an organisation's credit code, else the
    person's ID number."""
    return form.applicant.credit_code or form.applicant.id_number


def submit_online(
    form: SubmissionForm,
    agency: AgencyConfigured,
    *,
    application_id: uuid.UUID,
    number: str,
    now: datetime,
    keys: list[str],
) -> list[ApplicationSubmitted | ReceiptConfirmed]:
    """The facts of an online submission. With the agency's auto-confirmation policy the system's
    acknowledgement is the 双方确认 of Art. 31, so the receipt date is the submission's date."""
    submitted = _submitted(form, Channel.online, application_id, number, now, local_date(now),
                           None, keys)
    if agency.policies.online_receipt != "auto":
        return [submitted]
    confirmed = ReceiptConfirmed(
        application_id=application_id,
        received_on=local_date(now),
        confirmation="online_auto",
    )
    return [submitted, confirmed]


def register(
    form: RegistrationForm,
    *,
    application_id: uuid.UUID,
    number: str,
    now: datetime,
    registrar: str,
    keys: list[str],
) -> list[ApplicationSubmitted | ReceiptConfirmed]:
    """The facts of a staff registration: the entry time and the receipt date are both kept."""
    submitted = _submitted(form, form.channel, application_id, number, now, form.arrived_on,
                           registrar, keys)
    if form.received_on is None:
        return [submitted]
    return [submitted, ReceiptConfirmed(application_id=application_id,
                                        received_on=form.received_on,
                                        confirmation=f"registered_{form.channel.value}",
                                        confirmed_by=registrar)]
