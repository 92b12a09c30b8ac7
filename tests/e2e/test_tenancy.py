"""Who may do what: every staff endpoint of every service refuses a missing, garbage, expired or
forged token (401) and another agency's staff (403/404), reveals nothing and changes nothing; the
public follows its application only with the access code.

The refusals are proven with requests that would be accepted: `TABLE` holds, for each route of
each service's OpenAPI, one valid request on something of agency A (a case in the state the
command needs, A's letter, A's year, A's ledger check). Agency B's staff, holding every role of
an agency (and so an agency administrator, on the routes only city administrators may use), send
it and are refused with nothing revealed and nothing changed; then A's own staff send the very
same request and it is accepted (2xx). A 422 or a 409 from B would prove nothing, so none is
allowed. A route without an entry in `TABLE` fails the test: a new route needs its tenancy case."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from shared.auth import Role, issue_token, load_secret
from shared.clock import clock_from_setting, local_date
from shared.db import plain_url
from tests.conftest import eventually
from tests.e2e.helpers import application, auth, case
from tests.unit.test_id_document import png

pytestmark = pytest.mark.e2e

A, B = "e2e-tenant-a", "e2e-tenant-b"
SERVICES = ("intake", "casework", "reporting", "notify")
AGENCY_ROLES = ("registrar", "caseworker", "approver", "auditor")  # every role but the city's
PUBLIC = {("GET", "/healthz"), ("POST", "/v1/applications"), ("GET", "/v1/agencies"),
          ("GET", "/v1/status/{application_id}"), ("GET", "/v1/status"),
          # Annual reports of years that have ended are published (docs/decisions.md).
          ("GET", "/v1/public/reports"), ("GET", "/v1/public/reports/{year}")}
LEDGER_HEADER = ("序号,受理编号,收到申请日期,申请方式,申请人类型,申请人,证件号码,联系电话,"
                 "申请内容,处理结果,答复日期,法律依据,收费金额\n")


# --- requests ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Req:
    service: str
    method: str
    path: str
    params: dict[str, str] | None = None
    json: Any = None
    content: bytes | None = None
    content_type: str | None = None
    files: dict[str, tuple[str | None, bytes | str, str | None]] | None = None
    data: dict[str, str] | None = None

    def send(self, stack, headers: dict[str, str]) -> httpx.Response:
        extra = {"Content-Type": self.content_type} if self.content_type else {}
        return httpx.request(self.method, stack.url(self.service) + self.path,
                             params=self.params, json=self.json, content=self.content,
                             files=self.files, data=self.data, headers={**extra, **headers},
                             timeout=60)


@dataclass(frozen=True)
class Target:
    """An application of agency A, with what of it must never reach another agency."""

    application_id: str
    case_number: str
    name: str
    description: str
    mobile: str
    id_number: str

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self.case_number, self.name, self.description, self.mobile, self.id_number)


@dataclass
class Probe:
    """One valid request and how to tell whether it changed anything of A's."""

    request: Req
    state: Callable[[], Any]
    secrets: tuple[str, ...] = ()
    owner: str = "staff"  # who in A may send it: "staff" (every agency role) or "city"
    more: list[Req] = field(default_factory=list)  # further requests B is refused (not A's)
    own_scope: list[Req] = field(default_factory=list)  # B's own view: answered, none of A's
    shared: bool = False  # the same for every agency: B is answered, with nothing of A's
    changes: bool = False  # A's request changes `state`: so `state` would have seen B's


# --- agency A's world ----------------------------------------------------------------------


def query(stack, sql: str, *args: Any) -> list[asyncpg.Record]:
    async def run() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(plain_url(stack.database_url))
        try:
            return await conn.fetch(sql, *args)
        finally:
            await conn.close()

    return asyncio.run(run())


def notice_yaml(year: int) -> str:
    """The year's notice as the stack is seeded with it (loading it again moves nothing)."""
    from services.casework.domain.notice import notice_from_package

    notice = notice_from_package(year)
    holidays = [f"  - {{name: {e.name}, from: {d}, to: {d}}}"
                for d, e in notice.days.items() if not e.working]
    working = [f"  - {{date: {d}, name: {e.name}}}" for d, e in notice.days.items() if e.working]
    return "\n".join([f"year: {notice.year}", f"notice: {notice.title}", "holidays:", *holidays,
                      "working_days:", *working]) + "\n"


