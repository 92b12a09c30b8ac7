"""Consumers killed mid-stream and a broker that forgets: nothing lost, nothing counted twice."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.conftest import eventually
from tests.e2e.helpers import application, auth, cases, report

pytestmark = pytest.mark.e2e

CONSUMERS = ("casework", "reporting", "notify")


def all_sms(stack) -> list[dict]:
    return httpx.get(f"{stack.url('notify')}/v1/dev/sms", headers=auth(stack, None, "city_admin"),
                     timeout=30).json()


def submit_many(stack, agency: str, numbers: range, accepted: list, threads: int = 8) -> None:
    with httpx.Client(timeout=30) as client, ThreadPoolExecutor(threads) as pool:
        def one(n: int) -> None:
            r = client.post(f"{stack.url('intake')}/v1/applications", json=application(agency, n))
            assert r.status_code == 201, r.text
            accepted.append(r.json())
        list(pool.map(one, numbers))


def test_consumers_killed_mid_stream_lose_and_double_count_nothing(stack):
    n = 2000
    accepted: list[dict] = []
    sender = threading.Thread(target=submit_many,
                              args=(stack, "e2e-restart", range(10_000, 10_000 + n), accepted))
    sender.start()
    eventually(lambda: len(accepted) >= 500, timeout=120, interval=0.01)
    for service in CONSUMERS:
        stack.stop_service(service, kill=True)  # SIGKILL: no chance to commit anything
    sender.join()
    assert len(accepted) == n
    for service in CONSUMERS:
        stack.start_service(service)
    stack.wait_healthy(CONSUMERS, timeout=90)

    eventually(lambda: report(stack, 2025, "e2e-restart")["table3"]["new"]["total"] == n,
               timeout=300, interval=1)
    opened = cases(stack, "e2e-restart")
    assert len(opened) == n
    assert sorted(c["case_number"] for c in opened) == sorted(a["case_number"] for a in accepted)
    assert all(c["due_on"] == "2025-10-24" for c in opened)
    mobiles = {f"139{i:08d}" for i in range(10_000, 10_000 + n)}
    sent = eventually(lambda: [s for s in all_sms(stack) if s["recipient"] in mobiles]
                      if len([s for s in all_sms(stack) if s["recipient"] in mobiles]) >= n
                      else None, timeout=180, interval=1)
    assert sorted(s["recipient"] for s in sent) == sorted(mobiles)  # each exactly once
    doc = report(stack, 2025, "e2e-restart")
    assert all(check["ok"] for check in doc["checks"])


def test_a_broker_that_forgets_everything_is_noticed_and_nothing_is_lost(stack):
    before = [a["application_id"] for a in _submit(stack, range(20_000, 20_005))]
    eventually(lambda: report(stack, 2025, "e2e-broker")["table3"]["new"]["total"] == 5)
    city_before = report(stack, 2025, "city")["table3"]["new"]["total"]

    stack.restart_broker()  # the embedded broker's memory is gone
    assert stack.dead() == []  # a fresh broker is up; the services must find out by themselves
    for service in list(stack.processes):
        stack.stop_service(service)
    for service in ("intake", "casework", "reporting", "notify"):
        stack.start_service(service)
    stack.wait_healthy(timeout=90)

    after = [a["application_id"] for a in _submit(stack, range(20_005, 20_010))]
    eventually(lambda: report(stack, 2025, "e2e-broker")["table3"]["new"]["total"] == 10,
               timeout=90, interval=0.5)
    assert {c["application_id"] for c in cases(stack, "e2e-broker")} == set(before + after)
    # Everything was re-published to the new broker and consumed again: still counted once.
    assert report(stack, 2025, "city")["table3"]["new"]["total"] == city_before + 5
    mobiles = {f"139{i:08d}" for i in range(20_000, 20_010)}
    sent = eventually(lambda: len(s := [m for m in all_sms(stack) if m["recipient"] in mobiles])
                      == 10 and s, timeout=60, interval=0.5)
    assert len({m["recipient"] for m in sent}) == 10

    # The broker's memory is gone, but reporting replays from its own stored events.
    from tests.e2e.test_reporting import replay

    done = replay(stack)
    assert done.returncode == 0 and "equals the live one" in done.stdout, done.stdout
    assert report(stack, 2025, "city")["table3"]["new"]["total"] == city_before + 5


def _submit(stack, numbers: range) -> list[dict]:
    accepted: list[dict] = []
    submit_many(stack, "e2e-broker", numbers, accepted, threads=2)
    return accepted


def test_intake_dying_between_commit_and_publish_loses_and_duplicates_nothing(stack):
    import os

    stack.stop_service("intake")
    os.environ["GONGKAI_FAULT"] = "exit_after_commit"
    try:
        stack.start_service("intake")
        stack.wait_healthy(("intake",))
    finally:
        del os.environ["GONGKAI_FAULT"]
    form = application("e2e-broker", 40_000)
    headers = {"Idempotency-Key": "crash-after-commit-1"}
    with pytest.raises(httpx.HTTPError):  # the process died before answering
        httpx.post(f"{stack.url('intake')}/v1/applications", json=form, headers=headers)
    assert stack.processes["intake"].wait(10) == 70
    stack.stop_service("intake")
    stack.start_service("intake")
    stack.wait_healthy(("intake",))
    # The client retries with the same key: the application that was committed comes back.
    retried = httpx.post(f"{stack.url('intake')}/v1/applications", json=form, headers=headers)
    assert retried.status_code == 201 and retried.headers.get("Idempotent-Replayed") == "true"
    app_id = retried.json()["application_id"]
    found = eventually(lambda: [c for c in cases(stack, "e2e-broker")
                                if c["application_id"] == app_id], timeout=60)
    assert len(found) == 1
    assert len([s for s in all_sms(stack) if s["recipient"] == "13900040000"]) <= 1
    eventually(lambda: len([s for s in all_sms(stack) if s["recipient"] == "13900040000"]) == 1)


def test_while_postgresql_restarts_intake_answers_503_and_stores_nothing_half(stack):
    before = report(stack, 2025, "e2e-broker")["table3"]["new"]["total"]
    stack.postgres.kill()
    try:
        down = httpx.post(f"{stack.url('intake')}/v1/applications",
                          json=application("e2e-broker", 41_000), timeout=30)
        assert down.status_code == 503, down.text
        assert down.headers["retry-after"] == "5"
        assert down.headers["content-type"].startswith("application/problem+json")
        assert "Traceback" not in down.text
    finally:
        stack.postgres.restart()
    accepted = eventually(lambda: (r := httpx.post(
        f"{stack.url('intake')}/v1/applications", json=application("e2e-broker", 41_001),
        timeout=30)).status_code == 201 and r.json(), timeout=60, interval=1)
    # Every service reconnected and resumed: the new application flows to the report, and the
    # refused one was never stored.
    eventually(lambda: report(stack, 2025, "e2e-broker")["table3"]["new"]["total"] == before + 1,
               timeout=120, interval=1)
    assert eventually(lambda: case_of(stack, accepted["application_id"]), timeout=60)
    assert not any(s["recipient"] == "13900041000" for s in all_sms(stack))
    stack.wait_healthy(timeout=60)


def case_of(stack, app_id: str):
    from tests.e2e.helpers import case

    return case(stack, "e2e-broker", app_id)
