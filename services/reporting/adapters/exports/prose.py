"""Default text of the report draft's prose sections, already carrying the year's figures.

Places only the agency can write are marked 【请填写：…】 so they are easy to find and hard to
publish by mistake.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from shared.contracts.outcomes import GROUPS, leaves

CONDITION = "《中华人民共和国政府信息公开条例》"
FORMAT_NOTICE = ("《国务院办公厅政府信息与政务公开办公室关于印发〈中华人民共和国政府信息公开工作"
                 "年度报告格式〉的通知》（国办公开办函〔2021〕30号）")
FEE_NOTICE = ("《国务院办公厅关于印发〈政府信息公开信息处理费管理办法〉的通知》"
              "（国办函〔2020〕109号）")

# How applications came, as the published reports say it (聊城 2022: "信函形式申请2件、网络形式
# 申请12件"); signed-for post and ordinary letters are both 信函.
CHANNEL_WORDS = (("in_person", ("in_person",), "当面申请"),
                 ("letter", ("post_signed", "ordinary_letter"), "信函形式申请"),
                 ("online", ("online",), "网络形式申请"), ("fax", ("fax",), "传真形式申请"),
                 ("email", ("email",), "电子邮件形式申请"))


def preamble(doc: dict[str, Any]) -> list[str]:
    year = doc["year"]
    return [
        f"本报告根据{CONDITION}（以下简称《条例》）和{FORMAT_NOTICE}要求编制。全文包括总体情况、"
        "主动公开政府信息情况、收到和处理政府信息公开申请情况、政府信息公开行政复议和行政诉讼情况、"
        f"存在的主要问题及改进情况、其他需要报告的事项。本报告中所列数据统计期限自{year}年1月1日起"
        f"至{year}年12月31日止。【请填写：本报告电子版的查阅和下载方式、联系方式】"
    ]


def sections(doc: dict[str, Any], agency_name: str) -> dict[str, list[str]]:
    """Paragraphs of each section by key "一".."六"; 二、三、四 are tables and have none."""
    return {"一": _overview(doc, agency_name), "二": [], "三": [], "四": [],
            "五": _problems(), "六": _other(doc)}


def _we(doc: dict[str, Any]) -> str:
    # The city roll-up speaks for every agency it sums, not for one 机关.
    return "全市" if doc.get("agency") == "city" else "本机关"


def _overview(doc: dict[str, Any], agency_name: str) -> list[str]:
    year = doc["year"]
    return [
        f"{year}年，{agency_name}认真贯彻落实{CONDITION}，坚持“以公开为常态、不公开为例外”，"
        "【请填写：本年度政府信息公开工作的总体部署和主要成效】。",
        "（一）主动公开。【请填写：主动公开政府信息的数量、主要栏目和渠道，政策解读和回应社会关切情况】。",
        "（二）依申请公开。" + _applications(doc),
        "（三）政府信息管理。【请填写：公开属性源头认定、发布审核和保密审查、公开目录和指南更新等情况】。",
        "（四）政府信息公开平台建设。【请填写：政府网站、政务新媒体等公开平台的建设和管理情况】。",
        "（五）监督保障。【请填写：组织领导、制度建设、教育培训、考核监督等情况】。",
    ]


def _applications(doc: dict[str, Any]) -> str:
    t3, year = doc["table3"], doc["year"]
    n = {row: int(t3[row]["total"]) for row in t3}
    text = (f"{year}年，{_we(doc)}共收到政府信息公开申请{n['new']}件{_channels(doc)}，"
            f"上年结转{n['carried_over']}件，办结{n['total']}件，"
            f"结转下年度继续办理{n['carried_forward']}件。")
    text += _timeliness(doc)
    results = []
    for group in GROUPS.values():
        count = sum(n[key] for key in leaves(group))
        if count:
            results.append(f"{group.label}{count}件")
    if results:
        text += f"办结的申请中，{'，'.join(results)}。"
    reviews = int(doc["table4"]["reconsideration"]["total"])
    suits = sum(int(doc["table4"][g]["total"])
                for g in ("litigation_direct", "litigation_after_reconsideration"))
    if reviews or suits:
        return text + f"因政府信息公开工作被申请行政复议{reviews}件，被提起行政诉讼{suits}件。"
    return text + "本年度未发生因政府信息公开工作被申请行政复议、提起行政诉讼的情况。"


def _channels(doc: dict[str, Any]) -> str:
    by_channel = (doc.get("handling") or {}).get("received_by_channel") or {}
    parts = [f"{words}{n}件" for _, keys, words in CHANNEL_WORDS
             if (n := sum(int(by_channel.get(k, 0)) for k in keys))]
    return f"（其中{'、'.join(parts)}）" if parts else ""


def _timeliness(doc: dict[str, Any]) -> str:
    handled = doc.get("handling")
    if not handled or not handled.get("concluded"):
        return ""
    text = f"答复时限方面，按时答复{handled['answered_on_time']}件"
    if handled["answered_late"]:
        text += f"，逾期答复{handled['answered_late']}件"
    if handled["extended"]:
        text += f"，经批准延长答复期限{handled['extended']}件"
    median = handled.get("median_working_days")
    if median is not None:
        text += f"；自收到申请至办结，所用时间的中位数为{median}个工作日"
    return text + "。"


def _problems() -> list[str]:
    return [
        "（一）存在的主要问题。【请填写：本年度政府信息公开工作存在的主要问题】。",
        "（二）改进情况。【请填写：针对上述问题的改进措施，以及上一年度报告所列问题的整改情况】。",
    ]


def _other(doc: dict[str, Any]) -> list[str]:
    year, fees = doc["year"], Decimal(str(doc.get("fees_collected_yuan", "0")))
    collected = (f"共收取政府信息公开信息处理费{fees:.2f}元" if fees
                 else "未收取政府信息公开信息处理费")
    return [
        f"（一）收取信息处理费情况。{year}年，{_we(doc)}按照{FEE_NOTICE}规定，{collected}。",
        "（二）人大代表建议和政协提案办理结果公开情况。【请填写：承办建议提案的件数及办理结果公开情况】。",
        "（三）政务公开工作创新情况。【请填写：本年度政务公开工作的创新做法，如无可删除本项】。",
        f"（四）落实上级年度政务公开工作要点情况。【请填写：落实{year}年度政务公开工作要点的情况】。",
    ]
