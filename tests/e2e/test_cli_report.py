"""`gongkai report` from an administrator's terminal: the annual report written to a file, and
an agency that does not exist answered with a sentence, not a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def _report(stack: Any, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": stack.database_url, "GONGKAI_HOME": str(stack.home)}
    if stack.settings.clock:
        env["GONGKAI_CLOCK"] = stack.settings.clock
    return subprocess.run([sys.executable, "-m", "gongkai", "report", *args], env=env,
                          capture_output=True, text=True, timeout=120)


def test_an_administrator_exports_a_report_and_is_told_of_an_unknown_agency(
        stack: Any, tmp_path: Path) -> None:
    out = tmp_path / "city.json"
    done = _report(stack, "2025", "--agency", "city", "--format", "json", "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Wrote" in done.stdout
    report = json.loads(out.read_text(encoding="utf-8"))
    assert (report["format"], report["year"], report["agency"]) == (
        "gov-info-annual-report/2021", 2025, "city")
    assert "e2e-flow" in report["agencies"]

    missing = tmp_path / "none.json"
    done = _report(stack, "2025", "--agency", "no-such-bureau", "--format", "json",
                   "--out", str(missing))
    assert done.returncode == 2
    assert "未找到行政机关" in done.stdout and "no-such-bureau" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    assert not missing.exists()
