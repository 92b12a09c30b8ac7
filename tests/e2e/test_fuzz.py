"""The intake API fuzzed from its own OpenAPI (schemathesis strategies, bounded): no 5xx, no
stack trace, every 4xx a problem+json, every 422 naming the fields."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.e2e.helpers import auth

pytestmark = pytest.mark.e2e


def check(response) -> None:
    assert response.status_code < 500, response.text
    assert "Traceback" not in response.text
    if response.status_code >= 400:
        content_type = response.headers.get("content-type") or [""]
        content_type = content_type[0] if isinstance(content_type, list) else content_type
        assert content_type.startswith("application/problem+json"), response.text
        problem = response.json()
        assert problem["status"] == response.status_code and problem["detail"]
        if response.status_code == 422:
            assert problem.get("errors") and all(e["field"] for e in problem["errors"])


def test_intake_answers_every_input_with_a_clear_client_error_or_success(stack):
    schema = schemathesis.openapi.from_url(f"{stack.url('intake')}/openapi.json")
    headers = auth(stack, "e2e-bad", "registrar")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/v1/applications", "/v1/registrations"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=40, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def fuzz(case) -> None:
            response = case.call(base_url=stack.url("intake"),
                                 headers={**headers, **(case.headers or {})})
            check(response)

        fuzz()