class World:
    """Agency A's cases, letters and checks the requests name, and A's and B's staff."""

    def __init__(self, stack) -> None:
        self.stack = stack
        self.today = local_date(clock_from_setting(stack.settings.clock).now())
        self.staff = auth(stack, A, *AGENCY_ROLES)
        self.city = auth(stack, None, "city_admin")
        # The same user name as A's staff: only the agency differs.
        self.outsider = auth(stack, B, *AGENCY_ROLES)
        self._fresh: list[Target] = [self._submit() for _ in range(14)]
        self.shared = self._submit(with_document=True)
        self.letter = eventually(lambda: self.letters(self.shared)[0]["id"])
        self.awaiting = self._register("ordinary_letter")
        # Settled before anything is compared: intake's facts reached casework and notify.
        eventually(lambda: (c := self.case(self.shared)) and c["due_on"])
        eventually(lambda: self.case(self.awaiting))
        eventually(lambda: self.messages(self.shared))

    def headers(self, owner: str) -> dict[str, str]:
        return self.city if owner == "city" else self.staff

    def _form(self) -> tuple[dict[str, Any], Target]:
        n = uuid.uuid4().int % 10**8
        form = application(A, n)
        form["request"]["description"] = f"租户隔离测试第{n}号所需的政府信息。"
        return form, Target("", "", form["applicant"]["name"], form["request"]["description"],
                            form["applicant"]["mobile"], form["applicant"]["id_number"])

    def _submit(self, with_document: bool = False) -> Target:
        form, t = self._form()
        url = f"{self.stack.url('intake')}/v1/applications"
        if with_document:
            r = httpx.post(url, timeout=30, files={
                "application": (None, json.dumps(form, ensure_ascii=False)),
                "id_document": ("id.png", png(), "image/png")})
        else:
            r = httpx.post(url, json=form, timeout=30)
        assert r.status_code == 201, r.text
        return Target(r.json()["application_id"], r.json()["case_number"], t.name,
                      t.description, t.mobile, t.id_number)

    def registration(self, channel: str = "in_person") -> dict[str, Any]:
        form, _ = self._form()
        return {**form, "channel": channel, "arrived_on": self.today.isoformat(),
                "request": {**form["request"], "delivery": "post"},
                "applicant": {**form["applicant"], "address": "测试市某路1号"}}

    def _register(self, channel: str) -> Target:
        body = self.registration(channel)
        r = httpx.post(f"{self.stack.url('intake')}/v1/registrations", json=body,
                       headers=self.staff, timeout=30)
        assert r.status_code == 201, r.text
        a = body["applicant"]
        return Target(r.json()["application_id"], r.json()["case_number"], a["name"],
                      body["request"]["description"], a["mobile"], a["id_number"])

    def fresh(self) -> Target:
        """A case of A of its own, received today, its due date set."""
        t = self._fresh.pop() if self._fresh else self._submit()
        eventually(lambda: (c := self.case(t)) and c["due_on"])
        return t

    def case(self, t: Target) -> dict[str, Any] | None:
        return case(self.stack, A, t.application_id)

    def settled(self, t: Target) -> dict[str, Any]:
        return eventually(lambda: self.case(t))

    def act(self, t: Target, command: str, body: dict[str, Any]) -> None:
        r = httpx.post(f"{self.stack.url('casework')}/v1/cases/{t.application_id}/{command}",
                       json=body, headers=self.staff, timeout=30)
        assert r.status_code == 200, (command, r.text)

    def letters(self, t: Target) -> list[dict[str, Any]]:
        r = httpx.get(f"{self.stack.url('notify')}/v1/cases/{t.application_id}/letters",
                      headers=self.staff, timeout=10)
        assert r.status_code == 200, r.text
        return r.json()

    def messages(self, t: Target) -> list[Any]:
        r = httpx.get(f"{self.stack.url('notify')}/v1/cases/{t.application_id}/messages",
                      headers=self.staff, timeout=10)
        assert r.status_code == 200, r.text
        return sorted(m["id"] for m in r.json())

    def intake_footprint(self) -> tuple[int, ...]:
        """What intake holds of A: events, kept ledger checks, ledger imports, document views."""
        [row] = query(self.stack, """
            SELECT (SELECT count(*) FROM intake.events WHERE agency = $1),
                   (SELECT count(*) FROM intake.ledger_checks WHERE agency_id = $1),
                   (SELECT count(*) FROM intake.ledger_imports WHERE agency_id = $1),
                   (SELECT count(*) FROM intake.id_document_views v JOIN intake.id_documents d
                      ON d.document_id = v.document_id WHERE d.agency_id = $1)""", A)
        return tuple(row)

    def calendar(self) -> list[Any]:
        r = httpx.get(f"{self.stack.url('casework')}/v1/calendar", headers=self.staff,
                      timeout=10)
        assert r.status_code == 200, r.text
        return r.json()

    def everything(self) -> tuple[Any, ...]:
        """A's state as A's staff read it: for requests that name no case."""
        return (self.intake_footprint(), self.case(self.shared), self.case(self.awaiting),
                self.calendar(), self.messages(self.shared))

    def report(self, year: int) -> dict[str, Any]:
        r = httpx.get(f"{self.stack.url('reporting')}/v1/reports/{year}",
                      params={"agency": A}, headers=self.staff, timeout=30)
        assert r.status_code == 200, r.text
        doc = r.json()
        doc.pop("generated_at", None)
        return doc

    def ledger(self) -> bytes:
        """A one-row historical ledger of A, under a case number of its own."""
        return (LEDGER_HEADER + f"1,租户依申〔2019〕{uuid.uuid4().int % 10**9}号,2019-03-12,"
                "网上申请,自然人,申请人甲,,,2018年度某项资金发放情况,予以公开,2019-03-26,,\n"
                ).encode()

    def checked(self) -> str:
        """A ledger checked by A's staff: the id its import takes."""
        r = ledger_check(self).send(self.stack, self.staff)
        assert r.status_code == 200, r.text
        return r.json()["check_id"]


