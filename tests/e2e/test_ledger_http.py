"""The ledger import over HTTP, on the real stack: a check that names every problem and stores
nothing when there is one, and keeps a file that passes under a `check_id`; an import of exactly
the kept file, by the person and agency that checked it, within two hours, whole and once; and
only by the agency's own registrars, approvers or a city administrator."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import eventually
from tests.e2e.helpers import report, token
from tests.e2e.test_id_document import query

pytestmark = pytest.mark.e2e

FIXTURES = Path(__file__).parent.parent / "fixtures"
AGENCY = "e2e-ledger-http"
CHECK, IMPORT = "/v1/ledger-imports/check", "/v1/ledger-imports"
BAD = ("收到申请日期,申请方式,申请人类型,申请人,申请内容,处理结果,答复日期,备注\n"
       "2019-02-30,当面,自然人,甲,某信息,予以公开,2019-03-01,\n"
       "2019-03-01,飞鸽,自然人,乙,某信息,同意,2019-03-05,\n"
       "2019-04-01,网上,自然人,丙,,予以公开,2019-03-05,\n")


@pytest.fixture(scope="module")
def agency(stack) -> str:
    """An agency of this module's own: the fixture ledger's 23 cases go nowhere else."""
    from services.intake.service_layer.handlers import configure_agencies
    from shared.clock import clock_from_setting
    from shared.contracts.agencies import AgencyConfigured, Office
    from shared.db import make_engine

    async def configure() -> None:
        engine = make_engine(stack.database_url, "intake")
        try:
            await configure_agencies(engine, clock_from_setting(stack.settings.clock), [
                AgencyConfigured(agency_id=AGENCY, name="台账导入测试局", case_prefix="TL",
                                 disclosure_body="办公室", address="测试地址",
                                 phone="0635-0000000",
                                 reconsideration_organ=Office(name="测试市人民政府"),
                                 court=Office(name="测试区人民法院"))], actor="test")
        finally:
            await engine.dispose()

    asyncio.run(configure())
    return AGENCY


def ledger_bytes() -> bytes:
    """The 聊城 fixture under numbers of its own (the CLI's test imports the file itself, and
    a file or a case number is imported once in the whole system)."""
    text = (FIXTURES / "ledger_lc_mzj_2019_2021.csv").read_text(encoding="utf-8")
    return text.replace("聊民依申〔", "HTTP依申〔").encode()


def who(stack, role: str, agency: str | None = AGENCY, user: str = "clerk") -> dict[str, str]:
    return {"Authorization": f"Bearer {token(stack, agency, role, user=user)}"}


def post(stack, path: str, headers: dict[str, str], files: dict[str, Any],
         data: dict[str, str] | None = None) -> httpx.Response:
    return httpx.post(stack.url("intake") + path, headers=headers, files=files, data=data,
                      timeout=120)


def import_(stack, headers: dict[str, str], check_id: Any, **more: Any) -> httpx.Response:
    return httpx.post(stack.url("intake") + IMPORT, headers=headers,
                      json={"check_id": str(check_id), **more}, timeout=120)


def checks(stack) -> list[Any]:
    """The checks intake keeps for the agency."""
    return query(stack, """SELECT check_id, checked_by, name, size, sha256, content, checked_at,
                                  expires_at FROM intake.ledger_checks WHERE agency_id = $1
                           ORDER BY checked_at""", AGENCY)


def now(stack):
    from shared.clock import clock_from_setting

    return clock_from_setting(stack.settings.clock).now()


def stored(stack) -> tuple[int, int]:
    """What intake holds of the agency: events, and ledger imports."""
    [events] = query(stack, "SELECT count(*) FROM intake.events WHERE agency = $1", AGENCY)
    [imports] = query(stack, "SELECT count(*) FROM intake.ledger_imports WHERE agency_id = $1",
                      AGENCY)
    return events[0], imports[0]


def test_a_bad_ledger_is_answered_with_every_problem_and_nothing_is_stored(stack, agency):
    before = stored(stack)
    bad_published = "year,row,natural_person\n2019,不存在的行,x\n".encode()
    answer = post(stack, CHECK, who(stack, "registrar"), {
        "ledger": ("台账.csv", BAD.encode(), "text/csv"),
        "published": ("公布.csv", bad_published, "text/csv")})
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    found = {(e["field"], e["line"], e["column"]) for e in body["errors"]}
    assert {("ledger", 1, "备注"), ("ledger", 2, "received_on"), ("ledger", 3, "channel"),
            ("ledger", 3, "outcome"), ("ledger", 4, "request"), ("ledger", 4, "replied_on"),
            ("published", 2, "row"), ("published", 2, "natural_person")} <= found
    assert len(body["errors"]) == len(found)
    channel = next(e for e in body["errors"] if e["column"] == "channel")
    assert channel == {"field": "ledger", "line": 3, "column": "channel", "label": "申请方式",
                       "message": "申请方式“飞鸽”无法识别"}
    assert body["detail"] == f"台账、公布数据有{len(found)}处问题，未导入"
    assert "check_id" not in body

    # The import takes a check's id and nothing else: not a made-up one, nor a file.
    made_up = import_(stack, who(stack, "registrar"), uuid.uuid4())
    assert made_up.status_code == 404, made_up.text
    assert made_up.json()["errors"] == [{"field": "check_id", "message": (
        "未找到这次检查的结果（可能已经导入或已过期），请重新检查台账后再导入")}]
    not_an_id = import_(stack, who(stack, "registrar"), "made-up")
    assert not_an_id.status_code == 422
    assert not_an_id.json()["errors"][0]["field"] == "check_id"
    old_form = post(stack, IMPORT, who(stack, "registrar"),
                    {"ledger": ("台账.csv", BAD.encode(), "text/csv")},
                    data={"confirmation": "made-up"})
    assert old_form.status_code == 422, old_form.text
    assert stored(stack) == before == (1, 0)  # the agency's configuration only
    assert checks(stack) == []


def test_a_good_ledger_is_checked_kept_imported_once_and_counted(stack, agency):
    content = ledger_bytes()
    registrar = who(stack, "registrar", user="lc-clerk")
    checked = post(stack, CHECK, registrar, {
        "ledger": ("ledger_http.csv", content, "text/csv"),
        "published": ("published.csv", (FIXTURES / "published_lc_mzj_2019_2021.csv")
                      .read_bytes(), "text/csv")})
    assert checked.status_code == 200, checked.text
    body = checked.json()
    assert body["agency"] == AGENCY
    assert body["file"] == {"name": "ledger_http.csv", "size": len(content),
                            "sha256": hashlib.sha256(content).hexdigest()}
    assert body["summary"] == {"rows": 23, "concluded": 23, "open": 0,
                               "years": [2019, 2020, 2021], "first_received_on": "2019-03-12",
                               "last_received_on": "2021-12-06"}
    assert any("2020年公布的“二、上年结转”不等于2019年公布的“四、结转下年度继续办理”" in w
               for w in body["warnings"])
    assert "confirmation" not in body
    check_id = uuid.UUID(body["check_id"])
    assert stored(stack) == (1, 0)  # nothing imported yet

    # Intake keeps the file as checked, for this person, for two hours.
    [kept] = checks(stack)
    assert kept["check_id"] == check_id and kept["checked_by"] == "lc-clerk"
    assert (kept["name"], kept["size"], kept["sha256"]) == (
        "ledger_http.csv", len(content), hashlib.sha256(content).hexdigest())
    assert bytes(kept["content"]) == content
    assert (kept["expires_at"] - kept["checked_at"]).total_seconds() == 2 * 3600
    assert datetime.fromisoformat(body["expires_at"]) == kept["expires_at"]

    # The check is its maker's: a colleague, the same name in another agency and a city
    # administrator are told there is no such check; naming another agency is refused as ever.
    for other in (who(stack, "approver", user="someone-else"),
                  who(stack, "registrar", agency="e2e-other", user="lc-clerk"),
                  who(stack, "city_admin", agency=None, user="lc-clerk-admin")):
        refused = import_(stack, other, check_id)
        assert refused.status_code == 404, refused.text
        assert refused.json()["errors"][0]["field"] == "check_id"
    named = import_(stack, who(stack, "registrar", agency="e2e-other", user="lc-clerk"),
                    check_id, agency=AGENCY)
    assert named.status_code == 403, named.text
    wrong_agency = import_(stack, who(stack, "city_admin", agency=None, user="lc-clerk"),
                           check_id, agency="e2e-other")
    assert wrong_agency.status_code == 404, wrong_agency.text
    assert stored(stack) == (1, 0) and len(checks(stack)) == 1

    imported = import_(stack, registrar, check_id)
    assert imported.status_code == 201, imported.text
    assert imported.json() == {"agency": AGENCY, "file": body["file"], "rows": 23,
                               "concluded": 23, "open": 0}
    events, imports = stored(stack)
    assert imports == 1 and events == 1 + 23 * 2  # submitted (with its receipt), outcome per row
    assert checks(stack) == []  # used up in the import's transaction
    [record] = query(stack, "SELECT source, imported_by FROM intake.ledger_imports "
                            "WHERE agency_id = $1", AGENCY)
    assert tuple(record) == ("ledger_http.csv", "lc-clerk")

    again = import_(stack, registrar, check_id)
    assert again.status_code == 404, again.text
    assert again.json()["errors"][0]["field"] == "check_id"
    rechecked = post(stack, CHECK, registrar, {"ledger": ("copy.csv", content, "text/csv")})
    assert rechecked.status_code == 409 and "不能重复导入" in rechecked.json()["detail"]
    assert rechecked.json()["errors"][0]["field"] == "ledger"
    assert stored(stack) == (events, 1) and checks(stack) == []

    # The cases flow on like the CLI's: reporting counts them as the ledger says.
    y2021 = eventually(lambda: (d := report(stack, 2021, AGENCY))["table3"]["new"]["total"]
                       == 10 and d, timeout=60)
    assert y2021["table3"]["disclosed"]["total"] == 10
    assert report(stack, 2019, AGENCY)["table3"]["carried_forward"]["total"] == 1


def test_two_imports_at_the_same_moment_store_a_file_once(stack, agency):
    registrar = who(stack, "registrar")
    # One check sent four times: one import, the check is gone for the others.
    files = {"ledger": ("race.csv", ledger_bytes().replace(b"HTTP", b"RACE"), "text/csv")}
    check_id = post(stack, CHECK, registrar, files).json()["check_id"]
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: import_(stack, registrar, check_id), range(4)))
    assert sorted(a.status_code for a in answers) == [201, 404, 404, 404]

    # Two checks of one file, both before it was imported: the file is still imported once.
    files = {"ledger": ("twin.csv", ledger_bytes().replace(b"HTTP", b"TWIN"), "text/csv")}
    twins = [post(stack, CHECK, registrar, files).json()["check_id"] for _ in range(2)]
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda c: import_(stack, registrar, c), twins))
    assert sorted(a.status_code for a in answers) == [201, 409]
    # When it was imported, on the services' clock (started at 2025-09-22 10:00, Shanghai).
    [refused] = [a for a in answers if a.status_code == 409]
    assert "该台账文件已于2025-09-22 " in refused.json()["detail"]
    assert "不能重复导入" in refused.json()["detail"]


def test_a_check_expires_after_two_hours_and_is_then_deleted(stack, agency):
    registrar = who(stack, "registrar", user="late-clerk")
    content = ledger_bytes().replace(b"HTTP", b"LATE")
    at = now(stack)
    late, foreign = uuid.uuid4(), uuid.uuid4()
    for check_id, user in ((late, "late-clerk"), (foreign, "someone-else")):
        query(stack, """INSERT INTO intake.ledger_checks
                            (check_id, agency_id, checked_by, name, size, sha256, content,
                             checked_at, expires_at)
                        VALUES ($1, $2, $3, 'late.csv', $4, $5, $6, $7, $8)""",
              check_id, AGENCY, user, len(content), hashlib.sha256(content).hexdigest(),
              content, at - timedelta(hours=2, minutes=1), at - timedelta(minutes=1))

    expired = import_(stack, registrar, late)
    assert expired.status_code == 410, expired.text
    assert expired.json()["errors"] == [{"field": "check_id", "message": (
        "检查结果已过期（检查后2小时内有效），请重新检查台账后再导入")}]
    assert import_(stack, registrar, foreign).status_code == 404  # not hers: absent
    assert {c["check_id"] for c in checks(stack)} >= {late, foreign}

    # The next check, anyone's, deletes what has expired.
    fresh = post(stack, CHECK, who(stack, "registrar"),
                 {"ledger": ("fresh.csv", content, "text/csv")})
    assert fresh.status_code == 200, fresh.text
    left = {c["check_id"] for c in checks(stack)}
    assert late not in left and foreign not in left
    assert uuid.UUID(fresh.json()["check_id"]) in left
    assert not query(stack, "SELECT 1 FROM intake.ledger_checks WHERE expires_at < $1", at)


def test_only_the_agencys_registrars_approvers_and_city_administrators(stack, agency):
    content = b"\xef\xbb\xbf" + ledger_bytes().replace(b"HTTP", b"ROLE")
    files = {"ledger": ("roles.csv", content, "text/csv")}
    foreign = post(stack, CHECK, who(stack, "registrar", agency="e2e-other"), files,
                   data={"agency": AGENCY})
    assert foreign.status_code == 403, foreign.text
    assert foreign.headers["content-type"] == "application/problem+json"
    assert foreign.json()["detail"] == "无权访问其他行政机关的数据"
    caseworker = post(stack, CHECK, who(stack, "caseworker"), files)
    assert caseworker.status_code == 403
    assert post(stack, CHECK, {}, files).status_code == 401

    admin = who(stack, "city_admin", agency=None)
    unnamed = post(stack, CHECK, admin, files)
    assert unnamed.status_code == 422 and unnamed.json()["errors"][0]["field"] == "agency"
    checked = post(stack, CHECK, admin, files, data={"agency": AGENCY})
    assert checked.status_code == 200, checked.text
    check_id = checked.json()["check_id"]
    # Another agency's registrar of the same name cannot spend it; nor can a caseworker, or
    # anyone without a token.
    stolen = import_(stack, who(stack, "registrar", agency="e2e-other", user="clerk"), check_id)
    assert stolen.status_code == 404
    assert import_(stack, who(stack, "caseworker"), check_id).status_code == 403
    assert import_(stack, {}, check_id).status_code == 401
    assert not query(stack, "SELECT 1 FROM intake.ledger_imports WHERE content_hash = $1",
                     hashlib.sha256(content).hexdigest())


def test_size_limits_and_missing_files_are_problems(stack, agency):
    registrar = who(stack, "registrar")
    missing = post(stack, CHECK, registrar, {"published": ("p.csv", b"x", "text/csv")})
    assert missing.status_code == 422
    assert [e["field"] for e in missing.json()["errors"]] == ["ledger"]
    empty = post(stack, CHECK, registrar, {"ledger": ("", b"", "application/octet-stream")})
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "ledger"
    xls = post(stack, CHECK, registrar, {"ledger": ("台账.xls", b"\xd0\xcf\x11\xe0", "x")})
    assert xls.status_code == 422
    assert xls.json()["errors"][0]["message"] == "仅支持CSV或XLSX文件（.xls请先另存为.xlsx）"
    huge = post(stack, CHECK, registrar, {"ledger": ("big.csv", b"x" * (25 * 1024 * 1024),
                                                     "text/csv")})
    assert huge.status_code == 413
    assert huge.json()["errors"] == [{"field": "ledger", "message": "台账文件不得超过24MB"}]
