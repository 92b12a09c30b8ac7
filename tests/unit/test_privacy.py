"""Personal data kept to the inventory (docs/privacy.md): keys that cannot be reversed without
intake's secret and survive its rotation, the access code sealed in the idempotency record,
and each service storing only the fields of an event its job needs."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

import pytest

from services.intake.adapters.key_ring import load_ring, parse_ring
from services.intake.domain.applicant_keys import Secret, applicant_keys, seal, unseal
from shared.contracts.applications import ApplicantType, Channel
from shared.contracts.cases import CaseOpened
from shared.contracts.personal import kept_by
from shared.events import decode_payload, new_event

ID = "11010519491231002X"
OLD = Secret("k1", b"an-old-secret-of-at-least-32-bytes-long")
NEW = Secret("k2", b"the-new-secret-of-at-least-32-bytes-long")


def test_an_applicant_key_needs_the_secret_and_is_not_the_plain_hash():
    [key] = applicant_keys(ID, [OLD])
    assert ID not in key and hashlib.sha256(ID.encode()).hexdigest()[:32] not in key
    assert applicant_keys(ID.lower() + " ", [OLD]) == [key]  # one number, one key
    assert applicant_keys(ID, [Secret("k1", b"x" * 32)]) != [key]
    assert applicant_keys(None, [OLD]) == [] and applicant_keys("  ", [OLD]) == []


def test_rotation_keeps_one_applicant_recognised_while_the_old_secret_is_in_the_ring():
    before = set(applicant_keys(ID, [OLD]))
    during = set(applicant_keys(ID, [NEW, OLD]))
    after = set(applicant_keys(ID, [NEW]))
    assert before & during and during & after and not before & after
    assert not during & set(applicant_keys("110105194912310037", [NEW, OLD]))


def test_the_access_code_is_sealed_to_its_idempotency_key():
    sealed = seal("ABCD2345EFGH", "retry-key-1", NEW)
    assert "ABCD2345EFGH" not in sealed
    assert unseal(sealed, "retry-key-1", [NEW, OLD]) == "ABCD2345EFGH"
    assert unseal(sealed, "another-key", [NEW, OLD]) != "ABCD2345EFGH"
    assert unseal(sealed, "retry-key-1", [OLD]) is None  # its secret left the ring


def test_the_ring_is_read_from_the_environment_or_made_once(tmp_path):
    ring = parse_ring("k2:" + "a" * 32 + ", k1:" + "b" * 32)
    assert [s.key_id for s in ring] == ["k2", "k1"]
    for bad in ("k1:short", "nocolon" + "a" * 32, "k1:" + "a" * 32 + ",k1:" + "b" * 32):
        with pytest.raises(ValueError):
            parse_ring(bad)
    made = load_ring(tmp_path, "")
    assert load_ring(tmp_path, "") == made and len(made) == 1
    assert oct((tmp_path / "intake" / "applicant-key.secret").stat().st_mode)[-3:] == "600"


def test_old_events_lose_what_they_should_never_have_carried():
    submitted = decode_payload("ApplicationSubmitted", 1, {
        "application_id": str(uuid.uuid4()), "case_number": "A-2025-00001", "channel": "online",
        "submitted_at": "2025-09-22T01:00:00Z", "request": {"description": "低保"},
        "applicant": {"type": "natural_person", "name": "张明", "id_number": ID,
                      "address": "兴华东路1号", "mobile": "13800138000"}})
    assert ID not in submitted.model_dump_json() and "兴华东路" not in submitted.model_dump_json()
    assert submitted.applicant.mobile == "13800138000" and submitted.applicant_keys == []
    opened = decode_payload("CaseOpened", 1, {
        "application_id": str(uuid.uuid4()), "case_number": "A-2025-00001", "channel": "online",
        "applicant_type": "natural_person", "applicant_name": "张明",
        "applicant_key": hashlib.sha256(ID.encode()).hexdigest()[:32],
        "submitted_at": "2025-09-22T01:00:00Z", "request_summary": "低保"})
    assert opened.applicant_keys == [] and "applicant_key" not in opened.model_dump()


def _opened() -> CaseOpened:
    return CaseOpened(application_id=uuid.uuid4(), case_number="A-2025-00001",
                      channel=Channel.online, applicant_type=ApplicantType.natural_person,
                      applicant_name="张明", applicant_keys=applicant_keys(ID, [NEW]),
                      access_code_hash="h", mobile="13800138000", email="zm@example.cn",
                      submitted_at=datetime(2025, 9, 22, 1, tzinfo=UTC),
                      request_summary="我本人的低保记录")


def test_each_consumer_stores_only_what_its_job_needs():
    envelope = new_event(_opened(), stream_id="s", stream_position=1, agency="a",
                         occurred_at=datetime(2025, 9, 22, 1, tzinfo=UTC), actor="casework",
                         correlation_id=uuid.uuid4())
    reporting = kept_by("reporting", envelope)
    stored = reporting.model_dump_json()
    for personal in ("张明", "13800138000", "zm@example.cn", "低保记录", "k2:"):
        assert personal not in stored
    assert reporting.body().applicant_type is ApplicantType.natural_person  # replay reads it
    notify = kept_by("notify", envelope).body()
    assert (notify.applicant_name, notify.mobile, notify.email) == (
        "张明", "13800138000", "zm@example.cn")
    assert notify.applicant_keys == [] and notify.access_code_hash is None
