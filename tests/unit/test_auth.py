"""Tests for shared.auth: tokens, roles and the FastAPI dependency."""

from __future__ import annotations

import base64
import json
import logging
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from shared import http
from shared.auth import (
    AuthError,
    Role,
    Staff,
    issue_token,
    load_secret,
    require_agency,
    require_role,
    staff_dependency,
    verify_token,
)
from shared.clock import SettableClock
from shared.settings import Settings

SECRET = "test-secret-0123456789abcdef0123456789abcdef0123456789abcdef0123"  # 64 bytes
OTHER_SECRET = "another-secret-0123456789abcdef0123456789abcdef0123456789abcdef"
T0 = datetime(2025, 9, 22, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def _b64(data: dict[str, object]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _claims(**overrides: object) -> dict[str, object]:
    iat = int(T0.timestamp())
    claims: dict[str, object] = {
        "sub": "zhang.san", "agency": "lc-mzj", "roles": ["caseworker"], "iss": "gongkai",
        "iat": iat, "nbf": iat, "exp": iat + 3600, "jti": "j1",
    }
    claims.update(overrides)
    return claims


def _reason(token: str, now: datetime = T0) -> str:
    with pytest.raises(AuthError) as info:
        verify_token(token, secret=SECRET, now=now)
    return info.value.reason


# --- issue / verify ---------------------------------------------------------------------------


def test_valid_token_round_trips() -> None:
    token = issue_token(SECRET, user="zhang.san", agency="lc-mzj",
                        roles=[Role.CASEWORKER, Role.REGISTRAR], now=T0)
    staff = verify_token(token, secret=SECRET, now=T0 + timedelta(hours=1))
    assert staff == Staff("zhang.san", "lc-mzj", frozenset({Role.CASEWORKER, Role.REGISTRAR}))
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "HS256"
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], issuer="gongkai",
                        options={"verify_exp": False, "verify_nbf": False, "verify_iat": False})
    assert set(claims) == {"sub", "agency", "roles", "iat", "nbf", "exp", "iss", "jti"}
    assert claims["exp"] - claims["iat"] == 12 * 3600
    assert sorted(claims["roles"]) == ["caseworker", "registrar"]


def test_city_admin_token_needs_no_agency() -> None:
    token = issue_token(SECRET, user="admin", agency=None, roles=[Role.CITY_ADMIN], now=T0)
    staff = verify_token(token, secret=SECRET, now=T0)
    assert staff.agency is None
    assert staff.can_act_for("lc-mzj") and staff.can_act_for("dcf-mzj")


def test_expired_by_injected_clock_with_30s_leeway() -> None:
    token = issue_token(SECRET, user="u", agency="a", roles=[Role.AUDITOR], now=T0,
                        ttl=timedelta(hours=1))
    verify_token(token, secret=SECRET, now=T0 + timedelta(hours=1, seconds=29))
    assert _reason(token, T0 + timedelta(hours=1, seconds=30)) == "expired"
    assert _reason(token, T0 + timedelta(days=3)) == "expired"


def test_not_yet_valid() -> None:
    token = issue_token(SECRET, user="u", agency="a", roles=[Role.AUDITOR],
                        now=T0 + timedelta(minutes=5))
    assert _reason(token, T0) == "not yet valid"
    verify_token(token, secret=SECRET, now=T0 + timedelta(minutes=5) - timedelta(seconds=30))


def test_forged_signature() -> None:
    token = issue_token(OTHER_SECRET, user="u", agency="a", roles=[Role.APPROVER], now=T0)
    assert _reason(token) == "bad signature"


def test_tampered_payload() -> None:
    token = issue_token(SECRET, user="u", agency="a", roles=[Role.AUDITOR], now=T0)
    header, _, signature = token.split(".")
    forged = f"{header}.{_b64(_claims(sub='u', agency='a', roles=['approver']))}.{signature}"
    assert _reason(forged) == "bad signature"


@pytest.mark.parametrize("header", [{"alg": "none"}, {"alg": "none", "typ": "JWT"},
                                    {"alg": "None"}, {"typ": "JWT"}])
def test_alg_none_refused(header: dict[str, object]) -> None:
    token = f"{_b64(header)}.{_b64(_claims())}."
    assert _reason(token) == "algorithm not allowed"


