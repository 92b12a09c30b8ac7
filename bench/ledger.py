"""An agency's history imported and counted (issue 18): a generated 10-year ledger of 20,000
applications of one agency, imported the way a clerk does (`gongkai import FILE --agency …`,
its own process) into a running stack; then the time until reporting has counted all of it
(every year's table 三 polled over HTTP until 一 and (七) match the ledger), the CPU-s of each
process, and each report export of that agency and of the city over HTTP as a user gets it
(median of 5 after one warm-up).

Run: `.venv/bin/python -m bench.ledger [--rows 20000] [--years 10]`. Prints; asserts nothing
(it stops with a message if the ledger is refused or reporting never counts it)."""

from __future__ import annotations

import argparse
import csv
import io
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench._common import AGENCY, CpuMeter, machine, resident_id, running_stack

HEADER = ["序号", "受理编号", "收到申请日期", "申请方式", "申请人类型", "申请人", "证件号码",
          "联系电话", "申请内容", "处理结果", "答复日期", "法律依据", "收费金额"]
# How a city civil-affairs bureau's applications come and end, roughly (published reports of
# 聊城 and its neighbours): mostly people, mostly online; a third not held or refused.
CHANNELS = (("网上申请", 55), ("信函", 15), ("当面", 15), ("平常信函", 5), ("电子邮件", 8),
            ("传真", 2))
TYPES = (("自然人", 88), ("商业企业", 5), ("法律服务机构", 3), ("社会公益组织", 2),
         ("科研机构", 1), ("其他", 1))
OUTCOMES = (("予以公开", 45), ("部分公开", 10), ("本机关不掌握相关政府信息", 20),
            ("没有现成信息需要另行制作", 5), ("其他法律行政法规禁止公开", 2),
            ("属于四类过程性信息", 3), ("重复申请", 3), ("信访举报投诉类申请", 4),
            ("申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", 5),
            ("其他", 3))
SUBJECTS = ("城乡最低生活保障资金发放情况", "特困人员供养标准", "养老机构运营补贴发放名单",
            "婚姻登记档案", "社会组织年检结果", "福利彩票公益金使用情况", "临时救助审批程序",
            "殡葬服务收费标准", "孤儿基本生活费发放标准", "残疾人两项补贴发放明细")
BASES = ("《条例》第二十七条", "《条例》第三十六条第（一）项", "《条例》第三十六条第（二）项",
         "《条例》第三十六条第（四）项", "《条例》第三十六条第（五）项")


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([w for w, _ in weighted], [n for _, n in weighted])[0]


def ledger(rows: int, years: int, today: date, seed: int = 18) -> tuple[bytes, list[dict]]:
    """The CSV a clerk would export from the bureau's spreadsheet, and its rows (received,
    replied or None, for the expected figures). Received dates spread over the `years` full
    years before `today`'s; replies 1–40 days later (some in the next year); the last year's
    latest applications still open."""
    rng = random.Random(seed)
    first = today.year - years
    days = (date(today.year, 1, 1) - date(first, 1, 1)).days
    received = sorted(date(first, 1, 1) + timedelta(days=rng.randrange(days))
                      for _ in range(rows))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    facts, per_year = [], Counter()
    open_after = date(today.year - 1, 12, 15)
    for n, day in enumerate(received, start=1):
        per_year[day.year] += 1
        kind = _pick(rng, TYPES)
        person = kind == "自然人"
        still_open = day >= open_after and rng.random() < 0.5
        replied = None if still_open else min(day + timedelta(days=rng.randint(1, 40)), today)
        writer.writerow([
            n, f"基准民依申〔{day.year}〕{per_year[day.year]}号", day.isoformat(),
            _pick(rng, CHANNELS), kind, f"申请人{n}" if person else f"某某有限公司{n}",
            resident_id(n) if person and rng.random() < 0.3 else "",
            f"139****{n % 10000:04d}" if rng.random() < 0.4 else "",
            f"{day.year - 1}年度{rng.choice(SUBJECTS)}",
            "" if still_open else _pick(rng, OUTCOMES),
            replied.isoformat() if replied else "",
            "" if still_open else rng.choice(BASES),
            "20.00" if not still_open and rng.random() < 0.003 else "",
        ])
        facts.append({"received": day, "replied": replied})
    return out.getvalue().encode("utf-8"), facts


def expected(facts: list[dict], year: int) -> tuple[int, int]:
    """Table 三's 一 (received in the year) and (七) (concluded in the year)."""
    return (sum(1 for f in facts if f["received"].year == year),
            sum(1 for f in facts if f["replied"] and f["replied"].year == year))