# --- the table: one valid request per route ------------------------------------------------


def ledger_check(w: World) -> Req:
    return Req("intake", "POST", "/v1/ledger-imports/check", data={"agency": A},
               files={"ledger": ("台账.csv", w.ledger(), "text/csv")})


def next_working_day_after(day: date) -> date:
    day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


Body = Callable[[World, Target], dict[str, Any]]


def command(name: str, body: Body, *before: tuple[str, Body]) -> Callable[[World, str], Probe]:
    """A casework command on a case of A's brought to the state the command needs."""

    def build(w: World, service: str) -> Probe:
        t = w.awaiting if name == "receipt" else w.fresh()
        for step, step_body in before:
            w.act(t, step, step_body(w, t))
        return Probe(Req(service, "POST", f"/v1/cases/{t.application_id}/{name}",
                         json=body(w, t)), state=lambda: w.settled(t), secrets=t.secrets,
                     changes=True)

    return build


def on(**more: Any) -> Body:
    return lambda w, t: {"on": w.today.isoformat(), **more}


def reading(path: str, state: Callable[[World], Any] | None = None,
            **kw: Any) -> Callable[[World, str], Probe]:
    """A GET of something of A's (`{id}`: the shared case, `{letter}`: its acknowledgement)."""

    def build(w: World, service: str) -> Probe:
        t = w.shared
        filled = path.format(id=t.application_id, letter=w.letter, a=A)
        return Probe(Req(service, "GET", filled, params=kw.get("params")),
                     state=lambda: (state or World.everything)(w), secrets=t.secrets,
                     more=kw.get("more", []), own_scope=kw.get("own_scope", []),
                     changes=kw.get("changes", False))

    return build


