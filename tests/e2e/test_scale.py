"""Scaling out: a second instance of each consumer service joins the same consumer groups and
shares the partitions, with no double counting; SIGTERM lets in-flight work finish."""

from __future__ import annotations

import threading

import httpx
import pytest

from gongkai.embedded import free_port
from tests.conftest import eventually
from tests.e2e.helpers import cases, report
from tests.e2e.test_faults import all_sms, submit_many

pytestmark = pytest.mark.e2e

CONSUMERS = ("casework", "reporting", "notify")


def consumed(stack, name: str) -> float:
    text = httpx.get(f"{stack.url(name)}/metrics", timeout=10).text
    return sum(float(line.split()[-1]) for line in text.splitlines()
               if line.startswith("gongkai_events_consumed_total{") and 'outcome="applied"' in line)


def test_two_instances_share_the_work_and_count_everything_once(stack):
    extra = [stack.start_service(s, instance="-2", port=free_port()) for s in CONSUMERS]
    stack.wait_healthy(tuple(extra), timeout=90)
    before = {name: consumed(stack, name) for name in (*CONSUMERS, *extra)}

    accepted: list[dict] = []
    submit_many(stack, "e2e-scale", range(30_000, 30_200), accepted)
    eventually(lambda: report(stack, 2025, "e2e-scale")["table3"]["new"]["total"] == 200,
               timeout=120, interval=0.5)
    # Both instances of each service did part of the work (the partitions were shared) …
    for service, second in zip(CONSUMERS, extra, strict=True):
        assert consumed(stack, service) > before[service], service
        assert consumed(stack, second) > before[second], second

    # … and stopping the extra instances with SIGTERM mid-stream loses and repeats nothing.
    more: list[dict] = []
    sender = threading.Thread(target=submit_many,
                              args=(stack, "e2e-scale", range(30_200, 30_300), more))
    sender.start()
    eventually(lambda: len(more) >= 20, timeout=60, interval=0.01)
    # Within the grace period the deployment gives (deploy/k8s: 45 s); `Runtime.stop` bounds
    # each of its steps well inside it.
    codes = [stack.stop_service(name, timeout=45) for name in extra]
    sender.join()
    # A clean exit within the grace period (uvicorn re-raises SIGTERM once shut down).
    assert all(code in (0, -15) for code in codes), codes
    for name in extra:
        assert "Application shutdown complete" in (stack.logs / f"{name}.log").read_text()
    eventually(lambda: report(stack, 2025, "e2e-scale")["table3"]["new"]["total"] == 300,
               timeout=120, interval=0.5)
    assert len(cases(stack, "e2e-scale")) == 300
    mobiles = {f"139{i:08d}" for i in range(30_000, 30_300)}
    sent = eventually(lambda: len(s := [m for m in all_sms(stack) if m["recipient"] in mobiles])
                      >= 300 and s, timeout=90, interval=0.5)
    assert sorted(m["recipient"] for m in sent) == sorted(mobiles)