def _token(stack: Any, agency: str | None, role: str) -> dict[str, str]:
    from shared.auth import Role, issue_token, load_secret
    from shared.clock import clock_from_setting

    token = issue_token(load_secret(stack.home), user="bench", agency=agency, roles=[Role(role)],
                        now=clock_from_setting(stack.settings.clock).now())
    return {"Authorization": f"Bearer {token}"}


def counted(client: httpx.Client, stack: Any, pending: list[int], facts: list[dict],
            headers: dict[str, str]) -> bool:
    """Whether reporting has counted the ledger's every year; a year found complete leaves
    `pending` (its figures only grow), and the first incomplete one ends the look, so that the
    polling itself (a report takes reporting a query of its own) costs little."""
    while pending:
        year = pending[0]
        response = client.get(f"{stack.url('reporting')}/v1/reports/{year}",
                              params={"agency": AGENCY}, headers=headers)
        response.raise_for_status()
        t3 = response.json()["table3"]
        if (t3["new"]["total"], t3["total"]["total"]) != expected(facts, year):
            return False
        pending.pop(0)
    return True


def export_times(client: httpx.Client, stack: Any, year: int, agency: str,
                 headers: dict[str, str], formats: tuple[str, ...], repeat: int = 5,
                 ) -> dict[str, tuple[float, float, int]]:
    """Per format: the first download's wall ms (the warm-up), the median of `repeat` more,
    and the size."""
    out = {}
    for fmt in formats:
        url = f"{stack.url('reporting')}/v1/reports/{year}"
        params = {"agency": agency, "format": fmt}
        started = time.perf_counter()
        client.get(url, params=params, headers=headers).raise_for_status()
        first = (time.perf_counter() - started) * 1000
        times, size = [], 0
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get(url, params=params, headers=headers)
            times.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
            size = len(response.content)
        out[fmt] = (first, statistics.median(times), size)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--formats", default="json,csv,xlsx,html,docx,pdf")
    args = parser.parse_args()
    formats = tuple(args.formats.split(","))
    print(machine())
    with running_stack() as stack:
        from shared.clock import SHANGHAI, clock_from_setting

        today = clock_from_setting(stack.settings.clock).now().astimezone(SHANGHAI).date()
        data, facts = ledger(args.rows, args.years, today)
        years = sorted({f["received"].year for f in facts} | {f["replied"].year for f in facts
                                                               if f["replied"]})
        concluded = sum(1 for f in facts if f["replied"])
        print(f"ledger: {len(facts):,} rows ({concluded:,} concluded), received "
              f"{years[0]}–{today.year - 1}, {len(data) / 1e6:.1f} MB CSV")
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "bench_ledger.csv"
            path.write_bytes(data)
            with CpuMeter(stack) as cpu, httpx.Client(timeout=60) as client:
                children = resource.getrusage(resource.RUSAGE_CHILDREN)
                started = time.perf_counter()
                done = subprocess.run(
                    [sys.executable, "-m", "gongkai", "import", str(path), "--agency", AGENCY],
                    env={**stack.env("intake"), "COLUMNS": "200"}, capture_output=True,
                    text=True)
                imported = time.perf_counter() - started
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                if done.returncode:
                    sys.exit(f"the import was refused:\n{done.stdout}{done.stderr}")
                own = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
                print(f"gongkai import: {imported:.1f} s wall, {own:.1f} CPU-s (its own process)"
                      f"; {done.stdout.strip()}")
                agency_staff = _token(stack, AGENCY, "auditor")
                deadline, pending = time.perf_counter() + 600, list(years)
                while not counted(client, stack, pending, facts, agency_staff):
                    if time.perf_counter() > deadline:
                        sys.exit("reporting had not counted the ledger after 10 minutes")
                    time.sleep(0.5)
                total = time.perf_counter() - started
            print(f"counted by reporting: {total:.1f} s after the import started "
                  f"({total - imported:.1f} s after it ended; polled every 0.5 s)")
            print(cpu.report())
        city_admin = _token(stack, None, "city_admin")
        year = today.year - 1
        with httpx.Client(timeout=60) as client:
            for agency, headers in ((AGENCY, agency_staff), ("city", city_admin)):
                times = export_times(client, stack, year, agency, headers, formats)
                print(f"exports of {agency} {year} (median of 5 after one warm-up, over HTTP):")
                for fmt, (first, ms, size) in times.items():
                    print(f"    {fmt:<5} {ms:7.1f} ms  (first {first:7.1f} ms)  "
                          f"{size / 1024:7.1f} KB")


if __name__ == "__main__":
    main()
