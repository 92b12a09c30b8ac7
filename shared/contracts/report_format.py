"""The annual report tables of 国办公开办函〔2021〕30号 as docs/report-format.md fixes them: keys
and official labels, a contract between reporting and everything that reads or imports reports."""

from __future__ import annotations

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
