"""The annual report tables of 国办公开办函〔2021〕30号 as docs/report-format.md fixes them: keys
and official labels, a contract between reporting and everything that reads or imports reports."""

from __future__ import annotations

from shared.contracts.outcomes import DECLARED

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

# Outcome key → the official label of its leaf row of table 三 (declared in
# shared/contracts/outcomes.py, one declaration per outcome).
OUTCOMES: dict[str, str] = {o.key: o.row for o in DECLARED}
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

# The official labels of tables 四 and 二 (what the exports and the pages print).
TABLE4_GROUP_LABELS = {
    "reconsideration": "行政复议",
    "litigation_direct": "未经复议直接起诉",
    "litigation_after_reconsideration": "复议后起诉",
}
TABLE4_COLUMN_LABELS = {
    "upheld": "结果维持", "corrected": "结果纠正", "other": "其他结果",
    "pending": "尚未审结", "total": "总计",
}

# Table 二: (article heading, figures shown, items under it), in the order of the official form.
TABLE2_ARTICLES = (
    ("第二十条第(一)项", ("issued", "repealed", "in_force"), ("rules", "normative_documents")),
    ("第二十条第(五)项", ("decisions",), ("licensing",)),
    ("第二十条第(六)项", ("decisions",), ("penalty", "coercion")),
    ("第二十条第(八)项", ("amount_10k_yuan",), ("fees",)),
)
TABLE2_ITEMS = {
    "rules": "规章", "normative_documents": "行政规范性文件", "licensing": "行政许可",
    "penalty": "行政处罚", "coercion": "行政强制", "fees": "行政事业性收费",
}
TABLE2_FIGURES = {
    "issued": "本年制发件数", "repealed": "本年废止件数", "in_force": "现行有效件数",
    "decisions": "本年处理决定数量", "amount_10k_yuan": "本年收费金额（单位：万元）",
}
