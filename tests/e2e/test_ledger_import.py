"""The published reports of 聊城市民政局 (docs/report-format.md#published-reports) reproduced
through the system from its ledger, cell by cell, and the published discrepancy flagged."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import eventually
from tests.e2e.helpers import report
from tests.e2e.test_flow import query

pytestmark = pytest.mark.e2e

FIXTURES = Path(__file__).parent.parent / "fixtures"
AGENCY = "e2e-seed"


def gongkai(stack, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": stack.database_url, "GONGKAI_HOME": str(stack.home),
           "GONGKAI_CLOCK": stack.settings.clock, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "gongkai", *args], env=env,
                          capture_output=True, text=True, timeout=120)


def only(doc: dict, **rows: int) -> None:
    """The named rows hold these natural-person counts; every other row is zero."""
    for row, columns in doc["table3"].items():
        expected = rows.get(row.replace(".", "_"), 0)
        assert columns["natural_person"] == expected, (doc["year"], row)
        assert columns["total"] == expected, (doc["year"], row)
    assert all(check["ok"] for check in doc["checks"]), doc["checks"]


def test_the_liaocheng_ledger_reproduces_its_published_reports(stack):
    broken = FIXTURES / "broken_ledger.csv"
    broken.write_text("收到申请日期,申请方式,申请人类型,申请人,申请内容,处理结果,答复日期\n"
                      "2019-02-30,当面,自然人,甲,某信息,予以公开,2019-03-01\n"
                      "2019-03-01,飞鸽,自然人,乙,某信息,同意,2019-03-05\n", encoding="utf-8")
    try:
        refused = gongkai(stack, "import", str(broken), "--agency", AGENCY)
    finally:
        broken.unlink()
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "nothing was imported" in refused.stdout
    assert "line 2, received_on" in refused.stdout and "line 3, channel" in refused.stdout
    assert "line 3, outcome" in refused.stdout

    ledger = FIXTURES / "ledger_lc_mzj_2019_2021.csv"
    done = gongkai(stack, "import", str(ledger), "--agency", AGENCY,
                   "--published", str(FIXTURES / "published_lc_mzj_2019_2021.csv"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Imported 23 applications" in done.stdout
    # The published 2020 table shows 0 carried over although 2019 carried 1 forward.
    assert "2020年公布的“二、上年结转”不等于2019年公布的“四、结转下年度继续办理”" in done.stdout
    # And where the ledger, counted by the report's rules, differs from what was published.
    assert "2020年" in done.stdout and "公布为0，系统根据台账计算为1" in done.stdout

    y2021 = eventually(lambda: (d := report(stack, 2021, AGENCY))["table3"]["new"]["total"]
                       == 10 and d, timeout=60)
    only(y2021, new=10, disclosed=10, total=10)
    only(report(stack, 2019, AGENCY), new=7, disclosed=2, withheld_law_prohibited=1,
         unable_not_held=3, total=6, carried_forward=1)
    # By the rules (docs/domain.md#counting) the December 2019 case is carried over and
    # concluded in 2020; the published 2020 table (6 new, 6 disclosed, 0 carried over) cannot say
    # both.
    only(report(stack, 2020, AGENCY), new=6, carried_over=1, disclosed=7, total=7)

    # Notify knows every imported case and wrote nothing for what the ledger records: those
    # receipts and replies were given on paper (no letter dated 2019, no 文号 taken).
    eventually(lambda: query(stack, "SELECT count(*) FROM notify.recipients WHERE agency = $1",
                             AGENCY)[0][0] == 23, timeout=60)
    for table in ("letters", "messages"):
        assert query(stack, f"SELECT count(*) FROM notify.{table} WHERE agency = $1",
                     AGENCY)[0][0] == 0, table

    again = gongkai(stack, "import", str(ledger), "--agency", AGENCY)
    assert again.returncode == 2 and "不能重复导入" in again.stdout
    assert report(stack, 2021, AGENCY)["table3"]["new"]["total"] == 10
