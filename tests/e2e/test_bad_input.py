"""Bad input gets a clear error naming the field, and nothing is recorded."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.helpers import application, cases

pytestmark = pytest.mark.e2e


def post(stack, body, **kwargs):
    return httpx.post(f"{stack.url('intake')}/v1/applications", timeout=10, **kwargs,
                      **({"json": body} if not isinstance(body, bytes) else {"content": body}))


@pytest.mark.parametrize(("change", "field"), [
    (lambda a: a["applicant"].update(id_number="110105194912310021"), "applicant.id_number"),
    (lambda a: a["applicant"].update(mobile="1380013800"), "applicant.mobile"),
    (lambda a: a["applicant"].pop("name"), "applicant.name"),
    (lambda a: a["applicant"].update(type="company"), "applicant.type"),
    (lambda a: a["applicant"].update(type="research_institution"), "applicant.credit_code"),
    (lambda a: a.update(agency="no-such-agency"), "agency"),
    (lambda a: a["request"].update(description=""), "request.description"),
    (lambda a: a.update(unexpected="x"), "unexpected"),
])
def test_a_bad_field_is_named_in_a_problem_response(stack, change, field):
    body = application("e2e-bad")
    change(body)
    response = post(stack, body)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 422
    assert [e["field"] for e in problem["errors"]] == [field]
    assert all(e["message"] for e in problem["errors"])
    assert "Traceback" not in response.text


def test_a_body_that_is_not_json_is_refused_clearly(stack):
    response = post(stack, b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "Traceback" not in response.text


def test_refused_applications_leave_no_trace(stack):
    for _ in range(3):
        body = application("e2e-bad")
        body["applicant"]["id_number"] = "110105194912310021"
        assert post(stack, body).status_code == 422
    # A valid one afterwards is the first and only case of the agency, numbered 00001.
    accepted = post(stack, application("e2e-bad")).json()
    assert accepted["case_number"] == "T4-2025-00001"
    from tests.conftest import eventually

    eventually(lambda: len(cases(stack, "e2e-bad")) == 1)


# The public route is answered by a lean ASGI lane (services/intake/entrypoints/submit_lane.py);
# whatever it does not answer itself must read exactly as the FastAPI route would answer it.

def test_an_over_long_idempotency_key_is_named(stack):
    response = post(stack, application("e2e-bad"), headers={"Idempotency-Key": "k" * 201})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["idempotency-key"]


def test_a_json_content_type_with_a_charset_is_accepted(stack):
    import json

    body = json.dumps(application("e2e-lane"), ensure_ascii=False).encode()
    response = post(stack, body, headers={"content-type": "application/json; charset=utf-8",
                                          "Idempotency-Key": "lane-charset-1"})
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"/v1/applications/{response.json()['application_id']}"


def test_a_body_streamed_past_the_limit_is_refused_and_nothing_is_kept(stack):
    def chunks():
        yield b'{"agency": "e2e-lane", "request": {"description": "'
        for _ in range(40):
            yield "很长的申请内容".encode() * 1_000
        yield b'"}}'

    def number() -> int:  # intake numbers what it stores, one after another, at once
        accepted = post(stack, application("e2e-lane"))
        assert accepted.status_code == 201, accepted.text
        return int(accepted.json()["case_number"].rsplit("-", 1)[1])

    before = number()
    response = httpx.post(f"{stack.url('intake')}/v1/applications", content=chunks(),
                          headers={"content-type": "application/json"}, timeout=10)
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    assert number() == before + 1  # the refused body took no number: nothing was stored


def test_public_submissions_are_counted_under_their_route(stack):
    def counted() -> float:
        text = httpx.get(f"{stack.url('intake')}/metrics").text
        line = next((x for x in text.splitlines() if x.startswith("gongkai_http_requests_total{")
                     and 'route="/v1/applications"' in x and 'status="2xx"' in x), None)
        return float(line.rsplit(" ", 1)[1]) if line else 0.0

    before = counted()
    assert post(stack, application("e2e-lane")).status_code == 201
    assert counted() == before + 1
