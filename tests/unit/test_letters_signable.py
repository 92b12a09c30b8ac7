"""Issue 16: letters an office can sign as they are. Each case is run through casework's own
rules (`from_intake`, `decide`), its facts handed to notify as JSON, and the composed letter
read back as text and from its PDF (pdftotext): the route the applicant asked for, the
paragraph of Art. 36, the agency responsible, the 文号, the consultation's one deadline, and
no date promised that has passed."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from gongkai.city import DEMO_CITY, CityFileError, read_city
from services.casework.domain import commands as c
from services.notify.adapters.pdf import render_pdf
from services.notify.domain.letters import (
    CaseFacts,
    Letter,
    TemplateSource,
    compose,
    evolve_facts,
    letter_number,
)
from services.notify.domain.messages import acknowledgement_sms
from shared.contracts.applications import (
    Applicant,
    ApplicationSubmitted,
    Channel,
    RequestedInformation,
)
from shared.contracts.cases import CaseOpened, DueDateSet
from tests.unit.test_case import APP, CAL, D, Story, from_intake

AGENCY = next(a for a in read_city(DEMO_CITY) if a.agency_id == "lc-mzj")
TEMPLATES = TemplateSource()
NEEDS_POPPLER = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                   reason="poppler-utils not installed")


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def story(medium: str = "paper", delivery: str = "post", *, today: str = "2025-12-31",
          applicant: str = "natural_person", name: str = "张明") -> Story:
    s = Story(today=today)
    s.facts = list(from_intake(None, ApplicationSubmitted(
        application_id=APP, case_number="LCMZJ-2025-00031", channel=Channel.in_person,
        submitted_at=datetime(2025, 9, 22, 1, tzinfo=UTC),
        applicant=Applicant(type=applicant, name=name, mobile="13800138000"),
        request=RequestedInformation(description="2025年度低保资金发放情况。", medium=medium,
                                     delivery=delivery)), s.ctx()))
    return s.receipt("2025-09-22")


def facts_of(s: Story, upto: int | None = None) -> CaseFacts:
    facts = CaseFacts()
    for fact in s.facts[:upto]:  # as notify receives them: JSON payloads
        facts = evolve_facts(facts, type(fact).__name__, fact.model_dump(mode="json"))
    return facts


def letter(s: Story, kind: str, dated: str = "2025-10-20", **kw) -> Letter:
    return compose(kind, facts_of(s), AGENCY, D(dated), TEMPLATES, **kw)


def pdftotext(one: Letter) -> str:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=render_pdf(one),
                         capture_output=True, check=True).stdout.decode()
    return flat(out)


def reply(s: Story, kind: str = "reply_disclosed", **decision) -> Letter:
    s.when(c.Decide(D("2025-10-20"), **decision), today="2025-10-20")
    return letter(s, kind)


# --- 1. the form and route the applicant asked for ----------------------------------------

ROUTES = {
    ("paper", "post"): "本机关将纸质形式的上述政府信息随本答复书一并邮寄给您。",
    ("electronic", "email"): "本机关将电子形式的上述政府信息随本答复书一并发送至您提供的电子邮箱。",
    ("electronic", "online"):
        "本机关通过网上在线方式，将电子形式的上述政府信息随本答复书一并提供给您。",
}


@pytest.mark.parametrize(("medium", "delivery"), list(ROUTES))
def test_the_reply_states_the_form_and_route_the_applicant_asked_for(medium, delivery) -> None:
    s = story(medium, delivery)
    opened = s.facts[0]
    assert isinstance(opened, CaseOpened)
    assert (opened.medium, opened.delivery) == (medium, delivery)  # carried by casework
    one = reply(s, outcome="disclosed")
    assert ROUTES[medium, delivery] in one.paragraphs
    others = [sentence for key, sentence in ROUTES.items() if key != (medium, delivery)]
    assert not any(sentence in one.text() for sentence in others)


@NEEDS_POPPLER
def test_a_pickup_reply_gives_the_office_its_address_and_hours() -> None:
    one = reply(story("paper", "pickup", applicant="commercial_enterprise",
                      name="聊城示例商贸有限公司"), outcome="disclosed")
    text = pdftotext(one)
    assert flat("请贵单位自收到本答复书之日起，在工作时间（8:30-12:00 14:30-18:00（5月1日至9月30日"
                "的工作日）；8:30-12:00 14:00-17:30（10月1日至次年4月30日的工作日））到聊城市民政局"
                "办公室（地址：聊城市东昌府区兴华东路71号）领取纸质形式的上述政府信息；领取时请携带"
                "本答复书和单位介绍信、经办人有效身份证件。") in text
    assert "邮寄给" not in text and "第三十六条第（二）项" in text


def test_another_form_than_asked_is_stated_with_its_reason() -> None:
    s = story("electronic", "email")
    refused = s.refused(c.Decide(D("2025-10-20"), "disclosed", medium="paper",
                                 delivery="pickup"), today="2025-10-20")
    assert refused.field == "form_reason" and "须说明理由" in refused.message
    one = reply(s, outcome="disclosed", medium="paper", delivery="pickup",
                form_reason="所申请信息为纸质档案原件，扫描成本过高。")
    text = one.text()
    assert ("您要求以电子形式、通过电子邮件方式获取政府信息。"
            "因所申请信息为纸质档案原件，扫描成本过高，根据《中华人民共和国政府信息公开条例》第四十条的规定，本机关以纸质形式、通过当面领取"
            "方式提供。") in text
    assert "领取纸质形式的上述政府信息" in text and "电子邮箱" not in text


# --- 2. one paragraph of Art. 36 per letter -------------------------------------------------

@NEEDS_POPPLER
def test_already_published_information_is_pointed_to_not_enclosed() -> None:
    s = story()
    refused = s.refused(c.Decide(D("2025-10-20"), "disclosed", ground="already_public"),
                        today="2025-10-20")
    assert refused.field == "public_source" and "已主动公开信息的获取途径" in refused.message
    one = reply(s, outcome="disclosed", ground="already_public",
                public_source="聊城市民政局门户网站“政府信息公开—法定主动公开内容—财政信息”栏目。")
    text = pdftotext(one)
    assert flat("根据《中华人民共和国政府信息公开条例》第三十六条第（一）项的规定，"
                "现告知您获取该政府信息的方式和途径：聊城市民政局门户网站“政府信息公开—法定主动公开内容—财政信息”"
                "栏目。") in text
    assert "第（二）项" not in text and "随本答复书" not in text and "邮寄" not in text


def test_information_provided_now_cites_36_2_only() -> None:
    text = reply(story(), outcome="disclosed").text()
    assert "第三十六条第（二）项的规定，本机关决定予以公开" in text and "第（一）项" not in text


@NEEDS_POPPLER
def test_not_this_agencys_to_disclose_names_the_agency_responsible() -> None:
    s = story()
    for missing, words in (({}, "负责公开该信息的行政机关名称"),
                           ({"responsible_agency": "聊城市医疗保障局"}, "该机关的联系方式")):
        refused = s.refused(c.Decide(D("2025-10-20"), "unable.not_held",
                                     ground="not_responsible", **missing), today="2025-10-20")
        assert words in refused.message
        assert refused.field == ("responsible_contact" if missing else "responsible_agency")
    one = reply(s, "reply_unable", outcome="unable.not_held", ground="not_responsible",
                responsible_agency="聊城市医疗保障局",
                responsible_contact="聊城市东昌府区示例路1号，电话0635-0000000。")
    text = pdftotext(one)
    assert flat("根据《中华人民共和国政府信息公开条例》第三十六条第（五）项的规定，"
                "现告知您：负责公开该政府信息的行政机关为聊城市医疗保障局，联系方式：聊城市东昌府区示例路1号，电话"
                "0635-0000000。您可以向该机关提出政府信息公开申请。") in text
    assert "第（四）项" not in text and "不存在" not in text


def test_information_that_does_not_exist_cites_36_4_only() -> None:
    text = reply(story(), "reply_unable", outcome="unable.not_held").text()
    assert "第三十六条第（四）项的规定，现告知您：该政府信息不存在。" in text
    assert "第（五）项" not in text


def test_a_ground_of_another_outcome_is_refused() -> None:
    refused = story().refused(c.Decide(D("2025-10-20"), "disclosed", ground="not_exist"),
                              today="2025-10-20")
    assert refused.field == "ground"


# --- 3. 文号 --------------------------------------------------------------------------------

@NEEDS_POPPLER
def test_the_letter_number_heads_the_letter_with_the_case_number() -> None:
    s = story()
    number = letter_number(AGENCY.letter_prefix, 2025, 7)
    assert number == "聊民依申〔2025〕7号"
    one = replace(reply(s, outcome="disclosed"), number=number)
    assert one.text().startswith(
        "聊城市民政局政府信息公开申请答复书\n\n聊民依申〔2025〕7号\n\n（受理编号：LCMZJ-2025-00031）")
    text = pdftotext(one)
    assert text.startswith(flat("聊城市民政局政府信息公开申请答复书 聊民依申〔2025〕7号 "
                                "（受理编号：LCMZJ-2025-00031） 张明："))
    unnumbered = reply(story(), outcome="disclosed")  # an agency without a prefix
    assert "（LCMZJ-2025-00031）" in unnumbered.text() and "〔" not in unnumbered.text()


def test_every_demo_agency_has_its_own_letter_prefix(tmp_path) -> None:
    prefixes = [a.letter_prefix for a in read_city(DEMO_CITY)]
    assert all(prefixes) and len(set(prefixes)) == len(prefixes)
    city = DEMO_CITY.read_text(encoding="utf-8").replace("letter_prefix: 东民依申",
                                                          "letter_prefix: 聊民依申")
    (tmp_path / "city.yaml").write_text(city, encoding="utf-8")
    with pytest.raises(CityFileError, match="letter_prefix 聊民依申 is also lc-mzj's"):
        read_city(tmp_path / "city.yaml")


# --- 4. the consultation letter: one deadline, the party addressed as it is ----------------

@pytest.mark.parametrize(("kind", "party_type", "you"), [
    ("third_party", "organisation", "贵单位"), ("third_party", "person", "您"),
    ("other_agency", None, "贵机关")])
def test_the_consultation_letter_states_one_deadline_and_addresses_the_party(
        kind, party_type, you) -> None:
    s = story()
    party = {"organisation": "聊城示例养老服务有限公司", "person": "李华"}.get(party_type,
                                                                          "聊城市财政局")
    [started, *_] = s.when(c.StartConsultation(D("2025-09-29"), kind, party, party_type),
                           today="2025-09-29")
    assert started.answer_by == CAL.add_working_days(D("2025-09-29"), 15) == D("2025-10-27")
    one = letter(s, "consultation_letter", "2025-09-29")
    text = one.text()
    assert one.addressee == party
    assert (f"请{you}自本函发出之日（2025年9月29日）起15个工作日内（至2025年10月27日止）书面"
            "提出") in text
    assert "收到本函之日" not in text and "你（单位）" not in text
    assert f"{you}的" in text or kind == "other_agency"
    assert text.count("15个工作日") == 1 and "张明" not in text
    other = {"贵单位", "您", "贵机关"} - {you}
    assert not any(f"请{w}" in text for w in other)


def test_the_consultation_deadline_is_the_day_the_pause_ends_by_silence() -> None:
    """The pause (not counted in the reply period) runs until the answer or the deadline the
    letter states; silence ends it on that day, whichever the policy of the dispatch day."""
    s = story()
    s.when(c.StartConsultation(D("2025-09-29"), "third_party", "聊城示例养老服务有限公司",
                               "organisation"), today="2025-09-29")
    assert "至2025年10月27日止" in letter(s, "consultation_letter", "2025-09-29").text()
    [ended, *_] = s.when(c.Sweep(), today="2025-10-28")
    assert ended.how == "lapsed" and ended.on == D("2025-10-27")


# --- 6. no promise of a date already past --------------------------------------------------

def test_an_acknowledgement_composed_after_its_due_date_says_the_period_has_passed() -> None:
    s = story()
    due: DueDateSet = s.facts[-1]
    assert due.due_on == D("2025-10-24")
    on_time = letter(s, "acknowledgement", "2025-09-22", today=D("2025-09-22")).text()
    assert "本机关将自收到申请之日起20个工作日内，即于2025年10月24日前作出答复。" in on_time
    late = letter(s, "acknowledgement", "2025-11-03", today=D("2025-11-03")).text()
    assert ("本机关应当自收到申请之日起20个工作日内，即于2025年10月24日前作出答复。该期限已经届满，"
            "本机关将尽快作出答复。") in late
    assert "本机关将自收到申请之日起" not in late and "将另行书面告知" not in late
    sms = acknowledgement_sms("聊城市民政局", "LCMZJ-2025-00031", D("2025-09-22"), due,
                              D("2025-11-03"))
    assert sms == ("【聊城市民政局】您的政府信息公开申请已于2025年9月22日收到，受理编号"
                   "LCMZJ-2025-00031。依法应于2025年10月24日前答复，该期限已届满，我机关将尽快"
                   "答复。")
    assert "将于" not in sms
    # composed on the due date itself, the promise still holds
    assert "我机关将于2025年10月24日前依法答复" in acknowledgement_sms(
        "聊城市民政局", "LCMZJ-2025-00031", D("2025-09-22"), due, D("2025-10-24"))
