"""Casework's view of the outcomes declared in shared/contracts/outcomes.py
(docs/domain.md#outcomes): the basis a reply cites by default for each, and the ones only the
sweep records. Staff may state a more precise basis; this is the default."""

from __future__ import annotations

from shared.contracts.outcomes import DECLARED

OUTCOMES: dict[str, str] = {o.key: o.basis for o in DECLARED}

# Outcomes the system records itself when a period lapses; staff cannot choose them directly.
BY_LAPSE_ONLY = frozenset(o.key for o in DECLARED if o.by_lapse_only)
