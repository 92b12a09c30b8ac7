"""The applicant's identity document, end to end: submitted with the application as a form,
kept by intake in the transaction that accepts the application, shown only to the staff of the
application's agency with each view recorded, and never sent anywhere: the events carry a
reference to it, not its bytes."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from shared.db import plain_url
from tests.conftest import eventually
from tests.e2e.helpers import application, token
from tests.unit.test_id_document import pdf, png

pytestmark = pytest.mark.e2e

AGENCY = "e2e-iddoc"
NOT_FOUND = "未找到该申请的证件材料"
WRONG_TYPE = "证件材料须为JPG、PNG格式的图片或PDF文件"
TOO_LARGE = "证件材料不得超过5MB"
FILE_NAME = "张明的身份证正反面.png"  # a file name can be personal: it must be kept nowhere


def post_form(stack, document: tuple[str, bytes, str] | None, *, body: dict | None = None,
              key: str | None = None, path: str = "/v1/applications",
              headers: dict[str, str] | None = None) -> httpx.Response:
    files: dict[str, Any] = {"application": (
        None, json.dumps(body or application(AGENCY), ensure_ascii=False))}
    if document is not None:
        files["id_document"] = document
    return httpx.post(f"{stack.url('intake')}{path}", files=files, timeout=30,
                      headers={**(headers or {}), **({"Idempotency-Key": key} if key else {})})


def staff(stack, agency: str | None = AGENCY, user: str = "clerk-1",
          *roles: str) -> dict[str, str]:
    bearer = token(stack, agency, *(roles or ("caseworker",)), user=user)
    return {"Authorization": f"Bearer {bearer}"}


def document_of(stack, application_id: str, who: dict[str, str]) -> httpx.Response:
    return httpx.get(f"{stack.url('intake')}/v1/applications/{application_id}/id-document",
                     headers=who, timeout=10)


def views_of(stack, application_id: str, who: dict[str, str]) -> httpx.Response:
    return httpx.get(f"{stack.url('intake')}/v1/applications/{application_id}/id-document/views",
                     headers=who, timeout=10)


def query(stack, sql: str, *args: Any) -> list[asyncpg.Record]:
    async def run() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(plain_url(stack.database_url))
        try:
            return await conn.fetch(sql, *args)
        finally:
            await conn.close()

    return asyncio.run(run())


def number(stack) -> int:
    """Intake numbers what it stores, one after another: the agency's latest number."""
    accepted = httpx.post(f"{stack.url('intake')}/v1/applications", json=application(AGENCY))
    assert accepted.status_code == 201, accepted.text
    return int(accepted.json()["case_number"].rsplit("-", 1)[1])


def test_a_png_sent_online_is_shown_to_its_agency_and_every_view_is_recorded(stack):
    content = png()
    accepted = post_form(stack, (FILE_NAME, content, "image/png"))
    assert accepted.status_code == 201, accepted.text
    app_id = accepted.json()["application_id"]
    assert accepted.json()["status"] == "received"

    before = views_of(stack, app_id, staff(stack))
    assert before.status_code == 200
    assert before.json()["document"]["media_type"] == "image/png"
    assert before.json()["document"]["size"] == len(content)
    assert before.json()["document"]["received_at"].startswith("2025-09-2")
    assert before.json()["views"] == []

    shown = document_of(stack, app_id, staff(stack, user="clerk-1"))
    assert shown.status_code == 200
    assert shown.content == content
    assert shown.headers["content-type"] == "image/png"
    assert shown.headers["content-disposition"].startswith("inline")
    assert shown.headers["cache-control"] == "no-store"
    assert shown.headers["x-content-type-options"] == "nosniff"
    assert document_of(stack, app_id, staff(stack, AGENCY, "approver-2", "approver")
                       ).content == content

    views = views_of(stack, app_id, staff(stack)).json()["views"]
    assert [v["user"] for v in views] == ["clerk-1", "approver-2"]
    assert all(v["at"] for v in views)
    # Listing the views is not a view.
    assert views_of(stack, app_id, staff(stack)).json()["views"] == views
    assert len(query(stack, "SELECT 1 FROM intake.id_document_views WHERE application_id = $1",
                     uuid.UUID(app_id))) == 2

    # The file's name is kept nowhere: not in intake's tables, not in its log.
    assert FILE_NAME not in (stack.logs / "intake.log").read_text(errors="replace")
    [stored] = query(stack, "SELECT (to_jsonb(d) - 'content')::text AS row "
                            "FROM intake.id_documents d WHERE application_id = $1",
                     uuid.UUID(app_id))
    assert FILE_NAME not in stored["row"] and str(len(content)) in stored["row"]


def test_a_registrar_registers_a_letter_with_its_pdf_copy(stack):
    content = pdf(f"copy {uuid.uuid4()}")
    body = {"agency": AGENCY, "channel": "post_signed", "arrived_on": "2025-09-19",
            "received_on": "2025-09-22", "request": {"description": "某项政策文件"},
            "applicant": {**application(AGENCY)["applicant"], "address": "聊城市东昌府区某路1号"}}
    registered = post_form(stack, ("scan.pdf", content, "application/octet-stream"), body=body,
                           path="/v1/registrations",
                           headers=staff(stack, AGENCY, "desk", "registrar"))
    assert registered.status_code == 201, registered.text
    shown = document_of(stack, registered.json()["application_id"], staff(stack))
    assert shown.status_code == 200
    assert shown.headers["content-type"] == "application/pdf"  # sniffed, not as declared
    assert shown.content == content


