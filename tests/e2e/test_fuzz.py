"""The intake API fuzzed from its own OpenAPI (schemathesis strategies, bounded): no 5xx, no
stack trace, every 4xx a problem+json, every 422 naming the fields."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
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


# What pydantic says in English; none of it may reach a client (shared/validation/messages.py).
ENGLISH = ("Input should", "Field required", "String should", "Value error", "Extra inputs",
           "value is not", "List should", "Dictionary should", "JSON decode", "Assertion failed",
           "Object has no attribute", "should have at", "Unable to")
SERVICES = ("intake", "casework", "reporting", "notify")


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    for key in ("anyOf", "oneOf", "allOf"):
        typed = [s for s in schema.get(key, []) if s.get("type") != "null"]
        if typed:
            return _resolve(spec, typed[0])
    return schema


def _wrong(schema: dict[str, Any]) -> list[Any]:
    """Values a field of this schema refuses."""
    kind = schema.get("type")
    if "enum" in schema or "const" in schema:
        return ["no-such-value", 7]
    if kind == "integer":
        return ["abc", 1.5, 10**12, -10**12]
    if kind == "number":
        return ["abc", [1]]
    if kind == "string":
        if schema.get("format") == "date":
            return ["2025-13-45", "昨天", 20250101.5]
        if schema.get("format") == "uuid":
            return ["not-a-uuid"]
        return [12345, ["x"], "\x00" + "长" * 6000]
    if kind == "array":
        return ["x", [None] * 60]
    if kind == "boolean":
        return ["maybe"]
    return [[1, 2], "x"]


def _bodies(spec: dict[str, Any], schema: dict[str, Any]) -> list[Any]:
    schema = _resolve(spec, schema)
    properties = schema.get("properties") or {}
    required = schema.get("required") or []
    bodies: list[Any] = [[], "x", 12]
    if required:  # an empty object is then refused too, and an unknown field beside nothing
        bodies += [{}, {"unexpected": 1}]
    for name, prop in properties.items():
        prop = _resolve(spec, prop)
        bodies += [{name: value} for value in _wrong(prop)]
        for inner, inner_prop in (prop.get("properties") or {}).items():
            bodies += [{name: {inner: value}} for value in _wrong(_resolve(spec, inner_prop))]
    return bodies


def _requests(spec: dict[str, Any]):
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method not in ("get", "post", "put") or path in ("/metrics", "/v1/sweep"):
                continue
            params = op.get("parameters") or []
            concrete = path
            for p in (p for p in params if p["in"] == "path"):
                kind = _resolve(spec, p.get("schema") or {}).get("type")
                concrete = concrete.replace("{" + p["name"] + "}", {
                    "integer": "2025"}.get(kind, "e2e-bad"))
                bad = {"integer": "twenty", "string": "x" * 300}.get(kind, "not-a-uuid")
                yield method, path.replace("{" + p["name"] + "}", bad), None, None
            for p in (p for p in params if p["in"] == "query"):
                for value in _wrong(_resolve(spec, p.get("schema") or {})):
                    if not isinstance(value, list):
                        yield method, concrete, {p["name"]: str(value)}, None
            content = (op.get("requestBody") or {}).get("content") or {}
            if "application/json" in content:
                yield method, concrete, None, b"{not json"
                for body in _bodies(spec, content["application/json"].get("schema") or {}):
                    yield method, concrete, None, json.dumps(body).encode()


@pytest.mark.parametrize("service", SERVICES)
def test_no_english_reaches_a_client_of_any_service(stack, service):
    """Many invalid bodies, parameters and paths on every operation of the service: every 422
    is problem+json whose every message is Chinese, and no pydantic sentence appears."""
    headers = {**auth(stack, "e2e-bad", "registrar", "caseworker", "approver", "auditor"),
               "content-type": "application/json"}
    base = stack.url(service)
    spec = httpx.get(f"{base}/openapi.json", timeout=10).json()
    refused = 0
    with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
        for method, path, params, body in _requests(spec):
            response = client.request(method.upper(), path, params=params, content=body)
            assert response.status_code < 500, (method, path, body, response.text)
            assert not any(words in response.text for words in ENGLISH), (
                method, path, params, body, response.text)
            if response.status_code == 422:
                refused += 1
                assert response.headers["content-type"].startswith("application/problem+json")
                problem = response.json()
                for error in problem.get("errors") or []:
                    assert re.search(r"[\u3400-\u9fff]", error["message"]), (path, error)
                assert re.search(r"[\u3400-\u9fff]", problem["detail"]), (path, problem)
    assert refused >= 5, refused
