"""Issue 15: an agency whose configured name reads like a spreadsheet formula. Its annual report
exported over HTTP opens with the name as text, never as a formula, and the numbers and official
labels exactly as for any other agency."""

from __future__ import annotations

import asyncio
import csv
import io

import httpx
import pytest
from openpyxl import load_workbook

from services.reporting.domain.report import COLUMNS, ROWS
from tests.conftest import eventually
from tests.e2e.helpers import auth

pytestmark = pytest.mark.e2e

NAMES = {"e2e-formula-1": '=HYPERLINK("http://x","y")', "e2e-formula-2": "+1",
         "e2e-formula-3": "@SUM(1)", "e2e-formula-4": "-2"}


async def _configure(stack) -> None:
    from services.intake.service_layer.handlers import configure_agencies
    from shared.clock import clock_from_setting
    from shared.contracts.agencies import AgencyConfigured, Office
    from shared.db import make_engine

    agencies = [AgencyConfigured(
        agency_id=agency, name=name, case_prefix=f"TF{i}", disclosure_body="办公室",
        address="测试地址", phone="0635-0000000",
        reconsideration_organ=Office(name="测试市人民政府"), court=Office(name="测试区人民法院"))
        for i, (agency, name) in enumerate(NAMES.items(), start=1)]
    engine = make_engine(stack.database_url, "intake")
    try:
        await configure_agencies(engine, clock_from_setting(stack.settings.clock), agencies,
                                 actor="test")
    finally:
        await engine.dispose()


def export(stack, agency: str, fmt: str) -> bytes:
    r = httpx.get(f"{stack.url('reporting')}/v1/reports/2024",
                  params={"agency": agency, "format": fmt}, headers=auth(stack, agency, "auditor"),
                  timeout=30)
    assert r.status_code == 200, r.text
    return r.content


def test_a_formula_like_agency_name_is_exported_as_text(stack):
    asyncio.run(_configure(stack))
    for agency, name in NAMES.items():
        title = f"{name}2024年政府信息公开工作年度报告"
        # Reporting hears of the agency from the event; until then it shows the id.
        book = eventually(lambda a=agency, t=title: (b := load_workbook(io.BytesIO(
            export(stack, a, "xlsx")))).worksheets[0]["A1"].value == t and b, timeout=30)
        cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
        assert [c.coordinate for c in cells if c.data_type == "f"] == []
        for ws in book.worksheets:
            assert ws["A1"].value == title  # shown literally ...
            assert ws["A1"].data_type == "s" and ws["A1"].quotePrefix  # ... as Excel's text
        table3 = book["三、收到和处理政府信息公开申请情况"]
        filled = [c for row in table3.iter_rows() for c in row if c.value is not None]
        # The official headings stay text as they are; every figure stays a number.
        assert {"三、本年度办理结果", "1.属于国家秘密"} <= {
            c.value for c in filled if c.data_type == "s"}
        numbers = [c for c in filled if isinstance(c.value, int | float)]
        assert numbers and all(c.data_type == "n" and c.value == 0 for c in numbers)

        table = list(csv.reader(io.StringIO(export(stack, agency, "csv").decode("utf-8-sig"))))
        assert table[0] == ["行", *COLUMNS.values()]
        assert [r[0] for r in table[1:]] == list(ROWS.values())
        assert all(v == "0" for r in table[1:] for v in r[1:])
