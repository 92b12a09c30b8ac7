"""Prometheus metrics common to every service. Labels never carry ids or personal data."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_PRODUCED = Counter(
    "gongkai_events_produced_total", "Events published to Kafka by the outbox relay",
    ["service", "topic"],
)
EVENTS_CONSUMED = Counter(
    "gongkai_events_consumed_total", "Events consumed, by type and outcome",
    ["service", "type", "outcome"],
)
HANDLER_SECONDS = Histogram(
    "gongkai_handler_seconds", "Time to apply one consumed batch, including its transaction",
    ["service", "topic"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
OUTBOX_BACKLOG = Gauge(
    "gongkai_outbox_backlog", "Events committed but not yet published", ["service"],
)
OUTBOX_OLDEST_SECONDS = Gauge(
    "gongkai_outbox_oldest_age_seconds", "Age of the oldest unpublished event", ["service"],
)
REPUBLISHED = Counter(
    "gongkai_broker_republished_total",
    "Events re-published because the broker had lost them", ["service", "topic"],
)
DEAD_LETTERS = Counter(
    "gongkai_dead_letters_total", "Consumed messages set aside as unreadable", ["service", "topic"],
)
HTTP_REQUESTS = Counter(
    "gongkai_http_requests_total", "HTTP requests by route and status class",
    ["service", "route", "status"],
)
FETCH_WAIT = Gauge(
    "gongkai_consumer_fetch_wait_ms",
    "How long a new event may wait for a consumer's next fetch now (the fetch wait while "
    "events come; once idle, the consumer is paused and looks this often)", ["service", "topic"],
)
CONSUMER_LAG = Gauge(
    "gongkai_consumer_lag", "Messages on the broker not yet consumed, per partition",
    ["service", "topic", "partition"],
)
