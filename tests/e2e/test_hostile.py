"""Hostile content in every text field is stored verbatim, shown escaped, never executed."""

from __future__ import annotations

import httpx
import pytest

from services.notify.adapters.pdf import extract_text
from tests.conftest import eventually
from tests.e2e.helpers import auth, case

pytestmark = pytest.mark.e2e

HOSTILE = [
    "<script>alert('x')</script>",
    "'; DROP TABLE events; --",
    "{{ 7*7 }} {% for x in range(9) %}x{% endfor %}",
    "Robert'); DELETE FROM cases WHERE ('1'='1",
    "ℌ𝔢𝔩𝔩𝔬 مرحبا 你好 Ελληνικά 🙂",
    "行\t制\n表\r符",
]


def test_hostile_text_is_kept_verbatim_and_never_executed(stack):
    name, request = HOSTILE[0] + "张三", " / ".join(HOSTILE) + "。" + "很长的内容" * 900
    body = {"agency": "e2e-flow", "request": {"description": request, "purpose": HOSTILE[1]},
            "applicant": {"type": "natural_person", "name": name, "phone": "0635-1234567",
                          "id_number": "11010519491231002X", "address": HOSTILE[2]}}
    accepted = httpx.post(f"{stack.url('intake')}/v1/applications", json=body)
    assert accepted.status_code == 201, accepted.text
    app_id = accepted.json()["application_id"]
    opened = eventually(lambda: case(stack, "e2e-flow", app_id))
    assert opened["applicant_name"] == name  # stored and returned verbatim, as data
    facts = opened["history"][0]["facts"]
    assert facts["request_summary"] == request[:500]

    letters = eventually(lambda: (r := httpx.get(
        f"{stack.url('notify')}/v1/cases/{app_id}/letters",
        headers=auth(stack, "e2e-flow"))).status_code == 200 and r.json())
    pdf = httpx.get(f"{stack.url('notify')}/v1/letters/{letters[0]['id']}.pdf",
                    headers=auth(stack, "e2e-flow")).content
    text = extract_text(pdf).replace("\n", "")
    assert "<script>alert('x')</script>" in text and "49" not in text.split("{{")[0][-3:]
    assert "{{ 7*7 }}" in text or "{{7*7}}" in text.replace(" ", "")

    too_long = {**body, "request": {"description": "长" * 5001}}
    refused = httpx.post(f"{stack.url('intake')}/v1/applications", json=too_long)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "request.description"
    nul = {**body, "applicant": {**body["applicant"], "name": "张\x00三"}}
    refused = httpx.post(f"{stack.url('intake')}/v1/applications", json=nul)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "applicant.name"
