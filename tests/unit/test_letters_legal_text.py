"""The legal text of letters (legal.yaml) as a city edits it and as templates read it: parsed
once per content, rendered per letter with that letter's agency and applicant, and reached by
override templates only through Jinja's immutable sandbox."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from jinja2.exceptions import SecurityError

from gongkai.city import DEMO_CITY, read_city
from services.notify.domain.letters import SHIPPED_TEMPLATES, TemplateSource, compose
from tests.unit.test_letters import AGENCY, BASE, FEE, WITHHELD, _override, fold

SHIPPED_LEGAL = (SHIPPED_TEMPLATES / "legal.yaml").read_text(encoding="utf-8")
OTHER = next(a for a in read_city(DEMO_CITY) if a.agency_id == "dcf-mzj")


def test_an_edited_city_legal_text_takes_effect_on_the_next_letter(tmp_path: Path) -> None:
    source = TemplateSource(tmp_path)
    versions = set()
    for organ in ("行政复议机关甲", "行政复议机关乙乙"):  # the second edit also changes the size
        edited = SHIPPED_LEGAL.replace("{{ agency.reconsideration_organ.name }}申请行政复议；或者",
                                       f"{organ}申请行政复议；或者")
        _override(tmp_path, "_city", "legal.yaml", edited)
        reply = compose("reply_disclosed", fold(BASE), AGENCY, date(2025, 10, 20), source)
        assert f"向{organ}申请行政复议；或者" in reply.text()
        versions.add(reply.template_version)
    assert len(versions) == 2


def test_each_agency_and_applicant_gets_its_own_legal_text_one_letter_after_another() -> None:
    templates = TemplateSource()
    facts = fold([*BASE, FEE])
    for _ in range(2):  # the second round is composed from what the first one kept
        ours = compose("fee_notice", facts, AGENCY, date(2025, 10, 9), templates)
        theirs = compose("fee_notice", facts, OTHER, date(2025, 10, 9), templates)
        company = compose("fee_notice", replace(facts, applicant_type="legal_person"), AGENCY,
                          date(2025, 10, 9), templates)
        assert ours.paragraphs[-1] != theirs.paragraphs[-1]  # the contact line
        assert f"联系电话：{AGENCY.phone}。" in ours.paragraphs[-1]
        assert f"联系电话：{OTHER.phone}。" in theirs.paragraphs[-1]
        assert f"向{AGENCY.reconsideration_organ.name}申请行政复议" in ours.text()
        assert f"向{OTHER.reconsideration_organ.name}申请行政复议" in theirs.text()
        assert "请您自收到本通知之次日起20个工作日内" in ours.text()
        assert "请贵单位自收到本通知之次日起20个工作日内" in company.text()


def test_a_template_that_lists_the_legal_text_sees_all_of_it(tmp_path: Path) -> None:
    _override(tmp_path, "lc-mzj", "fee_notice.txt.j2",
              '{% set title = "收费通知" %}\n'
              "收费标准：{% for key, text in legal.fee_schedule.items() %}{{ key }}={{ text }}；"
              "{% endfor %}共{{ legal.remedy | length }}种救济"
              "\n\n根据{{ basis }}，{{ legal.fee_payment }}\n\n{{ remedy }}\n")
    letter = compose("fee_notice", fold([*BASE, FEE]), AGENCY, date(2025, 10, 9),
                     TemplateSource(tmp_path))
    assert letter.paragraphs[0].startswith("收费标准：per_item=按件计收：")
    assert "per_volume=按量计收：30页以下" in letter.paragraphs[0]
    assert letter.paragraphs[0].endswith("共2种救济")


@pytest.mark.parametrize("reach", ["legal.basis.clear()", "legal._ctx", "agency.__class__",
                                   "facts.__dict__", "legal.update(contact='x')"])
def test_an_override_template_cannot_change_or_look_behind_the_letter(
        tmp_path: Path, reach: str) -> None:
    _override(tmp_path, "lc-mzj", "reply_withheld.txt.j2",
              '{% set title = "答复书" %}\n{{ ' + reach + " }}根据{{ basis }}的规定，不予公开。"
              "\n\n{{ remedy }}\n")
    source = TemplateSource(tmp_path)
    for _ in range(2):  # refused the second time too, when the sandbox has seen the attribute
        with pytest.raises(SecurityError):
            compose("reply_withheld", fold(WITHHELD), AGENCY, date(2025, 10, 20), source)
