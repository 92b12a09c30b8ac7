"""Event contracts: the only thing services share (no service reads another's tables:
docs/architecture.md#services).

Importing this package registers every event type.
"""

from . import agencies, applications, cases, reports  # noqa: F401

AGENCIES_TOPIC = "gongkai.agencies"
APPLICATIONS_TOPIC = "gongkai.applications"
CASES_TOPIC = "gongkai.cases"
ALL_TOPICS = (AGENCIES_TOPIC, APPLICATIONS_TOPIC, CASES_TOPIC)
