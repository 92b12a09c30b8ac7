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
