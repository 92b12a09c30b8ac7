"""Every letter template, for every outcome, every application channel, every form and route,
both kinds of applicant and of third party, a provisional and an overdue date, staff text with
and without its own full stop, under an agency with and without office hours: rendered, and
refused if its punctuation is doubled (。。 ，。 。）。) or its brackets and quotes do not pair.
The SMS texts likewise."""

from __future__ import annotations

import itertools
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from gongkai.city import DEMO_CITY, read_city
from services.casework.domain.commands import BASIS_BY_GROUND, GROUNDS
from services.casework.domain.outcomes import OUTCOMES
from services.notify.domain.letters import (
    CHANNELS,
    SHIPPED_TEMPLATES,
    CaseFacts,
    TemplateSource,
    compose,
    reply_kind,
)
from services.notify.domain.messages import acknowledgement_sms, reply_sms
from shared.contracts.agencies import AgencyConfigured, Office
from shared.contracts.cases import DueDateBasis, DueDateSet

DEMO = next(a for a in read_city(DEMO_CITY) if a.agency_id == "lc-mzj")
BARE = AgencyConfigured(agency_id="t-bare", name="测试市民政局", case_prefix="TB",
                        disclosure_body="办公室", address="测试地址", phone="0635-0000000",
                        reconsideration_organ=Office(name="测试市人民政府"),
                        court=Office(name="测试区人民法院"))
TEMPLATES = TemplateSource()
PAIRS = {"（": "）", "《": "》", "“": "”", "〔": "〕", "【": "】", "「": "」", "‘": "’"}
STOPS = "。，、；：！？"
DOUBLED = re.compile(rf"[{STOPS}][{STOPS}]|[。！？][）》”〕】」’]+[{STOPS}]|（）|“”|《》")


def punctuation_problems(text: str) -> list[str]:
    problems = [f"doubled {m.group()!r} in …{text[max(0, m.start() - 15):m.end() + 5]}…"
                for m in DOUBLED.finditer(text)]
    stack: list[str] = []
    for i, ch in enumerate(text):
        if ch in PAIRS:
            stack.append(ch)
        elif ch in PAIRS.values() and (not stack or PAIRS[stack.pop()] != ch):
            problems.append(f"unpaired {ch!r} in …{text[max(0, i - 20):i + 5]}…")
            stack = []
    problems += [f"unclosed {ch!r}" for ch in stack]
    for word in ("None", "{{", "{%", "}}", "\u3000\u3000。"):
        if word in text:
            problems.append(f"{word!r} in the text")
    return problems


def test_the_checker_catches_what_it_is_for() -> None:
    assert punctuation_problems("如有变化，本机关将另行告知。）。") != []
    assert punctuation_problems("申请内容为：“低保”。。") != []
    assert punctuation_problems("因需调取档案。，本机关") != []
    assert punctuation_problems("《条例》第三十六条第（一项") != []
    assert punctuation_problems("“低保”）") != []
    assert punctuation_problems("根据《条例》第三十六条第（一）项的规定，“予以公开”。") == []


BASE = CaseFacts(
    case_number="LCMZJ-2026-00031", applicant_name="张明", request_summary="低保资金发放情况。",
    received_on=date(2026, 11, 5), due_on=date(2026, 12, 3), previous_due_on=date(2026, 11, 20),
    correction_on=date(2026, 11, 9), correction_items=("请写明年度。", "请写明区县"),
    correction_period_days=15, correct_by=date(2026, 11, 30),
    correction_received_on=date(2026, 11, 12), extension_on=date(2026, 11, 18),
    extension_days=20, consultation_on=date(2026, 11, 10),
    consultation_party="聊城示例养老服务有限公司", consultation_answer_by=date(2026, 12, 1),
    fee_on=date(2026, 11, 10), fee_pay_by=date(2026, 12, 8), fee_amount=None,
    reasons_on=date(2026, 11, 9), concluded_on=date(2026, 11, 27))
STAFF_TEXTS = ("", "所申请信息涉及多个年度的档案。", "详见附件（共3页）", "请联系办公室；")
NOT_A_REPLY = ("acknowledgement", "correction_notice", "extension_notice", "deferral_notice",
               "reasons_request", "fee_notice", "consultation_letter")


