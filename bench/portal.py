"""The pages under load: the console's queue with 10,000 open cases (server time per page,
target p95 < 300 ms), and what every page weighs with its assets (target < 200 KB).

`python -m bench.portal [--cases 10000] [--requests 200]`. Prints figures; asserts nothing."""

from __future__ import annotations

import argparse
import asyncio
import re
import time
from datetime import UTC, datetime
from typing import Any

import httpx

from bench._common import AGENCY, application, machine, percentile, running_stack

SERVICES = ("intake", "casework", "reporting", "notify", "portal")


async def submit(intake: str, count: int, concurrency: int = 16) -> float:
    started = time.perf_counter()
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(count):
        queue.put_nowait(n)

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            n = queue.get_nowait()
            r = await client.post(f"{intake}/v1/applications", json=application(n))
            r.raise_for_status()

    async with httpx.AsyncClient(timeout=60) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return time.perf_counter() - started


def staff_token(stack: Any) -> str:
    from shared.auth import Role, issue_token, load_secret
    from shared.clock import clock_from_setting

    # The services' clock starts at 10:00 today (office hours), not at the wall clock.
    return issue_token(load_secret(stack.home), user="bench", agency=AGENCY,
                       roles=[Role.CASEWORKER], now=clock_from_setting(stack.settings.clock).now())


def wait_open(stack: Any, count: int, timeout: float = 600) -> float:
    started = time.perf_counter()
    headers = {"Authorization": f"Bearer {staff_token(stack)}"}
    while time.perf_counter() - started < timeout:
        r = httpx.get(f"{stack.url('casework')}/v1/queues/{AGENCY}",
                      params={"limit": 1}, headers=headers)
        if int(r.headers.get("x-total-count", 0)) >= count:
            return time.perf_counter() - started
        time.sleep(0.5)
    raise RuntimeError(f"casework did not open {count} cases in {timeout:.0f} s")


def timed(client: httpx.Client, path: str, n: int) -> list[float]:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        r = client.get(path)
        times.append((time.perf_counter() - t0) * 1000)
        r.raise_for_status()
    return times


def weight(client: httpx.Client, path: str) -> tuple[int, int]:
    """Bytes of the page and of every asset it loads from us (no compression assumed)."""
    page = client.get(path)
    assets = set(re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text))
    return len(page.content), sum(len(client.get(a).content) for a in assets)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    print(machine())
    with running_stack(services=SERVICES) as stack:
        portal = stack.url("portal")
        took = asyncio.run(submit(stack.url("intake"), args.cases))
        print(f"{args.cases} applications submitted in {took:.1f} s", flush=True)
        print(f"all open in casework after {wait_open(stack, args.cases):.1f} s more",
              flush=True)
        with httpx.Client(base_url=portal, timeout=30, follow_redirects=True) as client:
            client.post("/staff/signin/dev", data={"agency": AGENCY, "role": "caseworker"})
            first = client.get("/staff/")
            case = re.search(r'href="(/staff/cases/[0-9a-f-]+)"', first.text).group(1)
            pages = {
                "queue, first page": "/staff/",
                "queue, page 100": "/staff/?page=100",
                "queue, search by name": "/staff/?q=申请人4242",
                "queue, due soon": "/staff/?view=due_soon",
                "case page": case,
            }
            print(f"\nserver time per page, {args.requests} sequential requests each "
                  f"({args.cases} open cases):")
            for name, path in pages.items():
                t = timed(client, path, args.requests)
                print(f"  {name:<24} p50 {percentile(t, 50):6.1f} ms   "
                      f"p95 {percentile(t, 95):6.1f} ms   max {max(t):6.1f} ms")
            print("\nweight of each page with its assets (target < 200 KB):")
            for path in ("/", f"/agencies/{AGENCY}", f"/apply/{AGENCY}", "/status",
                         "/reports", "/staff/", case, "/staff/register",
                         f"/staff/reports?year={datetime.now(UTC).year}", "/staff/calendar"):
                html, assets = weight(client, path)
                print(f"  {path[:40]:<40} {html / 1024:6.1f} KB + assets "
                      f"{assets / 1024:5.1f} KB = {(html + assets) / 1024:6.1f} KB")


if __name__ == "__main__":
    main()
