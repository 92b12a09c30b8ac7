"""Reports over the real pipeline: year boundaries, table 四, fees, table 二, the city roll-up,
and a replay that rebuilds exactly the live figures."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest

from tests.conftest import eventually
from tests.e2e.helpers import auth, case, report
from tests.e2e.test_casework import act, ok

pytestmark = pytest.mark.e2e


def register(stack, agency: str, received_on: str, n: int, applicant_type="natural_person"):
    applicant = ({"type": "natural_person", "name": f"申请人{n}", "phone": "0635-1111111",
                  "id_number": "11010519491231002X"} if applicant_type == "natural_person" else
                 {"type": applicant_type, "name": f"某机构{n}", "credit_code": "91350100M000100Y43",
                  "legal_representative": "甲", "contact_name": "乙", "phone": "0635-2222222"})
    body = {"agency": agency, "channel": "in_person", "arrived_on": received_on,
            "received_on": received_on, "applicant": applicant,
            "request": {"description": f"第{n}项政府信息"}}
    r = httpx.post(f"{stack.url('intake')}/v1/registrations", json=body,
                   headers=auth(stack, agency, "registrar"), timeout=10)
    assert r.status_code == 201, r.text
    app_id = r.json()["application_id"]
    eventually(lambda: case(stack, agency, app_id))
    return app_id


def cells(doc: dict, row: str) -> dict:
    return doc["table3"][row]


def test_cases_across_the_year_boundary_are_carried_over_not_counted_twice(stack):
    agency = "e2e-year"
    december = register(stack, agency, "2024-12-20", 1)
    awaiting = register(stack, agency, "2024-12-24", 2, "legal_service_org")
    ok(act(stack, december, "decision", agency=agency, on="2025-01-10", outcome="disclosed"))
    ok(act(stack, awaiting, "correction-notice", agency=agency, on="2024-12-26",
           items=["请明确所需信息"]))
    ok(act(stack, awaiting, "correction", agency=agency, on="2025-01-06"))
    ok(act(stack, awaiting, "decision", agency=agency, on="2025-01-20",
           outcome="unable.still_unclear"))

    y2025 = eventually(lambda: (d := report(stack, 2025, agency))["table3"]["total"]["total"]
                       == 2 and d)
    y2024 = report(stack, 2024, agency)
    assert cells(y2024, "new")["total"] == 2 and cells(y2024, "total")["total"] == 0
    assert cells(y2024, "carried_forward") == {**dict.fromkeys(cells(y2024, "new"), 0),
                                               "natural_person": 1, "legal_service_org": 1,
                                               "total": 2}
    assert cells(y2025, "new")["total"] == 0 and cells(y2025, "carried_over")["total"] == 2
    assert cells(y2025, "disclosed")["natural_person"] == 1
    assert cells(y2025, "unable.still_unclear")["legal_service_org"] == 1
    assert cells(y2025, "carried_forward")["total"] == 0
    for doc in (y2024, y2025):
        assert all(c["ok"] for c in doc["checks"]), doc["checks"]
    assert any(c["rule"] == "carried_over_equals_previous_carried_forward" for c in y2025["checks"])


def test_reviews_fees_and_table_two_reach_the_report(stack):
    agency = "e2e-report"
    upheld = register(stack, agency, "2025-03-03", 10)
    pending = register(stack, agency, "2025-03-04", 11, "research_institution")
    paid = register(stack, agency, "2025-03-05", 12)
    ok(act(stack, upheld, "decision", agency=agency, on="2025-03-10",
           outcome="withheld.process_info"))
    ok(act(stack, upheld, "reviews", agency=agency, on="2025-04-01", review_id="复议2025-1",
           kind="reconsideration", authority="测试市人民政府"))
    ok(act(stack, upheld, "review-result", agency=agency, on="2025-05-20",
           review_id="复议2025-1", result="upheld"))
    ok(act(stack, pending, "decision", agency=agency, on="2025-03-11",
           outcome="unable.not_held"))
    ok(act(stack, pending, "reviews", agency=agency, on="2025-04-02", review_id="诉2025-7",
           kind="litigation_direct", authority="测试区人民法院"))
    ok(act(stack, paid, "fee-notice", agency=agency, on="2025-03-06", method="per_volume",
           pages=120))
    ok(act(stack, paid, "fee-payment", agency=agency, on="2025-03-12"))
    ok(act(stack, paid, "decision", agency=agency, on="2025-03-20", outcome="disclosed"))
    figures = {"year": 2025, "rules": {"issued": 1, "repealed": 0, "in_force": 3},
               "normative_documents": {"issued": 4, "repealed": 1, "in_force": 12},
               "licensing": {"decisions": 150}, "penalty": {"decisions": 2},
               "coercion": {"decisions": 0}, "fees": {"amount_10k_yuan": "1.25"}}
    url = f"{stack.url('reporting')}/v1/reports/2025/table2"
    assert httpx.put(url, params={"agency": agency}, json=figures,
                     headers=auth(stack, "e2e-other")).status_code == 403
    r = httpx.put(url, params={"agency": agency}, json=figures, headers=auth(stack, agency))
    assert r.status_code == 204, r.text

    doc = eventually(lambda: (d := report(stack, 2025, agency))["fees_collected_yuan"]
                     != "0.00" and cells(d, "total")["total"] == 3 and d)
    # 120 pages: 31–100 at ¥10, 101–120 at ¥20 → ¥1,100.
    assert doc["fees_collected_yuan"] == "1100.00"
    assert doc["table4"]["reconsideration"] == {"upheld": 1, "corrected": 0, "other": 0,
                                                "pending": 0, "total": 1}
    assert doc["table4"]["litigation_direct"]["pending"] == 1
    assert doc["table2"]["licensing"] == {"decisions": 150}
    assert doc["table2"]["fees"] == {"amount_10k_yuan": "1.25"}
    assert cells(doc, "withheld.process_info")["natural_person"] == 1
    assert cells(doc, "unable.not_held")["research_institution"] == 1


def test_the_city_is_the_sum_of_its_agencies(stack):
    city = report(stack, 2025, "city")
    assert "e2e-flow" in city["agencies"] and "e2e-year" in city["agencies"]
    parts = [report(stack, 2025, a) for a in city["agencies"]]
    summed = {row: {col: sum(p["table3"][row][col] for p in parts) for col in cols}
              for row, cols in city["table3"].items()}
    assert city["table3"] == summed
    assert all(c["ok"] for c in city["checks"])


def replay(stack) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": stack.database_url, "GONGKAI_HOME": str(stack.home)}
    return subprocess.run([sys.executable, "-m", "gongkai", "replay", "reporting"], env=env,
                          capture_output=True, text=True, timeout=300)


def test_replay_rebuilds_exactly_the_live_figures(stack):
    before = {a: report(stack, 2025, a) for a in report(stack, 2025, "city")["agencies"]}
    done = replay(stack)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "equals the live one" in done.stdout
    for agency, doc in before.items():
        after = report(stack, 2025, agency)
        assert after["table3"] == doc["table3"] and after["table4"] == doc["table4"]
        assert after["fees_collected_yuan"] == doc["fees_collected_yuan"]
        assert after["table2"] == doc["table2"]
    # The live consumers write to the new version from now on.
    new = register(stack, "e2e-report", "2025-06-02", 13)
    assert new
    eventually(lambda: cells(report(stack, 2025, "e2e-report"), "new")["total"] == 4)


def test_exports_open_with_the_official_labels_and_numbers(stack):
    import csv
    import io

    from openpyxl import load_workbook

    from services.reporting.domain.report import COLUMNS, ROWS

    url = f"{stack.url('reporting')}/v1/reports/2024"
    who = auth(stack, "e2e-year")
    doc = httpx.get(url, params={"agency": "e2e-year"}, headers=who).json()
    xlsx = httpx.get(url, params={"agency": "e2e-year", "format": "xlsx"}, headers=who)
    assert xlsx.status_code == 200
    assert 'filename="e2e-year-2024.xlsx"' in xlsx.headers["content-disposition"]
    book = load_workbook(io.BytesIO(xlsx.content))
    [sheet] = [ws for ws in book.worksheets if "收到和处理" in ws.title]
    values = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    # Row headings sit in the first three columns, in the official layout (issue 16).
    labelled = {next(v for v in row[:3] if v): row[3:] for row in values
                if row and any(v in ROWS.values() for v in row[:3])}
    assert {ROWS["new"], ROWS["carried_over"], ROWS["carried_forward"]} <= set(labelled)
    assert list(labelled[ROWS["new"]][:7]) == [doc["table3"]["new"][c] for c in COLUMNS]

    raw = httpx.get(url, params={"agency": "e2e-year", "format": "csv"}, headers=who).content
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert table[0][1:] == list(COLUMNS.values())
    assert [r[0] for r in table[1:]] == list(ROWS.values())
    forward = table[1:][list(ROWS).index("carried_forward")]
    assert [int(v) for v in forward[1:]] == [doc["table3"]["carried_forward"][c] for c in COLUMNS]

    docx = httpx.get(url, params={"agency": "e2e-year", "format": "docx"}, headers=who)
    assert docx.status_code == 200 and docx.content[:2] == b"PK"
    html = httpx.get(url, params={"agency": "e2e-year", "format": "html"}, headers=who).text
    assert httpx.get(url, params={"agency": "e2e-year"}).status_code == 401
    assert httpx.get(url, params={"agency": "e2e-year"},
                     headers=auth(stack, "e2e-flow")).status_code == 403
    assert httpx.get(url, params={"agency": "city"}, headers=who).status_code == 403
    assert "测试" in html and ROWS["carried_forward"] in html


def test_the_report_for_publication_is_dated_signed_and_in_pdf(stack, tmp_path):
    """The PDF of the whole report through the API: the agency's name, the date line and the
    signature, the year's figures; the JSON carries the handling section the prose quotes."""
    url = f"{stack.url('reporting')}/v1/reports/2024"
    who = auth(stack, "e2e-year")
    doc = httpx.get(url, params={"agency": "e2e-year"}, headers=who).json()
    handled = doc["handling"]
    assert sum(handled["received_by_channel"].values()) == doc["table3"]["new"]["total"]
    assert handled["concluded"] == doc["table3"]["total"]["total"]
    assert handled["answered_on_time"] + handled["answered_late"] == handled["concluded"]

    pdf = httpx.get(url, params={"agency": "e2e-year", "format": "pdf",
                                 "published_on": "2025-01-17"}, headers=who)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert 'filename="e2e-year-2024.pdf"' in pdf.headers["content-disposition"]
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf.content)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    name = lines[0].removesuffix("2024年政府信息公开工作年度报告")
    assert name and name != lines[0] and "测试" in name  # the agency's configured name
    assert lines[1] == "（2025年1月17日）"
    assert lines[-3:-1] == [name, "2025年1月17日"]
    flat = " ".join(text.split())
    new = " ".join(str(doc["table3"]["new"][c]) for c in ("natural_person", "total"))
    assert f"一、本年新收政府信息公开申请数量 {new.split()[0]}" in flat
    assert f"共收到政府信息公开申请{doc['table3']['new']['total']}件" in flat.replace(" ", "")

    bad = httpx.get(url, params={"agency": "e2e-year", "format": "pdf",
                                 "published_on": "2025-13-40"}, headers=who)
    assert bad.status_code == 422