def letter_cases():
    """(kind, facts, agency, today) for every template and every way its text branches."""
    deliveries = [None, "post", "email", "pickup", "online"]
    media = [None, "paper", "electronic"]
    channels = itertools.cycle(CHANNELS)
    for outcome, (medium, delivery), applicant, extra, agency in itertools.product(
            OUTCOMES, itertools.product(media, deliveries), ("natural_person", "other_org"),
            STAFF_TEXTS, (DEMO, BARE)):
        kind = reply_kind(outcome)
        grounds = GROUNDS.get(outcome, (None,))
        other_forms = [(None, None, "")]
        if outcome in ("disclosed", "partially_disclosed") and extra:
            other_forms.append(("paper", "pickup", extra))
        for ground, (p_medium, p_delivery, reason) in itertools.product(grounds, other_forms):
            facts = BASE.__class__(**{
                **BASE.__dict__, "channel": next(channels), "applicant_type": applicant,
                "medium": medium, "delivery": delivery, "outcome": outcome, "ground": ground,
                "legal_basis": BASIS_BY_GROUND[ground] if ground else OUTCOMES[outcome],
                "reply_text": extra, "public_source": extra or "本机关门户网站",
                "responsible_agency": "聊城市医疗保障局", "responsible_contact": extra,
                "provided_medium": p_medium, "provided_delivery": p_delivery,
                "form_reason": reason, "fee_method": "per_item", "fee_nth": 12,
                "withdrawn_on": date(2026, 11, 20) if extra == "" else None,
                "correction_items": BASE.correction_items})
            if outcome == "other.no_fee_payment":
                facts = facts.__class__(**{**facts.__dict__, "fee_amount": Decimal("100")})
            yield f"{outcome}/{ground}/{medium}/{delivery}/{applicant}/{extra}", kind, facts, \
                agency, None
    for kind, applicant, extra, provisional, today, agency, party in itertools.product(
            NOT_A_REPLY, ("natural_person", "commercial_enterprise"), STAFF_TEXTS,
            (False, True), (None, date(2026, 12, 20)), (DEMO, BARE),
            (("third_party", "organisation"), ("third_party", "person"),
             ("other_agency", None))):
        facts = BASE.__class__(**{
            **BASE.__dict__, "channel": next(channels), "applicant_type": applicant,
            "due_provisional": provisional, "extension_reason": extra, "reasons_note": extra,
            "fee_method": "per_volume" if extra else "per_item", "fee_pages": 2219,
            "fee_nth": 12, "fee_amount": Decimal("83460"), "fee_pauses_clock": bool(extra),
            "consultation_kind": party[0], "consultation_party_type": party[1]})
        yield f"{kind}/{applicant}/{extra}/{provisional}/{today}/{party}", kind, facts, agency, \
            today


CASES = list(letter_cases())


def test_every_template_is_rendered() -> None:
    shipped = {p.name.removesuffix(".txt.j2") for p in Path(SHIPPED_TEMPLATES).glob("*.txt.j2")}
    assert {kind for _, kind, *_ in CASES} == shipped
    assert len(CASES) > 2000


@pytest.mark.parametrize("kind", sorted({kind for _, kind, *_ in CASES}))
def test_no_letter_has_doubled_or_unpaired_punctuation(kind: str) -> None:
    failures = []
    for name, k, facts, agency, today in CASES:
        if k != kind:
            continue
        letter = compose(kind, facts, agency, date(2026, 11, 27), TEMPLATES, today=today)
        for problem in punctuation_problems(letter.text()):
            failures.append(f"{name}: {problem}")
    assert not failures, "\n".join(failures[:20])


def test_no_message_has_doubled_or_unpaired_punctuation() -> None:
    for provisional, today in itertools.product((False, True), (None, date(2026, 12, 20))):
        due = DueDateSet(application_id="7d0c6a52-8a4e-4f53-9a57-1d6e0f3c0015",
                         due_on=date(2026, 12, 3), basis=DueDateBasis(
                             rule="reply_period", counted_from=date(2026, 11, 5),
                             working_days=20, provisional=provisional, calendar="test"))
        text = acknowledgement_sms("聊城市民政局", "LCMZJ-2026-00031", date(2026, 11, 5), due,
                                   today)
        assert punctuation_problems(text) == [], text
    assert punctuation_problems(reply_sms("聊城市民政局", "LCMZJ-2026-00031",
                                          date(2026, 11, 27))) == []
