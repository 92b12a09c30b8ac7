"""Building valid applications and reading the system's answers over HTTP."""

from __future__ import annotations

import random
from typing import Any

import httpx

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def resident_id(sequence: int) -> str:
    """A well-formed GB 11643 number for a fictitious person born 1980-01-01."""
    body = f"37010219800101{sequence % 1000:03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]


def mobile(n: int) -> str:
    return f"139{n:08d}"


def application(agency: str, n: int | None = None) -> dict[str, Any]:
    n = random.randrange(10**8) if n is None else n
    return {
        "agency": agency,
        "applicant": {
            "type": "natural_person",
            "name": f"申请人{n}",
            "id_number": resident_id(n),
            "mobile": mobile(n),
        },
        "request": {"description": "2024年度最低生活保障资金发放情况。"},
    }


def report(stack: Any, year: int, agency: str) -> dict[str, Any]:
    who = auth(stack, None, "city_admin") if agency == "city" else auth(stack, agency, "auditor")
    response = httpx.get(f"{stack.url('reporting')}/v1/reports/{year}",
                         params={"agency": agency}, headers=who, timeout=10)
    if response.status_code == 404:  # reporting has not seen the agency yet: `eventually` waits
        raise LookupError(f"no report {year} of {agency} yet: {response.text}")
    response.raise_for_status()
    return response.json()


def sms_to(stack: Any, number: str) -> list[dict[str, Any]]:
    """What the development SMS sink got for `number` (open to staff tokens only)."""
    response = httpx.get(f"{stack.url('notify')}/v1/dev/sms", params={"recipient": number},
                         headers=auth(stack, None, "city_admin"), timeout=10)
    response.raise_for_status()
    return response.json()


def token(stack: Any, agency: str | None, *roles: str, user: str = "tester") -> str:
    """A staff token signed with the stack's key, valid on the services' clock."""
    from shared.auth import Role, issue_token, load_secret
    from shared.clock import clock_from_setting

    return issue_token(load_secret(stack.home), user=user, agency=agency,
                       roles=[Role(r) for r in roles or ("caseworker",)],
                       now=clock_from_setting(stack.settings.clock).now())


def auth(stack: Any, agency: str | None, *roles: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(stack, agency, *roles)}"}


def cases(stack: Any, agency: str, view: str = "open") -> list[dict[str, Any]]:
    response = httpx.get(f"{stack.url('casework')}/v1/queues/{agency}",
                         params={"view": view, "limit": 2000}, headers=auth(stack, agency),
                         timeout=10)
    response.raise_for_status()
    return response.json()


def case(stack: Any, agency: str, application_id: str) -> dict[str, Any] | None:
    response = httpx.get(f"{stack.url('casework')}/v1/cases/{application_id}",
                         headers=auth(stack, agency), timeout=10)
    return response.json() if response.status_code == 200 else None
