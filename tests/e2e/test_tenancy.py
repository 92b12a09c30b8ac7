"""Who may do what: every staff endpoint of every service refuses a missing, garbage, expired or
forged token (401) and another agency's staff (403/404), reveals nothing and changes nothing; the
public follows its application only with the access code."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest

from shared.auth import Role, issue_token, load_secret
from shared.clock import clock_from_setting
from tests.conftest import eventually
from tests.e2e.helpers import application, auth, case

pytestmark = pytest.mark.e2e

PUBLIC = {("POST", "/v1/applications"), ("GET", "/v1/agencies"),
          ("GET", "/v1/status/{application_id}"), ("GET", "/v1/status"),
          # Annual reports of years that have ended are published (docs/decisions.md).
          ("GET", "/v1/public/reports"), ("GET", "/v1/public/reports/{year}")}


def staff_endpoints(stack):
    for service in ("intake", "casework", "reporting", "notify"):
        spec = httpx.get(f"{stack.url(service)}/openapi.json").json()
        for path, methods in spec["paths"].items():
            for method in methods:
                if (method.upper(), path) in PUBLIC or not path.startswith("/v1/") \
                        or path.startswith("/v1/dev/"):
                    continue
                yield service, method.upper(), path


def bad_tokens(stack):
    now = clock_from_setting(stack.settings.clock).now()
    secret = load_secret(stack.home)
    yield "none", {}
    yield "garbage", {"Authorization": "Bearer not.a.token"}
    yield "expired", {"Authorization": "Bearer " + issue_token(
        secret, user="x", agency="e2e-flow", roles=[Role.CASEWORKER],
        now=now - timedelta(days=2), ttl=timedelta(hours=1))}
    yield "forged", {"Authorization": "Bearer " + issue_token(
        "another-deployment-key-of-32-bytes!!", user="x", agency="e2e-flow",
        roles=[Role.CITY_ADMIN], now=now)}


def revealed(response: httpx.Response, *secrets: str) -> str:
    """What of the case a refusal gives away (the request's own path echoed back aside)."""
    body = response.json()
    body.pop("instance", None)
    text = str(body)
    return "".join(s for s in secrets if s in text)


def fill(path: str, app_id: str) -> str:
    return (path.replace("{application_id}", app_id).replace("{agency}", "e2e-flow")
            .replace("{year}", "2025").replace("{letter_id}", "1")
            .replace("{review_id}", "R1"))


def test_every_staff_endpoint_refuses_bad_tokens_and_other_agencies(stack):
    accepted = httpx.post(f"{stack.url('intake')}/v1/applications",
                          json=application("e2e-flow", 515151)).json()
    app_id = accepted["application_id"]
    before = eventually(lambda: (c := case(stack, "e2e-flow", app_id)) and c["due_on"] and c)
    endpoints = list(staff_endpoints(stack))
    assert len(endpoints) >= 25
    for service, method, path in endpoints:
        url = f"{stack.url(service)}{fill(path, app_id)}"
        params = {"agency": "e2e-flow"}
        for name, headers in bad_tokens(stack):
            r = httpx.request(method, url, params=params, json={"on": "2025-09-22"},
                              headers=headers)
            assert r.status_code == 401, (service, method, path, name, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
            assert revealed(r, app_id) == "", (service, method, path, name)
        other = httpx.request(method, url, params=params, json={"on": "2025-09-22"},
                              headers=auth(stack, "e2e-other", "caseworker", "approver"))
        if path == "/v1/calendar" and method == "GET":
            continue  # the calendar is the same for every agency
        assert other.status_code in (403, 404, 422), (service, method, path, other.text)
        assert revealed(other, app_id, accepted["case_number"]) == "", (service, method, path)
    after = case(stack, "e2e-flow", app_id)
    assert after["history"] == before["history"]


def test_the_public_follows_an_application_only_with_its_access_code(stack):
    accepted = httpx.post(f"{stack.url('intake')}/v1/applications",
                          json=application("e2e-flow", 525252)).json()
    app_id, code = accepted["application_id"], accepted["access_code"]
    assert len(code) == 12
    url = f"{stack.url('casework')}/v1/status/{app_id}"
    status = eventually(lambda: (r := httpx.get(url, params={"code": code})).status_code == 200
                        and r.json())
    assert status["case_number"] == accepted["case_number"] and status["status_label"] == "办理中"
    assert status["due_on"] == "2025-10-24" and "applicant_name" not in status
    wrong = httpx.get(url, params={"code": "AAAAAAAAAAAA"})
    unknown = httpx.get(f"{stack.url('casework')}/v1/status/{uuid.uuid4()}",
                        params={"code": code})
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json()["detail"] == unknown.json()["detail"]
    assert httpx.get(url, params={"code": code.lower()}).status_code == 200
