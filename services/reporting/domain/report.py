"""The annual report document of REPORT_FORMAT.md and the relations it must satisfy (DOMAIN §8)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

FORMAT = "gov-info-annual-report/2021"

APPLICANT_COLUMNS: dict[str, str] = {
    "natural_person": "自然人",
    "commercial_enterprise": "商业企业",
    "research_institution": "科研机构",
    "public_interest_org": "社会公益组织",
    "legal_service_org": "法律服务机构",
    "other_org": "其他",
}
COLUMNS: dict[str, str] = {**APPLICANT_COLUMNS, "total": "总计"}

OUTCOMES: dict[str, str] = {
    "disclosed": "三(一)予以公开",
    "partially_disclosed": "三(二)部分公开（区分处理的，只计这一情形，不计其他情形）",
    "withheld.state_secret": "三(三)1.属于国家秘密",
    "withheld.law_prohibited": "三(三)2.其他法律行政法规禁止公开",
    "withheld.security_stability": '三(三)3.危及"三安全一稳定"',
    "withheld.third_party": "三(三)4.保护第三方合法权益",
    "withheld.internal_affairs": "三(三)5.属于三类内部事务信息",
    "withheld.process_info": "三(三)6.属于四类过程性信息",
    "withheld.enforcement_file": "三(三)7.属于行政执法案卷",
    "withheld.admin_query": "三(三)8.属于行政查询事项",
    "unable.not_held": "三(四)1.本机关不掌握相关政府信息",
    "unable.needs_creation": "三(四)2.没有现成信息需要另行制作",
    "unable.still_unclear": "三(四)3.补正后申请内容仍不明确",
    "not_processed.petition": "三(五)1.信访举报投诉类申请",
    "not_processed.duplicate": "三(五)2.重复申请",
    "not_processed.publication": "三(五)3.要求提供公开出版物",
    "not_processed.excessive": "三(五)4.无正当理由大量反复申请",
    "not_processed.confirm_or_reissue": "三(五)5.要求行政机关确认或重新出具已获取信息",
    "other.no_correction": "三(六)1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",  # noqa: E501
    "other.no_fee_payment": "三(六)2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",  # noqa: E501
    "other.other": "三(六)3.其他",
}
ROWS: dict[str, str] = {
    "new": "一、本年新收政府信息公开申请数量",
    "carried_over": "二、上年结转政府信息公开申请数量",
    **OUTCOMES,
    "total": "三(七)总计",
    "carried_forward": "四、结转下年度继续办理",
}

TABLE4_GROUPS = ("reconsideration", "litigation_direct", "litigation_after_reconsideration")
TABLE4_COLUMNS = ("upheld", "corrected", "other", "pending", "total")
TABLE2 = {
    "rules": ("issued", "repealed", "in_force"),
    "normative_documents": ("issued", "repealed", "in_force"),
    "licensing": ("decisions",),
    "penalty": ("decisions",),
    "coercion": ("decisions",),
}

Cells = Mapping[str, Mapping[str, int]]  # row key -> applicant column -> count


def table3(cells: Cells) -> dict[str, dict[str, int]]:
    """Every row and column present; the 总计 row and column are sums, never stored counts."""
    table: dict[str, dict[str, int]] = {}
    for row in ROWS:
        if row == "total":
            continue
        values = {c: int(cells.get(row, {}).get(c, 0)) for c in APPLICANT_COLUMNS}
        table[row] = {**values, "total": sum(values.values())}
    total = {c: sum(table[o][c] for o in OUTCOMES) for c in COLUMNS}
    return {r: (total if r == "total" else table[r]) for r in ROWS}


def checks(t3: Mapping[str, Mapping[str, int]], previous_carried_forward: Mapping[str, int] | None,
           ) -> list[dict[str, Any]]:
    """Every relation of DOMAIN §8 with its result (勾稽关系)."""
    results: list[dict[str, Any]] = []
    for c in COLUMNS:
        new, over = t3["new"][c], t3["carried_over"][c]
        done, forward = t3["total"][c], t3["carried_forward"][c]
        results.append({"rule": "balance", "column": c, "ok": new + over == done + forward,
                        "detail": f"{new} + {over} = {done} + {forward}"})
        leaves = sum(t3[o][c] for o in OUTCOMES)
        results.append({"rule": "total_is_sum_of_outcomes", "column": c, "ok": leaves == done,
                        "detail": f"sum of 21 outcome rows {leaves} = {done}"})
    for r in ROWS:
        parts = sum(t3[r][c] for c in APPLICANT_COLUMNS)
        results.append({"rule": "total_column_is_sum", "row": r, "ok": parts == t3[r]["total"],
                        "detail": f"{parts} = {t3[r]['total']}"})
    if previous_carried_forward is not None:
        for c in COLUMNS:
            before, now = previous_carried_forward.get(c, 0), t3["carried_over"][c]
            results.append({"rule": "carried_over_equals_previous_carried_forward",
                            "column": c, "ok": before == now, "detail": f"{now} = {before}"})
    return results


def table4(cells: Cells) -> dict[str, dict[str, int]]:
    groups = {}
    for group in TABLE4_GROUPS:
        values = {c: int(cells.get(group, {}).get(c, 0)) for c in TABLE4_COLUMNS if c != "total"}
        groups[group] = {**values, "total": sum(values.values())}
    return groups


def table2(entries: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The agency's entered figures; for the city, the sum of its agencies' entries."""
    summed: dict[str, Any] = {k: dict.fromkeys(v, 0) for k, v in TABLE2.items()}
    fees = Decimal("0")
    for entry in entries:
        for key, figures in TABLE2.items():
            for figure in figures:
                summed[key][figure] += int(entry.get(key, {}).get(figure, 0))
        fees += Decimal(str(entry.get("fees", {}).get("amount_10k_yuan", "0")))
    summed["fees"] = {"amount_10k_yuan": str(fees.normalize()) if fees else "0"}
    return summed


def document(
    *,
    year: int,
    agency: str,
    agencies: list[str],
    cells: Cells,
    previous_carried_forward: Mapping[str, int] | None,
    generated_at: datetime,
    as_of_event: int,
    review_cells: Cells | None = None,
    table2_entries: list[Mapping[str, Any]] | None = None,
    fees_collected_yuan: Decimal = Decimal("0"),
) -> dict[str, Any]:
    t3 = table3(cells)
    return {
        "format": FORMAT,
        "year": year,
        "agency": agency,
        "agencies": agencies,
        "generated_at": generated_at.isoformat(),
        "as_of_event": as_of_event,
        "table3": t3,
        "table4": table4(review_cells or {}),
        "table2": table2(table2_entries or []),
        "fees_collected_yuan": f"{Decimal(fees_collected_yuan):.2f}",
        "checks": checks(t3, previous_carried_forward),
    }
