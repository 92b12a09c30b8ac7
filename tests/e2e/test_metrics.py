"""What an operator sees on /metrics: pipeline and business figures, and never an id or a
person's data in a label."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from tests.conftest import eventually
from tests.e2e.helpers import application, auth, case

pytestmark = pytest.mark.e2e

EXPECTED = {
    "intake": ["gongkai_outbox_backlog", "gongkai_events_produced_total",
               "gongkai_http_requests_total"],
    "casework": ["gongkai_events_consumed_total", "gongkai_handler_seconds_bucket",
                 "gongkai_consumer_lag", "gongkai_open_cases", "gongkai_provisional_due_dates"],
    "reporting": ["gongkai_events_consumed_total", "gongkai_reporting_last_event_position"],
    "notify": ["gongkai_messages_total", "gongkai_letters_total",
               "gongkai_messages_needing_attention"],
}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
MOBILE = re.compile(r"1[3-9]\d{9}")


def test_metrics_show_the_pipeline_and_the_deadlines_without_personal_data(stack):
    form = application("e2e-flow", 616161)
    app_id = httpx.post(f"{stack.url('intake')}/v1/applications", json=form).json()[
        "application_id"]
    eventually(lambda: (c := case(stack, "e2e-flow", app_id)) and c["due_on"])
    httpx.post(f"{stack.url('casework')}/v1/sweep", headers=auth(stack, None, "city_admin"))
    texts = {}
    for service, names in EXPECTED.items():
        texts[service] = httpx.get(f"{stack.url(service)}/metrics").text
        for name in names:
            assert name in texts[service], (service, name)
    open_cases = [line for line in texts["casework"].splitlines()
                  if line.startswith('gongkai_open_cases{agency="e2e-flow"')]
    assert {re.search(r'bucket="(\w+)"', line)[1] for line in open_cases} >= {
        "overdue", "due_3", "due_10", "later", "paused"}
    assert sum(float(line.split()[-1]) for line in open_cases) >= 1
    for service, body in texts.items():
        labels = " ".join(line.split("}")[0] for line in body.splitlines()
                          if not line.startswith("#") and "{" in line)
        assert not UUID.search(labels), service
        assert not MOBILE.search(labels), service
        assert form["applicant"]["id_number"] not in body


def fetch_wait(stack, service: str, topic: str) -> float:
    text = httpx.get(f"{stack.url(service)}/metrics").text
    line = next(x for x in text.splitlines() if x.startswith("gongkai_consumer_fetch_wait_ms{")
                and f'topic="{topic}"' in x)
    return float(line.rsplit(" ", 1)[1])


def test_an_idle_consumer_polls_slowly_and_still_takes_the_next_application_at_once(stack):
    # Nothing for a while: casework's consumer of applications has slowed its polling down to
    # its slowest (GONGKAI_IDLE_FETCH_MAX_WAIT_MS, 500 by default): the worst case.
    eventually(lambda: fetch_wait(stack, "casework", "gongkai.applications") == 500)
    form = application("e2e-flow", 626262)
    app_id = httpx.post(f"{stack.url('intake')}/v1/applications", json=form).json()[
        "application_id"]
    started = time.monotonic()
    eventually(lambda: (c := case(stack, "e2e-flow", app_id)) and c["due_on"], interval=0.02)
    assert time.monotonic() - started < 2.0  # one slow poll at most, not a lost wake-up
    # A batch came less than the idle spell (2 s) ago: it polls fast again.
    assert fetch_wait(stack, "casework", "gongkai.applications") == \
        stack.settings.fetch_max_wait_ms
