"""Intake's validation names the field that is wrong, in Chinese, and records nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from services.intake.domain.application import (
    FieldError,
    SubmissionForm,
    check_as_of,
    identity,
    submit_online,
)
from shared.contracts.agencies import AgencyConfigured, AgencyPolicies, Office
from shared.http import _field

PERSON = {"type": "natural_person", "name": "张明", "id_number": "11010519491231002X",
          "mobile": "+86 138-0013-8000"}
ORG = {"type": "commercial_enterprise", "name": "示例公司", "credit_code": "91350100M000100Y43",
       "legal_representative": "李华", "contact_name": "王芳", "mobile": "13900139000"}
REQUEST = {"description": "低保资金发放情况"}


def form(applicant, **extra):
    return SubmissionForm.model_validate({"agency": "lc-mzj", "applicant": applicant,
                                          "request": {**REQUEST, **extra}})


def fields_of(exc: ValidationError) -> list[str]:
    return [_field(e) for e in exc.errors()]


def test_a_valid_person_is_normalised():
    f = form(PERSON)
    assert f.applicant.mobile == "13800138000"
    assert f.applicant.id_document_type == "resident_id"


@pytest.mark.parametrize(("applicant", "field"), [
    ({**PERSON, "id_number": "110105194912310021"}, "applicant.id_number"),
    ({**PERSON, "id_number": None}, "applicant.id_number"),
    ({**PERSON, "mobile": "12345"}, "applicant.mobile"),
    ({**PERSON, "mobile": None}, "applicant.mobile"),
    ({**PERSON, "type": "alien"}, "applicant.type"),
    ({**ORG, "credit_code": "91350100M000100Y44"}, "applicant.credit_code"),
    ({**ORG, "credit_code": None}, "applicant.credit_code"),
    ({**ORG, "legal_representative": None}, "applicant.legal_representative"),
    ({**ORG, "contact_name": None}, "applicant.contact_name"),
])
def test_an_invalid_field_is_named(applicant, field):
    with pytest.raises(ValidationError) as caught:
        form(applicant)
    assert fields_of(caught.value) == [field]


def test_post_delivery_needs_an_address():
    with pytest.raises(ValidationError) as caught:
        form(PERSON, delivery="post")
    assert fields_of(caught.value) == ["applicant.address"]


def test_a_birth_date_after_today_is_refused_with_the_injected_date():
    f = form({**PERSON, "id_number": "510107202312311234"})
    check_as_of(f, date(2024, 1, 1))
    with pytest.raises(FieldError) as caught:
        check_as_of(f, date(2023, 12, 30))
    assert caught.value.field == "applicant.id_number"


def agency(online_receipt: str) -> AgencyConfigured:
    return AgencyConfigured(
        agency_id="lc-mzj", name="聊城市民政局", case_prefix="LCMZJ", disclosure_body="办公室",
        address="兴华东路71号", phone="0635-8321090",
        reconsideration_organ=Office(name="聊城市人民政府"), court=Office(name="东昌府区人民法院"),
        policies=AgencyPolicies(online_receipt=online_receipt),
    )


def test_online_receipt_date_is_the_local_date_of_submission_when_auto_confirmed():
    # 2025-09-21 17:30 UTC is already 2025-09-22 in Shanghai.
    now = datetime(2025, 9, 21, 17, 30, tzinfo=UTC)
    [submitted] = submit_online(form(PERSON), agency("auto"), application_id=uuid.uuid4(),
                                number="X", now=now, keys=["k1:ab"])
    # One fact: the submission carries its receipt (no ReceiptConfirmed follows it).
    assert submitted.receipt.received_on == date(2025, 9, 22)
    assert submitted.receipt.confirmation == "online_auto"
    # The event carries the applicant's keys, not the number (it stays in intake).
    assert submitted.applicant_keys == ["k1:ab"]
    assert "11010519491231002X" not in submitted.model_dump_json()
    assert identity(form(PERSON))["id_number"] == "11010519491231002X"


def test_staff_confirmation_policy_leaves_the_receipt_date_open():
    facts = submit_online(form(PERSON), agency("staff"), application_id=uuid.uuid4(),
                          number="X", now=datetime(2025, 9, 22, 2, tzinfo=UTC), keys=[])
    assert [type(f).__name__ for f in facts] == ["ApplicationSubmitted"]
    assert facts[0].receipt is None