def test_hs512_with_right_secret_refused() -> None:
    token = jwt.encode(_claims(), SECRET, algorithm="HS512")
    assert _reason(token) == "algorithm not allowed"


@pytest.mark.parametrize("garbage", ["", "garbage", "a.b.c", "a.b", "....", "éé.éé.éé"])
def test_malformed(garbage: str) -> None:
    assert _reason(garbage) in {"malformed token", "algorithm not allowed"}


def test_wrong_issuer() -> None:
    token = issue_token(SECRET, user="u", agency="a", roles=[Role.AUDITOR], now=T0,
                        issuer="someone-else")
    assert _reason(token).startswith("claims:")
    assert verify_token(token, secret=SECRET, now=T0, issuer="someone-else").user == "u"


def test_audience_when_asked() -> None:
    token = issue_token(SECRET, user="u", agency="a", roles=[Role.AUDITOR], now=T0,
                        audience="casework")
    assert verify_token(token, secret=SECRET, now=T0, audience="casework").user == "u"
    with pytest.raises(AuthError):
        verify_token(token, secret=SECRET, now=T0, audience="reporting")
    with pytest.raises(AuthError):  # a token for one audience is not good everywhere
        verify_token(token, secret=SECRET, now=T0)


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"roles": ["caseworker", "superuser"]}, "unknown role"),
        ({"roles": "approver"}, "missing roles"),
        ({"roles": []}, "missing roles"),
        ({"roles": None}, "missing roles"),
        ({"agency": None}, "no agency for a non-admin"),
        ({"agency": ""}, "malformed agency"),
        ({"sub": ""}, "empty subject"),
        ({"exp": "never"}, "claim exp missing or not a number"),
        ({"iat": int(T0.timestamp()) + 3600}, "not yet valid"),
    ],
)
def test_bad_claims_signed_with_right_secret(overrides: dict[str, object], reason: str) -> None:
    token = jwt.encode(_claims(**overrides), SECRET, algorithm="HS256")
    assert _reason(token) == reason


def test_missing_claims() -> None:
    for name in ("exp", "nbf", "iat", "iss", "sub", "jti"):
        claims = _claims()
        del claims[name]
        token = jwt.encode(claims, SECRET, algorithm="HS256")
        assert _reason(token).startswith("claims:"), name
    claims = _claims()
    del claims["roles"]
    assert _reason(jwt.encode(claims, SECRET, algorithm="HS256")) == "missing roles"


def test_issue_refuses_non_admin_without_agency() -> None:
    with pytest.raises(ValueError):
        issue_token(SECRET, user="u", agency=None, roles=[Role.CASEWORKER], now=T0)
    with pytest.raises(ValueError):
        issue_token(SECRET, user="u", agency="a", roles=[], now=T0)
    with pytest.raises(ValueError):
        issue_token(SECRET, user="u", agency="a", roles=["superuser"], now=T0)  # type: ignore[list-item]
    with pytest.raises(ValueError):
        issue_token(SECRET, user="u", agency="a", roles=[Role.AUDITOR],
                    now=datetime(2025, 9, 22, 10, 0))  # naive


def test_staff_checks() -> None:
    worker = Staff("u", "a", frozenset({Role.CASEWORKER}))
    assert worker.can_act_for("a") and not worker.can_act_for("b")
    assert worker.has(Role.CASEWORKER) and worker.has(Role.APPROVER, Role.CASEWORKER)
    assert not worker.has(Role.APPROVER) and not worker.has()
    assert not Staff("u", None, frozenset({Role.CASEWORKER})).can_act_for("a")


# --- the dependency in an app -----------------------------------------------------------------

clock = SettableClock(T0)
current_staff = staff_dependency(lambda: SECRET, lambda: clock)
app = FastAPI()
http.install(app, "test", Settings.from_env())


@app.get("/agencies/{agency}/cases")
async def list_cases(agency: str, staff: Staff = Depends(current_staff)) -> dict[str, str]:
    require_role(staff, Role.REGISTRAR, Role.CASEWORKER, Role.APPROVER, Role.AUDITOR,
                 Role.CITY_ADMIN)
    require_agency(staff, agency)
    return {"user": staff.user}


@app.post("/agencies/{agency}/extensions")
async def approve_extension(agency: str, staff: Staff = Depends(current_staff)) -> dict[str, str]:
    require_role(staff, Role.APPROVER)
    require_agency(staff, agency)
    return {"approved_by": staff.user}