def city_only(method: str, path: str, changes: bool = False,
              **kw: Any) -> Callable[[World, str], Probe]:
    """A route for city administrators: B's agency administrator is refused it."""

    def build(w: World, service: str) -> Probe:
        return Probe(Req(service, method, path, **kw), state=w.everything,
                     secrets=w.shared.secrets, owner="city", changes=changes)

    return build


def registration(w: World, service: str) -> Probe:
    body = w.registration()
    # The multipart twin (with the applicant's identity document) is refused the same way.
    form = Req(service, "POST", "/v1/registrations", files={
        "application": (None, json.dumps(body, ensure_ascii=False), None),
        "id_document": ("id.png", png(), "image/png")})
    return Probe(Req(service, "POST", "/v1/registrations", json=body), more=[form],
                 secrets=(body["applicant"]["name"], body["applicant"]["id_number"]),
                 state=w.intake_footprint, changes=True)


def ledger_import(w: World, service: str) -> Probe:
    check_id = w.checked()
    # Without an agency B would import under its own; naming A it is refused outright.
    named = Req(service, "POST", "/v1/ledger-imports", json={"check_id": check_id, "agency": A})
    return Probe(Req(service, "POST", "/v1/ledger-imports", json={"check_id": check_id}),
                 state=w.intake_footprint, changes=True, more=[named])


def checking(w: World, service: str) -> Probe:
    return Probe(ledger_check(w), state=w.intake_footprint, changes=True)


def resend(w: World, service: str) -> Probe:
    t = w.shared
    return Probe(Req(service, "POST", f"/v1/letters/{w.letter}/resend", json={"channel": "sms"}),
                 state=lambda: w.messages(t), secrets=t.secrets, changes=True)


def table2(w: World, service: str) -> Probe:
    figures = {"year": 2025, "rules": {"issued": 1, "repealed": 0, "in_force": 3},
               "licensing": {"decisions": 7}, "fees": {"amount_10k_yuan": "0.50"}}
    return Probe(Req(service, "PUT", "/v1/reports/2025/table2", params={"agency": A},
                     json=figures), state=lambda: w.report(2025)["table2"], changes=True)


def calendar_years(w: World, service: str) -> Probe:
    return Probe(Req(service, "GET", "/v1/calendar"), state=w.everything,
                 secrets=w.shared.secrets, shared=True)


