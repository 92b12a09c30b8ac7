"""What notify keeps of a letter (letters.content): every field of the letter, as JSON text that
gives the letter back and hashes the same every time."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from datetime import date

from services.notify.domain.letters import Letter, compose, letter_number
from tests.unit.test_letters import AGENCY, SCENARIOS, TEMPLATES, fold


def test_the_kept_content_is_every_field_of_the_letter_and_gives_it_back() -> None:
    for kind, events, dated, *_rest in SCENARIOS.values():
        letter = compose(kind, fold(events), AGENCY, dated, TEMPLATES)
        for kept in (letter, replace(letter, number=letter_number("聊民依申", dated.year, 7))):
            content = kept.content()
            # the same text as the JSON of the dataclass (what letters kept before had)
            assert content == json.dumps(asdict(kept), ensure_ascii=False, default=str,
                                         sort_keys=True)
            back = json.loads(content)
            assert Letter(**{**back, "dated": date.fromisoformat(back["dated"])}) == kept
