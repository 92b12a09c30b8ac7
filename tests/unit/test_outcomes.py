"""The outcome declarations (shared/contracts/outcomes.py) agree with the contracts that name
their parts."""

from __future__ import annotations

from typing import get_args

from shared.contracts.cases import Ground
from shared.contracts.outcomes import GROUNDS


def test_the_grounds_a_decision_may_state_are_the_grounds_declared():
    assert set(get_args(Ground)) == set(GROUNDS)