REVIEW = "复2025-租户"
TABLE: dict[tuple[str, str], Callable[[World, str], Probe]] = {
    # intake
    ("POST", "/v1/registrations"): registration,
    ("GET", "/v1/applications/{application_id}/id-document"): reading(
        "/v1/applications/{id}/id-document", changes=True),  # each view is recorded
    ("GET", "/v1/applications/{application_id}/id-document/views"): reading(
        "/v1/applications/{id}/id-document/views"),
    ("POST", "/v1/ledger-imports/check"): checking,
    ("POST", "/v1/ledger-imports"): ledger_import,
    # every service's dead letters
    ("GET", "/v1/dead-letters"): city_only("GET", "/v1/dead-letters"),
    # casework
    ("GET", "/v1/cases/{application_id}"): reading("/v1/cases/{id}"),
    ("POST", "/v1/cases/{application_id}/receipt"): command("receipt", on()),
    ("POST", "/v1/cases/{application_id}/correction-notice"): command(
        "correction-notice", on(items=["请写明所需信息的名称或文号"])),
    ("POST", "/v1/cases/{application_id}/correction"): command(
        "correction", on(), ("correction-notice", on(items=["请写明所需信息的名称"]))),
    ("POST", "/v1/cases/{application_id}/extension"): command(
        "extension", on(working_days=10, reason="需调取档案")),
    ("POST", "/v1/cases/{application_id}/consultations"): command(
        "consultations", on(kind="third_party", party="某公司")),
    ("POST", "/v1/cases/{application_id}/consultation-answer"): command(
        "consultation-answer", on(party="某公司", answer="不同意公开"),
        ("consultations", on(kind="third_party", party="某公司"))),
    ("POST", "/v1/cases/{application_id}/fee-notice"): command(
        "fee-notice", on(method="per_volume", pages=120)),
    ("POST", "/v1/cases/{application_id}/fee-payment"): command(
        "fee-payment", on(), ("fee-notice", on(method="per_volume", pages=120))),
    ("POST", "/v1/cases/{application_id}/reasons-request"): command(
        "reasons-request", on(note="请说明申请理由")),
    ("POST", "/v1/cases/{application_id}/reasonable-due-date"): command(
        "reasonable-due-date", lambda w, t: {
            "on": w.today.isoformat(), "reason": "申请数量较大",
            "due_on": next_working_day_after(
                date.fromisoformat(w.settled(t)["due_on"]) + timedelta(days=7)).isoformat()},
        ("reasons-request", on(note="请说明申请理由"))),
    ("POST", "/v1/cases/{application_id}/withdrawal"): command(
        "withdrawal", on(note="申请人撤回申请")),
    ("POST", "/v1/cases/{application_id}/decision"): command(
        "decision", on(outcome="unable.not_held", reply_text="经检索，本机关未制作该信息。")),
    ("POST", "/v1/cases/{application_id}/reviews"): command(
        "reviews", on(review_id=REVIEW, kind="reconsideration", authority="测试市人民政府")),
    ("POST", "/v1/cases/{application_id}/review-result"): command(
        "review-result", on(review_id=REVIEW, result="upheld"),
        ("reviews", on(review_id=REVIEW, kind="reconsideration", authority="测试市人民政府"))),
    ("GET", "/v1/queues/{agency}"): reading(
        "/v1/queues/{a}", params={"view": "open"},
        more=[Req("casework", "GET", "/v1/queues/city")]),
    ("POST", "/v1/sweep"): city_only("POST", "/v1/sweep"),
    ("GET", "/v1/calendar"): calendar_years,
    # The year as seeded, loaded again: no due date moves, only who loaded it when.
    ("PUT", "/v1/calendar/{year}"): lambda w, service: city_only(
        "PUT", "/v1/calendar/2025", changes=True, content=notice_yaml(2025).encode(),
        content_type="application/yaml")(w, service),
    # reporting
    ("GET", "/v1/reports/{year}"): reading(
        "/v1/reports/2025", params={"agency": A},
        more=[Req("reporting", "GET", "/v1/reports/2025", params={"agency": "city"})]),
    ("PUT", "/v1/reports/{year}/table2"): table2,
    # notify
    ("GET", "/v1/cases/{application_id}/letters"): reading("/v1/cases/{id}/letters"),
    ("GET", "/v1/cases/{application_id}/messages"): reading("/v1/cases/{id}/messages"),
    ("GET", "/v1/letters/{letter_id}.pdf"): reading("/v1/letters/{letter}.pdf"),
    ("POST", "/v1/letters/{letter_id}/resend"): resend,
    ("GET", "/v1/attention/{agency}"): reading(
        "/v1/attention/{a}", more=[Req("notify", "GET", "/v1/attention/city")]),
    # The development sinks (development mode only) show staff their own agency's messages:
    # A's, asked for by name, are refused to B; B's own view has nothing of A's in it.
    ("GET", "/v1/dev/sms"): lambda w, service: reading(
        "/v1/dev/sms", params={"agency": A, "recipient": w.shared.mobile},
        own_scope=[Req(service, "GET", "/v1/dev/sms", params={"recipient": w.shared.mobile})],
    )(w, service),
    ("GET", "/v1/dev/email"): reading(
        "/v1/dev/email", params={"agency": A},
        own_scope=[Req("notify", "GET", "/v1/dev/email")]),
}


# --- the tests -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def agencies(stack) -> None:
    """Agencies of this module's own: what A's staff import, enter and decide goes nowhere else."""
    from services.intake.service_layer.handlers import configure_agencies
    from shared.contracts.agencies import AgencyConfigured, Office
    from shared.db import make_engine

    async def configure() -> None:
        engine = make_engine(stack.database_url, "intake")
        try:
            await configure_agencies(engine, clock_from_setting(stack.settings.clock), [
                AgencyConfigured(agency_id=agency, name=name, case_prefix=prefix,
                                 disclosure_body="办公室", address="测试地址",
                                 phone="0635-0000000",
                                 reconsideration_organ=Office(name="测试市人民政府"),
                                 court=Office(name="测试区人民法院"))
                for agency, name, prefix in ((A, "租户甲局", "TA"), (B, "租户乙局", "TB"))],
                actor="test")
        finally:
            await engine.dispose()

    asyncio.run(configure())


