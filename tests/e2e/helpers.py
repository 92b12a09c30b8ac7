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
    response = httpx.get(f"{stack.url('reporting')}/v1/reports/{year}",
                         params={"agency": agency}, timeout=10)
    response.raise_for_status()
    return response.json()


def sms_to(stack: Any, number: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{stack.url('notify')}/v1/dev/sms", params={"recipient": number},
                         timeout=10)
    response.raise_for_status()
    return response.json()


def cases(stack: Any, agency: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{stack.url('casework')}/v1/cases",
                         params={"agency": agency, "limit": 1000}, timeout=10)
    response.raise_for_status()
    return response.json()
