"""Letters (docs/domain.md#letters): every kind built from real case events, composed for
聊城市民政局 (the demo city), rendered to PDF and read back; overrides, provisional dates,
injection, font, page size."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
import uuid
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import BaseModel
from pypdf import PdfReader

from gongkai.city import DEMO_CITY, read_city
from services.casework.domain.commands import BASIS_BY_GROUND, GROUNDS, Context
from services.casework.domain.decide import from_intake
from services.casework.domain.outcomes import OUTCOMES
from services.notify.adapters import pdf as pdf_adapter
from services.notify.adapters.pdf import extract_text, render_pdf
from services.notify.domain.letters import (
    CaseFacts,
    LetterTemplateError,
    TemplateSource,
    cn,
    compose,
    evolve_facts,
    letter_date,
    letters_for,
)
from shared import cjk_font
from shared.cjk_font import CJKFontMissing
from shared.contracts.applications import (
    Applicant,
    ApplicationSubmitted,
    RequestedInformation,
)
from shared.contracts.cases import (
    CaseConcluded,
    CaseReceived,
    CaseWithdrawn,
    ConsultationStarted,
    CorrectionLapsed,
    CorrectionReceived,
    CorrectionRequested,
    DueDateBasis,
    DueDateSet,
    ExtensionApproved,
    FeeLapsed,
    FeeNoticeIssued,
    ReasonsRequested,
)

AGENCY = next(a for a in read_city(DEMO_CITY) if a.agency_id == "lc-mzj")
APP = uuid.UUID("7d0c6a52-8a4e-4f53-9a57-1d6e0f3c0015")
CASE = "LCMZJ-2025-00015"
SUMMARY = "2025年度聊城市城乡最低生活保障资金的发放总额及其依据文件。"
TEMPLATES = TemplateSource()
FIRST = ("应当先申请行政复议", "自收到行政复议决定书之日起15日内", "行政复议法》第二十三条")
STANDARD = ("或者自收到", "6个月内")


def _due(on: date, rule: str, previous: date | None, *, provisional: bool = False,
         extension: int = 0, set_date: date | None = None) -> DueDateSet:
    basis = DueDateBasis(rule=rule, counted_from=date(2025, 9, 22), working_days=20,
                         extension_days=extension, set_date=set_date, provisional=provisional,
                         calendar="official 2004-2026, provisional beyond")
    return DueDateSet(application_id=APP, due_on=on, previous_due_on=previous, basis=basis)


def _opened(summary: str = SUMMARY, name: str = "张明", received: date = date(2025, 9, 22),
            number: str = CASE) -> list[BaseModel]:
    submitted = ApplicationSubmitted(
        application_id=APP, case_number=number, channel="online",
        submitted_at=datetime.fromisoformat(f"{received}T09:30:00+08:00"),
        applicant=Applicant(type="natural_person", name=name, mobile="13800138000"),
        request=RequestedInformation(description=summary, medium="paper", delivery="post"))
    # casework opens the case from intake's fact, carrying the form and route asked for
    opened = from_intake(None, submitted, Context(today=received, calendar=None))
    return [*opened, CaseReceived(application_id=APP, received_on=received)]


BASE = [*_opened(), _due(date(2025, 10, 24), "reply_period", None)]
CORRECTION = CorrectionRequested(
    application_id=APP, on=date(2025, 9, 26), period_working_days=15,
    correct_by=date(2025, 10, 23),
    items=["请写明所需信息的年度范围", "请说明所需的是发放总额还是分区县数据"])
STOPPED = DueDateSet(application_id=APP, due_on=None, previous_due_on=date(2025, 10, 24))
FEE = FeeNoticeIssued(application_id=APP, on=date(2025, 10, 9), method="per_volume", pages=2219,
                      amount_yuan=Decimal("83460"), pay_by=date(2025, 11, 5), pauses_clock=True)
REASONS = ReasonsRequested(application_id=APP, on=date(2025, 9, 25),
                           note="您本月已向本机关提交同类申请45件")


def concluded(outcome: str, on: date = date(2025, 10, 20), text: str = "") -> CaseConcluded:
    """As casework concludes a case without a ground named: the default ground of an outcome
    that covers two paragraphs of Art. 36, and its own paragraph as the basis."""
    ground = GROUNDS.get(outcome, (None,))[0]
    return CaseConcluded(application_id=APP, on=on, outcome=outcome, ground=ground,
                         legal_basis=BASIS_BY_GROUND[ground] if ground else OUTCOMES[outcome],
                         reply_text=text)


def fold(events: list[BaseModel]) -> CaseFacts:
    facts = CaseFacts()
    for event in events:  # as notify receives them: JSON payloads
        facts = evolve_facts(facts, type(event).__name__, event.model_dump(mode="json"))
    return facts


# name: (kind, events, letter date, texts the letter must contain, remedy, addressee)
SCENARIOS = {
    "acknowledgement": ("acknowledgement", BASE, date(2025, 9, 22),
                        ["第三十三条", "2025年10月24日", "网上申请"], None, "张明"),
    "correction": ("correction_notice", [*BASE, CORRECTION, STOPPED], date(2025, 9, 26),
                   ["第三十条", "1. 请写明所需信息的年度范围", "2025年10月23日", "视为放弃申请"],
                   None, "张明"),
    "extension": ("extension_notice", [
        *BASE, ExtensionApproved(application_id=APP, on=date(2025, 10, 20), working_days=20,
                                 approved_by="办公室主任", reason="所申请信息涉及多个年度的档案"),
        _due(date(2025, 11, 21), "extension", date(2025, 10, 24), extension=20)],
        date(2025, 10, 20),
        ["第三十三条", "延长20个工作日", "2025年11月21日", "2025年10月24日", "负责人同意"],
        None, "张明"),
    "consultation_third_party": ("consultation_letter", [*BASE, ConsultationStarted(
        application_id=APP, on=date(2025, 9, 29), kind="third_party",
        party="聊城示例养老服务有限公司", answer_by=date(2025, 10, 27))], date(2025, 9, 29),
        ["第三十二条", "15个工作日", "2025年10月27日", "征求"], None, "聊城示例养老服务有限公司"),
    "consultation_other_agency": ("consultation_letter", [*BASE, ConsultationStarted(
        application_id=APP, on=date(2025, 9, 29), kind="other_agency", party="聊城市财政局",
        answer_by=date(2025, 10, 27))], date(2025, 9, 29),
        ["第三十四条", "视为同意公开", "贵机关"], None, "聊城市财政局"),
    "fee": ("fee_notice", [*BASE, FEE], date(2025, 10, 9),
            ["第四十二条", "国办函〔2020〕109号", "2219页", "83460元", "2025年11月5日",
             "201页以上的部分，每页40元"], "standard", "张明"),
    "reasons": ("reasons_request", [*BASE, REASONS], date(2025, 9, 25),
                ["第三十五条", "说明申请理由", "45件"], None, "张明"),
    "deferral": ("deferral_notice", [*BASE, REASONS, _due(
        date(2025, 12, 19), "art35_reasonable_date", date(2025, 10, 24),
        set_date=date(2025, 12, 19))], date(2025, 10, 15),
        ["第三十五条", "2025年12月19日", "合理期限"], None, "张明"),
    "abandoned_correction": ("abandonment_notice", [
        *BASE, CORRECTION, STOPPED, CorrectionLapsed(application_id=APP, on=date(2025, 10, 24)),
        concluded("other.no_correction", date(2025, 10, 24))], date(2025, 10, 24),
        ["第三十条", "视为放弃", "2025年10月23日"], "standard", "张明"),
    "abandoned_fee": ("abandonment_notice", [
        *BASE, FEE, FeeLapsed(application_id=APP, on=date(2025, 11, 6)),
        concluded("other.no_fee_payment", date(2025, 11, 6))], date(2025, 11, 6),
        ["国办函〔2020〕109号", "83460元", "视为放弃"], "standard", "张明"),
    "disclosed": ("reply_disclosed", [*BASE, concluded("disclosed")], date(2025, 10, 20),
                  ["第三十六条第（二）项", "予以公开", "纸质", "邮寄"], "standard", "张明"),
    "partially_disclosed": ("reply_partially_disclosed", [*BASE, concluded(
        "partially_disclosed", text="发放名单中的个人身份证号码属于个人隐私，不予公开。")],
        date(2025, 10, 20), ["第三十七条", "区分处理", "个人身份证号码"], "first", "张明"),
    "withheld_third_party": ("reply_withheld", [*BASE, concluded("withheld.third_party")],
                             date(2025, 10, 20),
                             ["第十五条", "第三十六条第（三）项", "不予公开", "第三方合法权益"],
                             "first", "张明"),
    "withheld_process": ("reply_withheld", [*BASE, concluded("withheld.process_info")],
                         date(2025, 10, 20), ["第十六条第二款", "过程性信息"], "first", "张明"),
    "not_held": ("reply_unable", [*BASE, concluded("unable.not_held")], date(2025, 10, 20),
                 ["第三十六条第（四）项", "不存在"], "standard", "张明"),
    "needs_creation": ("reply_unable", [*BASE, concluded("unable.needs_creation")],
                       date(2025, 10, 20), ["第三十八条", "加工、分析"], "standard", "张明"),
    "still_unclear": ("reply_unable", [
        *BASE, CORRECTION, STOPPED, CorrectionReceived(application_id=APP, on=date(2025, 10, 9)),
        concluded("unable.still_unclear", date(2025, 11, 3))], date(2025, 11, 3),
        ["第三十条", "仍不明确", "2025年10月9日"], "standard", "张明"),
    "duplicate": ("reply_not_processed", [*BASE, concluded("not_processed.duplicate")],
                  date(2025, 10, 20), ["第三十六条第（六）项", "不予重复处理"], "standard", "张明"),
    "petition": ("reply_not_processed", [*BASE, concluded("not_processed.petition")],
                 date(2025, 10, 20), ["第三十九条第一款", "信访"], "standard", "张明"),
    "excessive": ("reply_not_processed", [*BASE, REASONS, concluded("not_processed.excessive")],
                  date(2025, 10, 20), ["第三十五条", "不予处理", "2025年9月25日"], "standard",
                  "张明"),
    "withdrawn": ("reply_other", [
        *BASE, CaseWithdrawn(application_id=APP, on=date(2025, 10, 10)),
        CaseConcluded(application_id=APP, on=date(2025, 10, 10), outcome="other.other",
                      legal_basis="", reply_text="申请人撤回申请")], date(2025, 10, 10),
        ["撤回", "终止办理"], "standard", "张明"),
}


def flat(text: str) -> str:
    """Text read back from the PDF, with its line breaks (wrapping) taken out."""
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def rendered() -> dict[str, tuple]:
    out = {}
    for name, (kind, events, dated, *_rest) in SCENARIOS.items():
        facts = fold(events)
        letter = compose(kind, facts, AGENCY, dated, TEMPLATES)
        out[name] = (facts, letter, render_pdf(letter))
    return out


@pytest.mark.parametrize("name", SCENARIOS)
def test_each_letter_reads_back_from_its_pdf(name: str, rendered: dict) -> None:
    kind, _events, dated, must, remedy, addressee = SCENARIOS[name]
    facts, letter, pdf = rendered[name]
    text = flat(extract_text(pdf))
    assert letter.kind == kind and letter.addressee == addressee
    assert f"（{CASE}）" in text
    assert f"{addressee}：" in text
    assert "2025年9月22日" in text
    # the signature, seal and date close the letter, never alone on their page
    assert re.search(f"[^—]{{20}}聊城市民政局（印章）{cn(dated)}—\\d—$", text)
    assert flat("联系机构：聊城市民政局办公室；地址：聊城市东昌府区兴华东路71号") in text
    assert "0635-8321090" in text
    for snippet in must:
        assert flat(snippet) in text, f"{name}: {snippet!r} missing"
    if remedy is None:
        assert "行政复议" not in text and "行政诉讼" not in text
    else:
        assert "60日内" in text and "聊城市人民政府申请行政复议" in text
        assert "聊城市东昌府区人民法院提起行政诉讼" in text
        assert all(t in text for t in (FIRST if remedy == "first" else STANDARD))
        assert not any(t in text for t in (STANDARD if remedy == "first" else FIRST))
    if kind == "consultation_letter":  # the third party is not told who asked
        assert "张明" not in text


def test_the_reply_says_when_and_how_the_information_comes(rendered: dict) -> None:
    _facts, letter, _pdf = rendered["disclosed"]
    how = "本机关将纸质形式的上述政府信息随本答复书一并邮寄给您。"
    assert how in letter.paragraphs
    assert letter.title == "聊城市民政局政府信息公开申请答复书"
    assert letter.signature == ["聊城市民政局", "（印章）", "2025年10月20日"]


def test_a_not_held_reply_names_the_responsible_agency_when_known() -> None:
    payload = concluded("unable.not_held").model_dump(mode="json")
    payload["ground"] = None  # an event recorded before the ground was: the agency tells
    payload["responsible_agency"] = "聊城市医疗保障局（电话：0635-0000000）"
    facts = evolve_facts(fold(BASE), "CaseConcluded", payload)
    text = compose("reply_unable", facts, AGENCY, date(2025, 10, 20), TEMPLATES).text()
    assert "负责公开该政府信息的行政机关为聊城市医疗保障局（电话：0635-0000000）。" in text
    assert "不存在" not in text


def test_a_refusal_decided_before_2024_offers_litigation_within_six_months() -> None:
    events = [*_opened(received=date(2023, 11, 1), number="LCMZJ-2023-00007"),
              concluded("withheld.state_secret", date(2023, 12, 20))]
    letter = compose("reply_withheld", fold(events), AGENCY, date(2023, 12, 20), TEMPLATES)
    text = letter.text()
    assert "第十四条" in text and "6个月内" in text and "应当先申请行政复议" not in text
    after = [*events[:-1], concluded("withheld.state_secret", date(2024, 1, 2))]
    assert "应当先申请行政复议" in compose(
        "reply_withheld", fold(after), AGENCY, date(2024, 1, 2), TEMPLATES).text()


def test_which_letters_the_events_call_for() -> None:
    facts = CaseFacts()
    called = []
    events = [*BASE, CORRECTION, STOPPED,
              CorrectionReceived(application_id=APP, on=date(2025, 10, 9)),
              _due(date(2025, 11, 6), "restart_after_correction", None),
              ExtensionApproved(application_id=APP, on=date(2025, 11, 3), working_days=10,
                                approved_by="主任", reason="需要调取档案"),
              _due(date(2025, 11, 20), "extension", date(2025, 11, 6), extension=10),
              FEE, REASONS, concluded("withheld.third_party")]
    for event in events:
        payload = event.model_dump(mode="json")
        facts = evolve_facts(facts, type(event).__name__, payload)
        called += letters_for(type(event).__name__, payload, facts)
    assert called == ["acknowledgement", "correction_notice", "extension_notice", "fee_notice",
                      "reasons_request", "reply_withheld"]
    for outcome, kind in [("other.no_correction", "abandonment_notice"),
                          ("other.no_fee_payment", "abandonment_notice"),
                          ("other.other", "reply_other"), ("unable.not_held", "reply_unable"),
                          ("not_processed.publication", "reply_not_processed"),
                          ("disclosed", "reply_disclosed")]:
        payload = concluded(outcome).model_dump(mode="json")
        after = evolve_facts(facts, "CaseConcluded", payload)
        assert letters_for("CaseConcluded", payload, after) == [kind]


def test_letter_dates_are_business_dates_of_the_facts() -> None:
    facts = fold(BASE)
    ack = BASE[-1].model_dump(mode="json")
    assert letter_date("DueDateSet", ack, facts) == date(2025, 9, 22)
    assert letter_date("CorrectionRequested", CORRECTION.model_dump(mode="json"),
                       facts) == date(2025, 9, 26)
    first = compose("reply_disclosed", fold([*BASE, concluded("disclosed")]), AGENCY,
                    date(2025, 10, 20), TEMPLATES)
    second = compose("reply_disclosed", fold([*BASE, concluded("disclosed")]), AGENCY,
                     date(2025, 10, 21), TEMPLATES)
    assert "2025年10月20日" in first.text() and "2025年10月21日" not in first.text()
    assert "2025年10月21日" in second.text() and first.dated != second.dated
    assert cn(date.today()) not in first.text() or date.today() == date(2025, 10, 20)


def test_a_provisional_due_date_is_stated_as_provisional() -> None:
    events = [*_opened(received=date(2026, 12, 7), number="LCMZJ-2026-00415"),
              _due(date(2027, 1, 5), "reply_period", None, provisional=True)]
    letter = compose("acknowledgement", fold(events), AGENCY, date(2026, 12, 7), TEMPLATES)
    text = flat(extract_text(render_pdf(letter)))
    assert ("即于2027年1月5日前作出答复。上述日期系按《全国年节及纪念日放假办法》规定的法定节假日"
            "暂行计算") in text
    assert "待国务院办公厅公布2027年部分节假日安排后予以确认" in text
    settled = compose("acknowledgement", fold(BASE), AGENCY, date(2025, 9, 22), TEMPLATES)
    assert "暂行计算" not in settled.text()


def test_applicant_text_is_data_never_template_code() -> None:
    hostile = "{{ 7*7 }}<script>alert(1)</script>{% for x in range(3) %}x{% endfor %}"
    events = [*_opened(summary=hostile, name="{{ agency.phone }}"),
              concluded("disclosed", text="{{ legal }}<b>")]
    letter = compose("reply_disclosed", fold(events), AGENCY, date(2025, 10, 20), TEMPLATES)
    assert letter.addressee == "{{ agency.phone }}"
    assert f"“{hostile}”" in letter.paragraphs[0]
    assert "{{ legal }}<b>" in letter.text() and "49" not in letter.text()
    text = extract_text(render_pdf(letter))
    assert flat(hostile) in flat(text) and "{{agency.phone}}：" in flat(text)


def _override(tmp: Path, directory: str, name: str, text: str) -> None:
    (tmp / directory).mkdir(parents=True, exist_ok=True)
    (tmp / directory / name).write_text(text, encoding="utf-8")


WITHHELD = [*BASE, concluded("withheld.process_info")]


def test_an_agency_override_rewords_the_letter_but_not_the_law(tmp_path: Path) -> None:
    _override(tmp_path, "lc-mzj", "reply_withheld.txt.j2",
              '{% set title = "关于政府信息公开申请的答复" %}\n'
              "经认真研究，{{ you }}所申请的信息系内部研究过程中形成的材料。"
              "根据{{ basis }}的规定，不予公开。\n\n{{ remedy }}\n")
    _override(tmp_path, "lc-mzj", "legal.yaml", "remedy: {standard: 不得复议}\n")  # ignored
    source = TemplateSource(tmp_path)
    default = compose("reply_withheld", fold(WITHHELD), AGENCY, date(2025, 10, 20), TEMPLATES)
    custom = compose("reply_withheld", fold(WITHHELD), AGENCY, date(2025, 10, 20), source)
    assert custom.title == "关于政府信息公开申请的答复"
    assert "经认真研究" in custom.paragraphs[0] and "经认真研究" not in default.text()
    remedy = next(p for p in default.paragraphs if p.startswith("如对本答复不服"))
    assert remedy in custom.paragraphs and "不得复议" not in custom.text()
    assert custom.template_version != default.template_version
    assert re.fullmatch(r"[0-9a-f]{12}", custom.template_version)
    # another agency of the city still gets the shipped wording
    other = next(a for a in read_city(DEMO_CITY) if a.agency_id == "dcf-mzj")
    assert "经审查" in compose("reply_withheld", fold(WITHHELD), other, date(2025, 10, 20),
                                source).text()


def test_an_edited_override_takes_effect_on_the_next_letter_and_a_removed_one_falls_back(
        tmp_path: Path) -> None:
    """Template files are read again only when they change, and that is checked every time."""
    wording = ('{% set title = "答复书" %}\n{{ you }}所申请的信息，第{{ n }}稿。'
               "根据{{ basis }}的规定，不予公开。\n\n{{ remedy }}\n")
    source = TemplateSource(tmp_path)
    for n in ("一", "二十"):  # the second edit also changes the file's size
        _override(tmp_path, "lc-mzj", "reply_withheld.txt.j2", wording.replace("{{ n }}", n))
        letter = compose("reply_withheld", fold(WITHHELD), AGENCY, date(2025, 10, 20), source)
        assert f"第{n}稿" in letter.text()
    (tmp_path / "lc-mzj" / "reply_withheld.txt.j2").unlink()
    shipped = compose("reply_withheld", fold(WITHHELD), AGENCY, date(2025, 10, 20), source)
    assert "第二十稿" not in shipped.text() and "经审查" in shipped.text()


def test_an_override_that_drops_the_legal_text_is_refused(tmp_path: Path) -> None:
    _override(tmp_path, "lc-mzj", "reply_withheld.txt.j2",
              '{% set title = "答复书" %}\n'
              "根据{{ basis }}的规定，不予公开。如有异议，请来电咨询。\n")
    with pytest.raises(LetterTemplateError, match="fixed legal text"):
        compose("reply_withheld", fold(WITHHELD), AGENCY, date(2025, 10, 20),
                TemplateSource(tmp_path))


def test_only_the_city_may_replace_the_legal_text(tmp_path: Path) -> None:
    shipped = (Path(pdf_adapter.__file__).parent.parent / "templates" / "legal.yaml")
    legal = shipped.read_text(encoding="utf-8").replace("60日内", "六十日内")
    _override(tmp_path, "_city", "legal.yaml", legal)
    letter = compose("reply_withheld", fold(WITHHELD), AGENCY, date(2025, 10, 20),
                     TemplateSource(tmp_path))
    assert "自收到本答复之日起六十日内向聊城市人民政府申请行政复议" in letter.text()


def test_the_pdf_is_a4_with_its_chinese_font_embedded(rendered: dict) -> None:
    _facts, letter, pdf = rendered["withheld_third_party"]
    reader = PdfReader(io.BytesIO(pdf))
    page = reader.pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
    embedded = []
    for font in page["/Resources"]["/Font"].values():
        for descendant in font.get_object().get("/DescendantFonts", [font]):
            descriptor = descendant.get_object()["/FontDescriptor"].get_object()
            embedded += [k for k in ("/FontFile", "/FontFile2", "/FontFile3") if k in descriptor]
    assert embedded and set(embedded) <= {"/FontFile2", "/FontFile3"}
    assert reader.metadata.title == letter.title
    assert len(pdf) < 200_000  # subset, not the 11 MB font
    assert render_pdf(letter) == pdf  # no clock, no randomness in the bytes


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_an_independent_reader_extracts_the_same_text(rendered: dict) -> None:
    _facts, _letter, pdf = rendered["fee"]
    poppler = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf,
                             capture_output=True, check=True).stdout.decode()
    assert flat(poppler) == flat(extract_text(pdf))


def test_without_a_chinese_font_the_error_names_the_package(monkeypatch) -> None:
    monkeypatch.setattr(cjk_font, "CONFIGURED_FONT", None)  # no GONGKAI_LETTER_FONT
    monkeypatch.setitem(sys.modules, "pylopdf_fonts_zh_cn", None)
    monkeypatch.setattr(cjk_font, "DEBIAN_FONTS", ())
    letter = compose("acknowledgement", fold(BASE), AGENCY, date(2025, 9, 22), TEMPLATES)
    cjk_font._cjk_font.cache_clear()
    try:
        with pytest.raises(CJKFontMissing, match="pylopdf-fonts-zh-cn"):
            render_pdf(letter)
    finally:
        cjk_font._cjk_font.cache_clear()


def test_debian_noto_collection_is_a_fallback(monkeypatch) -> None:
    collection = cjk_font.DEBIAN_FONTS[0]
    if not collection.is_file():
        pytest.skip("fonts-noto-cjk not installed")
    monkeypatch.setattr(cjk_font, "CONFIGURED_FONT", collection)  # GONGKAI_LETTER_FONT
    cjk_font._cjk_font.cache_clear()
    try:
        path, face = cjk_font.cjk_font()
        assert path == collection and face == 2  # JP, KR, SC, TC, HK: the SC face
        letter = compose("acknowledgement", fold(BASE), AGENCY, date(2025, 9, 22), TEMPLATES)
        pdf = render_pdf(letter)
        assert f"（{CASE}）" in flat(extract_text(pdf))
        assert b"NotoSerifCJK" in pdf  # the letter embeds the font the shared lookup found
    finally:
        cjk_font._cjk_font.cache_clear()


def test_a_letter_knows_the_case_as_of_its_event_not_the_later_events_of_its_batch():
    """notify receives a case's events in batches; the acknowledgement composed for the first
    due date must not show the correction that arrived in the same batch."""
    from services.notify.service_layer.handlers import _facts_by_event

    events = [*BASE, CORRECTION, STOPPED]
    history = [(str(uuid.uuid4()), e) for e in events]
    as_of = _facts_by_event(history)
    due_event = history[len(BASE) - 1][0]
    assert as_of[due_event] == fold(BASE)
    assert as_of[due_event].due_on == date(2025, 10, 24)
    assert as_of[history[-1][0]] == fold(events)
    assert fold(events).due_on is None