def routes(stack) -> list[tuple[str, str, str, bool]]:
    """(service, method, path, takes a token) of every operation the services document."""
    found = []
    for service in SERVICES:
        spec = httpx.get(f"{stack.url(service)}/openapi.json", timeout=10).json()
        for path, operations in spec["paths"].items():
            for method, operation in operations.items():
                found.append((service, method.upper(), path, bool(operation.get("security"))))
    return found


def staff_routes(stack) -> list[tuple[str, str, str]]:
    """Every route but the public ones: each must take a token and have its entry in TABLE."""
    staff, missing = [], []
    for service, method, path, secured in routes(stack):
        if (method, path) in PUBLIC:
            assert not secured, (service, method, path, "listed as public, takes a token")
        elif (method, path) not in TABLE or not secured:
            missing.append((service, method, path, "secured" if secured else "no token"))
        else:
            staff.append((service, method, path))
    assert missing == [], f"routes without a tenancy case in TABLE (or without a token): {missing}"
    return staff


def bad_tokens(stack):
    now = clock_from_setting(stack.settings.clock).now()
    secret = load_secret(stack.home)
    yield "none", {}
    yield "garbage", {"Authorization": "Bearer not.a.token"}
    yield "expired", {"Authorization": "Bearer " + issue_token(
        secret, user="x", agency=A, roles=[Role.CASEWORKER],
        now=now - timedelta(days=2), ttl=timedelta(hours=1))}
    yield "forged", {"Authorization": "Bearer " + issue_token(
        "another-deployment-key-of-32-bytes!!", user="x", agency=A,
        roles=[Role.CITY_ADMIN], now=now)}


def revealed(response: httpx.Response, *secrets: str) -> str:
    """What of A's a refusal gives away (the request's own path echoed back aside)."""
    try:
        body = response.json()
    except ValueError:
        return response.text if any(s in response.text for s in secrets) else ""
    if isinstance(body, dict):
        body.pop("instance", None)
    text = json.dumps(body, ensure_ascii=False)
    return " ".join(s for s in secrets if s and s in text)


def test_every_staff_endpoint_refuses_bad_tokens_and_other_agencies(stack, agencies):
    endpoints = staff_routes(stack)
    assert len(endpoints) >= 37
    w = World(stack)
    accepted = []
    for service, method, path in endpoints:
        where = (service, method, path)
        probe = TABLE[method, path](w, service)
        for name, headers in bad_tokens(stack):
            r = probe.request.send(stack, headers)
            assert r.status_code == 401, (*where, name, r.status_code, r.text)
            assert r.headers["content-type"].startswith("application/problem+json"), where
            assert revealed(r, *probe.secrets) == "", (*where, name)

        before = probe.state()
        for request in [probe.request, *probe.more]:
            other = request.send(stack, w.outsider)
            expected = (200,) if probe.shared and request is probe.request else (403, 404)
            assert other.status_code in expected, (*where, request.path, other.status_code,
                                                   other.text)
            assert revealed(other, *probe.secrets) == "", (*where, request.path, other.text)
        for request in probe.own_scope:
            own_view = request.send(stack, w.outsider)
            assert own_view.status_code == 200, (*where, request.params, own_view.text)
            assert revealed(own_view, *probe.secrets) == "", (*where, request.params)
        assert probe.state() == before, (*where, "changed by another agency's staff")

        # The very same request from A's own staff is accepted: it was a valid one.
        own = probe.request.send(stack, w.headers(probe.owner))
        assert 200 <= own.status_code < 300, (*where, own.status_code, own.text)
        if probe.changes:  # what B's request would have changed, A's did, and it showed
            assert probe.state() != before, (*where, "A's request changed nothing seen")
        accepted.append(where)
    assert len(accepted) == len(endpoints)


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