def test_no_one_else_sees_it_and_they_are_told_the_same_as_for_none(stack):
    accepted = post_form(stack, ("id.png", png(), "image/png"))
    app_id = accepted.json()["application_id"]
    without = httpx.post(f"{stack.url('intake')}/v1/applications", json=application(AGENCY))
    other_agency = staff(stack, "e2e-other", "nosy", "caseworker", "approver", "auditor")
    city_admin = staff(stack, None, "admin", "city_admin")
    for who in (other_agency, city_admin):
        for target in (app_id, without.json()["application_id"], str(uuid.uuid4())):
            refused = document_of(stack, target, who)
            assert refused.status_code == 404
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert refused.json()["detail"] == NOT_FOUND
            assert views_of(stack, target, who).status_code == 404
    missing = document_of(stack, without.json()["application_id"], staff(stack))
    assert missing.status_code == 404 and missing.json()["detail"] == NOT_FOUND
    assert views_of(stack, without.json()["application_id"], staff(stack)).json() == {
        "document": None, "views": []}
    assert views_of(stack, app_id, staff(stack)).json()["views"] == []  # refusals are no views
    assert document_of(stack, app_id, {}).status_code == 401


def test_text_named_png_is_refused_and_nothing_is_stored(stack):
    text = f"这不是图片，只是名为身份证的文本 {uuid.uuid4()}".encode()
    before = number(stack)
    refused = post_form(stack, ("身份证.png", text, "image/png"), key="iddoc-text-1")
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["errors"] == [{"field": "id_document", "message": WRONG_TYPE}]

    # A wrong file and a wrong field are named together.
    body = application(AGENCY)
    body["applicant"]["mobile"] = "1380013800"
    both = post_form(stack, ("身份证.png", text, "image/png"), body=body, key="iddoc-text-1")
    assert both.status_code == 422
    assert {e["field"] for e in both.json()["errors"]} == {"id_document", "applicant.mobile"}

    assert query(stack, "SELECT 1 FROM intake.id_documents WHERE sha256 = $1",
                 hashlib.sha256(text).hexdigest()) == []
    # The key was not used up, and no number was: the next one is a fresh application.
    fresh = post_form(stack, ("身份证.png", png(), "image/png"), key="iddoc-text-1")
    assert fresh.status_code == 201, fresh.text
    assert "idempotent-replayed" not in fresh.headers
    assert int(fresh.json()["case_number"].rsplit("-", 1)[1]) == before + 1


def test_a_file_over_the_limit_is_refused_and_nothing_else_grew(stack):
    before = number(stack)
    just_over = b"\x89PNG\r\n\x1a\n" + b"\x00" * (5 * 1024 * 1024 - 7)  # 5 MiB + 1 byte
    far_over = b"%PDF-1.7\n" + b"0" * (6 * 1024 * 1024)  # refused before it is read
    for content in (just_over, far_over):
        refused = post_form(stack, ("big.png", content, "image/png"), key="iddoc-big-1")
        assert refused.status_code == 413, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["errors"] == [{"field": "id_document", "message": TOO_LARGE}]
    # The JSON body keeps its limit of 256 KB.
    big_json = application(AGENCY)
    big_json["request"]["purpose"] = "长" * 100_000
    assert httpx.post(f"{stack.url('intake')}/v1/applications", json=big_json,
                      timeout=10).status_code == 413
    exactly = b"%PDF-1.7\n" + b"0" * (5 * 1024 * 1024 - 9)  # 5 MiB: taken
    accepted = post_form(stack, ("big.pdf", exactly, "application/pdf"), key="iddoc-big-1")
    assert accepted.status_code == 201, accepted.text
    assert int(accepted.json()["case_number"].rsplit("-", 1)[1]) == before + 1


def test_a_retry_with_the_same_key_stores_nothing_twice(stack):
    content, body = png(), application(AGENCY)
    first = post_form(stack, ("a.png", content, "image/png"), body=body, key="iddoc-retry-1")
    again = post_form(stack, ("a.png", content, "image/png"), body=body, key="iddoc-retry-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert len(query(stack, "SELECT 1 FROM intake.id_documents WHERE sha256 = $1",
                     hashlib.sha256(content).hexdigest())) == 1
    other_file = post_form(stack, ("a.png", png(), "image/png"), body=body, key="iddoc-retry-1")
    assert other_file.status_code == 422
    assert other_file.json()["errors"][0]["field"] == "Idempotency-Key"


def test_the_events_carry_a_reference_and_not_the_file(stack):
    content = png()
    app_id = post_form(stack, (FILE_NAME, content, "image/png")).json()["application_id"]
    [stored] = query(stack, "SELECT document_id, media_type, size, content "
                            "FROM intake.id_documents WHERE application_id = $1",
                     uuid.UUID(app_id))
    assert bytes(stored["content"]) == content
    reference = {"document_id": str(stored["document_id"]), "media_type": "image/png",
                 "size": len(content)}

    def without_the_file(payload: str) -> dict[str, Any]:
        for form in (base64.b64encode(content).decode(), content.hex(), FILE_NAME):
            assert form not in payload
        return json.loads(payload)

    [event] = query(stack, "SELECT event_id, payload::text AS payload FROM intake.events "
                           "WHERE stream_id = $1 AND type = 'ApplicationSubmitted'", app_id)
    assert without_the_file(event["payload"])["id_document"] == reference
    # What casework received from the topic is the same reference.
    [received] = eventually(lambda: query(
        stack, "SELECT envelope::text AS envelope FROM casework.inbox WHERE event_id = $1",
        event["event_id"]))
    assert without_the_file(received["envelope"])["payload"]["id_document"] == reference