client = TestClient(app)


def _auth(roles: list[Role], agency: str | None = "lc-mzj", user: str = "li.si") -> dict[str, str]:
    token = issue_token(SECRET, user=user, agency=agency, roles=roles, now=clock.now())
    return {"Authorization": f"Bearer {token}"}


def _assert_401(response: httpx.Response) -> None:
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    body = response.json()
    assert body["status"] == 401 and body["detail"] == "需要有效的身份凭证"


def test_no_header_is_401() -> None:
    _assert_401(client.get("/agencies/lc-mzj/cases"))


@pytest.mark.parametrize("value", ["Bearer garbage", "Bearer a.b.c", "Basic dXNlcjpwYXNz",
                                   "Bearer", "garbage"])
def test_garbage_is_401(value: str) -> None:
    _assert_401(client.get("/agencies/lc-mzj/cases", headers={"Authorization": value}))


def test_expired_by_app_clock_is_401_and_logged_without_token(
        caplog: pytest.LogCaptureFixture) -> None:
    headers = _auth([Role.CASEWORKER], user="wang.wu")
    token = headers["Authorization"].removeprefix("Bearer ")
    clock.advance(timedelta(hours=13))
    try:
        with caplog.at_level(logging.INFO, logger="shared.auth"):
            response = client.get("/agencies/lc-mzj/cases", headers=headers)
    finally:
        clock.set(T0)
    _assert_401(response)
    assert "expired" not in response.text
    records = [r.getMessage() for r in caplog.records if r.name == "shared.auth"]
    assert records == ["authentication refused: expired (user wang.wu)"]
    assert token not in caplog.text


def test_own_agency_caseworker_is_200() -> None:
    response = client.get("/agencies/lc-mzj/cases", headers=_auth([Role.CASEWORKER]))
    assert response.status_code == 200 and response.json() == {"user": "li.si"}


def test_other_agencys_caseworker_is_403() -> None:
    response = client.get("/agencies/dcf-mzj/cases", headers=_auth([Role.CASEWORKER]))
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "无权访问其他行政机关的数据"


def test_auditor_cannot_approve_extension() -> None:
    response = client.post("/agencies/lc-mzj/extensions", headers=_auth([Role.AUDITOR]))
    assert response.status_code == 403
    assert response.json()["detail"] == "当前角色无权执行此操作"


def test_approver_approves_only_in_own_agency() -> None:
    assert client.post("/agencies/lc-mzj/extensions",
                       headers=_auth([Role.APPROVER])).status_code == 200
    assert client.post("/agencies/dcf-mzj/extensions",
                       headers=_auth([Role.APPROVER])).status_code == 403


@pytest.mark.parametrize("agency", ["lc-mzj", "dcf-mzj", "anything"])
def test_city_admin_on_any_agency_is_200(agency: str) -> None:
    response = client.get(f"/agencies/{agency}/cases",
                          headers=_auth([Role.CITY_ADMIN], agency=None, user="admin"))
    assert response.status_code == 200


# --- load_secret --------------------------------------------------------------------------------


def test_load_secret_creates_file_once_with_0600(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GONGKAI_JWT_SECRET", raising=False)
    home = tmp_path / "home"
    first = load_secret(home)
    path = home / "jwt.secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 32
    content = path.read_bytes()
    assert load_secret(home) == first
    assert path.read_bytes() == content
    assert [p.name for p in home.iterdir()] == ["jwt.secret"]  # no temp files left behind
    assert load_secret(tmp_path / "elsewhere") != first


def test_load_secret_prefers_environment(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GONGKAI_JWT_SECRET", OTHER_SECRET)
    assert load_secret(tmp_path, Settings.from_env().jwt_secret) == OTHER_SECRET
    assert not (tmp_path / "jwt.secret").exists()
    monkeypatch.setenv("GONGKAI_JWT_SECRET", "short")
    with pytest.raises(ValueError):
        load_secret(tmp_path, Settings.from_env().jwt_secret)


def test_load_secret_refuses_empty_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GONGKAI_JWT_SECRET", raising=False)
    (tmp_path / "jwt.secret").write_text("\n")
    with pytest.raises(RuntimeError):
        load_secret(tmp_path)
