"""An application as submitted, its validation, and the facts that submitting it records."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from shared.clock import local_date
from shared.contracts.agencies import AgencyConfigured
from shared.contracts.applications import (
    Applicant,
    ApplicantType,
    ApplicationSubmitted,
    Channel,
    Receipt,
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
    def _normalised(self) -> Self:
        # The rules of each applicant type are judged with the whole form (`_applicant_rules`),
        # so that every problem is named at once; here only the defaults and normal forms.
        if self.type is ApplicantType.natural_person:
            if self.id_document_type is None:
                self.id_document_type = IdDocument.resident_id
            if self.id_document_type is IdDocument.resident_id and self.id_number:
                with suppress(ValueError):  # named by the rules
                    self.id_number = validate_resident_id(self.id_number)
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

    @model_validator(mode="wrap")
    @classmethod
    def _all_at_once(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        return _judged(cls, data, handler, _submission_rules)


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

    @model_validator(mode="wrap")
    @classmethod
    def _all_at_once(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        return _judged(cls, data, handler, _registration_rules)

    @model_validator(mode="after")
    def _same_day(self) -> Self:
        # Art. 31: in person and e-mail are received the day they arrive.
        if self.channel in _SAME_DAY and self.received_on is None:
            self.received_on = self.arrived_on
        return self


# --- Every problem at once ---------------------------------------------------------------
# Pydantic stops at a model whose fields failed: its "after" validators never run, and the
# first one that raises hides the rest. So the rules between fields (what an applicant type
# must give, the delivery route's address, the receipt dates, the ID number as of today) are
# judged by the form's root on the data as submitted, whether or not its fields validated,
# and reported with pydantic's own field errors in one ValidationError; a field pydantic
# already refused is not judged again. Today's date comes from the service's clock through
# `judged_on` (intake's entrypoints set it for each request): without it the date rules wait
# for `check_as_of`, which the use case always runs.

Problems = list[tuple[str, str]]
Rules = Callable[["_Raw", date | None], Problems]

_TODAY: ContextVar[date | None] = ContextVar("gongkai_intake_today", default=None)
_SAME_DAY = (Channel.in_person, Channel.email)
_UNREADABLE = object()  # a value present but not of its type: rules that need it stand aside


@contextmanager
def judged_on(today: date) -> Iterator[None]:
    """Validate forms, within this block, as of `today` (a local date from the injected clock)."""
    token = _TODAY.set(today)
    try:
        yield
    finally:
        _TODAY.reset(token)


class _Raw:
    """The submitted data as far as it can be read, for rules that must run even when some of
    its fields did not validate."""

    def __init__(self, data: Any) -> None:
        self.data: dict[str, Any] = data if isinstance(data, dict) else {}

    def part(self, name: str) -> _Raw:
        return _Raw(self.data.get(name))

    def given(self, name: str) -> bool:
        value = self.data.get(name)
        return bool(value.strip()) if isinstance(value, str) else value is not None

    def text(self, name: str) -> str:
        value = self.data.get(name)
        return value.strip() if isinstance(value, str) else ""

    def day(self, name: str) -> Any:
        """A date, None when not given, `_UNREADABLE` when not one."""
        value = self.data.get(name)
        if isinstance(value, date):
            return value
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            return date.fromisoformat(value.strip()) if isinstance(value, str) else _UNREADABLE
        except ValueError:
            return _UNREADABLE


def _judged(cls: type[BaseModel], data: Any, handler: Any, rules: Rules) -> Any:
    found: list[dict[str, Any]] = []
    form = None
    try:
        form = handler(data)
    except ValidationError as exc:
        found = list(exc.errors(include_url=False))
    raw = _Raw(form.model_dump(mode="json") if form is not None else data)
    taken = {tuple(str(p) for p in e["loc"]) for e in found}
    mine: Problems = []
    for path, message in [*_control_characters(raw.data), *rules(raw, _TODAY.get())]:
        loc = tuple(path.split("."))
        # A field is named once, by its first problem (pydantic's own before the rules').
        if not any(loc[:len(t)] == t or t[:len(loc)] == loc for t in taken):
            taken.add(loc)
            mine.append((path, message))
    if not found and not mine:
        return form
    line_errors: list[Any] = [
        {"type": PydanticCustomError(e["type"], e["msg"], e.get("ctx")), "loc": e["loc"],
         "input": e.get("input")} for e in found]
    line_errors += [{"type": PydanticCustomError("value_error", "{error}", {"error": message}),
                     "loc": tuple(path.split(".")), "input": None} for path, message in mine]
    raise ValidationError.from_exception_data(cls.__name__, line_errors)


def _applicant_rules(a: _Raw, today: date | None) -> Problems:
    """Each applicant type identifies itself differently (Art. 29: name and ID document or
    organisation code, contact details); the type is a column of the annual report."""
    problems: Problems = []
    kind = a.text("type")
    if kind == ApplicantType.natural_person:
        number = a.text("id_number")
        if not number:
            problems.append(("id_number", "自然人申请须填写身份证件号码"))
        elif (a.text("id_document_type") or IdDocument.resident_id) == IdDocument.resident_id:
            try:
                validate_resident_id(number, today=today)
            except ValueError as exc:
                problems.append(("id_number", str(exc)))
    elif kind in set(ApplicantType):
        if not a.given("credit_code"):
            problems.append(("credit_code", "法人或其他组织申请须填写统一社会信用代码"))
        if not a.given("legal_representative"):
            problems.append(("legal_representative", "法人或其他组织申请须填写法定代表人或负责人"))
        if not a.given("contact_name"):
            problems.append(("contact_name", "法人或其他组织申请须填写联系人姓名"))
    if not any(a.given(name) for name in ("mobile", "phone", "address", "email")):
        problems.append(("mobile", "须至少填写一种联系方式（电话、通信地址或电子邮箱）"))
    return [(f"applicant.{name}", message) for name, message in problems]


def _deliverable(raw: _Raw) -> Problems:
    """The applicant can be reached the way they asked to receive the information."""
    delivery, applicant = raw.part("request").text("delivery"), raw.part("applicant")
    if delivery == Delivery.post and not applicant.given("address"):
        return [("applicant.address", "选择邮寄方式的，须填写通信地址")]
    if delivery == Delivery.email and not applicant.given("email"):
        return [("applicant.email", "选择电子邮件方式的，须填写电子邮箱")]
    return []


def _submission_rules(raw: _Raw, today: date | None) -> Problems:
    applicant = raw.part("applicant")
    problems: Problems = []
    if not (applicant.given("mobile") or applicant.given("phone")):
        problems.append(("applicant.mobile", "网上申请须填写联系电话（手机号码或固定电话）"))
    return problems + _applicant_rules(applicant, today) + _deliverable(raw)


def _registration_rules(raw: _Raw, today: date | None) -> Problems:
    # Art. 31: in person and e-mail are received the day they arrive; signed-for post needs
    # the signing date; an ordinary letter, a fax or an online application is received when
    # confirmed, which may be later (or not yet). Back-dating is allowed, the future never.
    problems: Problems = []
    channel = raw.text("channel")
    arrived, received = raw.day("arrived_on"), raw.day("received_on")
    both = arrived not in (None, _UNREADABLE) and received not in (None, _UNREADABLE)
    if today is not None and arrived not in (None, _UNREADABLE) and arrived > today:
        problems.append(("arrived_on", "申请到达之日不得晚于今天"))
    if today is not None and received not in (None, _UNREADABLE) and received > today:
        problems.append(("received_on", "收到申请之日不得晚于今天"))
    if channel in _SAME_DAY and both and received != arrived:
        problems.append(("received_on", "当面提交或电子邮件申请，收到之日即为提交或到达之日"))
    if channel == Channel.post_signed and received is None:
        problems.append(("received_on", "邮寄签收的申请须填写签收之日"))
    if both and received < arrived:
        problems.append(("received_on", "收到申请之日不得早于申请到达之日"))
    return problems + _applicant_rules(raw.part("applicant"), today) + _deliverable(raw)


_CONTROL = {c for c in range(32) if chr(c) not in "\t\n\r"} | {127}


def _control_characters(data: Any, prefix: str = "") -> Problems:
    """Text is stored verbatim, but control characters (NUL above all) are never legitimate in an
    application and PostgreSQL refuses NUL: refuse them by field."""
    problems: Problems = []
    for name, value in (data.items() if isinstance(data, dict) else ()):
        if isinstance(value, dict):
            problems += _control_characters(value, f"{prefix}{name}.")
        elif isinstance(value, str) and any(ord(ch) in _CONTROL for ch in value):
            problems.append((f"{prefix}{name}", "内容包含不允许的控制字符"))
    return problems


class FieldError(ValueError):
    """A validation failure naming its fields (dotted paths from the form's root): `field` and
    `message` are the first, `problems` all of them."""

    def __init__(self, field: str, message: str, problems: Problems | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.problems = problems or [(field, message)]


def check_as_of(form: SubmissionForm | RegistrationForm, today: date) -> None:
    """The rules as of today (kept out of the model so the clock stays injected): back-dating is
    allowed, a date in the future never, nor an ID number of someone born after today. Raises a
    FieldError naming every problem."""
    rules = _registration_rules if isinstance(form, RegistrationForm) else _submission_rules
    problems = rules(_Raw(form.model_dump(mode="json")), today)
    if problems:
        raise FieldError(*problems[0], problems=problems)


def case_number_prefix(agency: AgencyConfigured, year: int) -> str:
    """PREFIX-YEAR- of the agency's case numbers (PREFIX-YEAR-00001): the sequence, numbered
    per agency and year, is drawn and appended by intake's `reserve_case_numbers` (migration
    0009), the one place numbers are made."""
    return f"{agency.case_prefix}-{year}-"


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
) -> list[ApplicationSubmitted]:
    """The fact of an online submission. With the agency's auto-confirmation policy the system's
    acknowledgement is the 双方确认 of Art. 31, so the receipt date is the submission's date,
    recorded in the same fact."""
    submitted = _submitted(form, Channel.online, application_id, number, now, local_date(now),
                           None, keys)
    if agency.policies.online_receipt != "auto":
        return [submitted]
    receipt = Receipt(received_on=local_date(now), confirmation="online_auto")
    return [submitted.model_copy(update={"receipt": receipt})]


def register(
    form: RegistrationForm,
    *,
    application_id: uuid.UUID,
    number: str,
    now: datetime,
    registrar: str,
    keys: list[str],
) -> list[ApplicationSubmitted]:
    """The fact of a staff registration: the entry time and, when given, the receipt date are
    both kept."""
    submitted = _submitted(form, form.channel, application_id, number, now, form.arrived_on,
                           registrar, keys)
    if form.received_on is None:
        return [submitted]
    receipt = Receipt(received_on=form.received_on,
                      confirmation=f"registered_{form.channel.value}", confirmed_by=registrar)
    return [submitted.model_copy(update={"receipt": receipt})]
