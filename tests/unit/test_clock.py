"""GONGKAI_CLOCK: a simulated time; with an anchor, one for every process, restarts included."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from shared.clock import SHANGHAI, clock_from_setting


def test_an_anchored_clock_is_the_same_in_a_process_started_later():
    start = "2025-09-22T10:00:00+08:00"
    anchored = f"{start}@{time.time() - 600:.3f}"  # set ten minutes ago
    first, later = clock_from_setting(anchored), clock_from_setting(anchored)
    assert abs(first.now() - later.now()) < timedelta(seconds=1)
    expected = datetime(2025, 9, 22, 10, 10, tzinfo=SHANGHAI)
    assert abs(first.now() - expected) < timedelta(seconds=5)
    # Without an anchor each process starts at the instant itself.
    fresh = clock_from_setting(start).now()
    assert abs(fresh - datetime(2025, 9, 22, 2, tzinfo=UTC)) < timedelta(seconds=5)
