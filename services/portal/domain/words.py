"""What the console and the public site say about cases, in Chinese: statuses, the steps of a
case's history, how a due date was computed, and the labels of the staff actions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from shared.clock import SHANGHAI
from shared.contracts.outcomes import GROUPS
from shared.contracts.outcomes import OUTCOMES as DECLARED
from shared.contracts.report_format import OUTCOMES
from shared.report_layout import CHECK_RULES, check_sentence

STATUS = {"awaiting_receipt": "待确认收到", "open": "办理中", "awaiting_correction": "待补正",
          "concluded": "已办结"}
ROLES = {"registrar": "登记员", "caseworker": "承办人", "approver": "公开工作机构负责人",
         "auditor": "审计（只读）", "city_admin": "市级管理员"}
QUEUE_VIEWS = {"open": "待办", "due_soon": "即将到期", "overdue": "已逾期", "paused": "已中止"}

# Outcome key → the report row's words without its numbering (三(三)1. …).
OUTCOME_WORDS = {k: v.split(")", 1)[-1].lstrip("0123456789.") for k, v in OUTCOMES.items()}
OUTCOME_GROUPS = {key: group.label for key, group in GROUPS.items()}
# What staff may choose in a decision: every outcome but those only the sweep records.
STAFF_OUTCOMES = {k: v for k, v in OUTCOME_WORDS.items() if not DECLARED[k].by_lapse_only}

EVENTS = {
    "CaseOpened": "登记申请", "CaseReceived": "确认收到申请", "DueDateSet": "答复期限变更",
    "CorrectionRequested": "发出补正告知", "CorrectionReceived": "收到补正材料",
    "CorrectionLapsed": "补正期限届满", "ExtensionApproved": "批准延长答复期限",
    "ConsultationStarted": "征求意见", "ConsultationEnded": "征求意见结束",
    "FeeNoticeIssued": "发出收费通知", "FeePaid": "收到信息处理费", "FeeLapsed": "缴费期限届满",
    "ReasonsRequested": "要求说明理由", "CaseWithdrawn": "申请人撤回申请",
    "CaseConcluded": "作出答复（办结）", "DeadlineBreached": "超过答复期限",
    "DeadlineBreachWithdrawn": "撤销超期记录（后录入的事实表明未超期）",
    "ReviewFiled": "登记行政复议或诉讼", "ReviewDecided": "复议或诉讼结果",
}

ACTIONS = {
    "receipt": "确认收到申请", "correction-notice": "发出补正告知",
    "correction": "登记收到补正材料", "extension": "批准延长答复期限",
    "consultations": "征求第三方或其他机关意见", "consultation-answer": "登记意见答复",
    "fee-notice": "发出收费通知", "fee-payment": "登记已缴费",
    "reasons-request": "要求说明理由（第三十五条）",
    "reasonable-due-date": "确定延迟答复的合理期限",
    "withdrawal": "登记申请人撤回", "decision": "作出答复",
    "reviews": "登记行政复议或行政诉讼", "review-result": "登记复议或诉讼结果",
}

LETTERS = {
    "acknowledgement": "回执", "correction_notice": "补正告知书",
    "extension_notice": "延长答复期限告知书", "consultation_letter": "征求意见函",
    "fee_notice": "收费通知书", "reasons_request": "说明理由告知书",
    "deferral_notice": "延迟答复告知书", "abandonment_notice": "视为放弃申请告知书",
    "reply_disclosed": "答复书（予以公开）", "reply_partially_disclosed": "答复书（部分公开）",
    "reply_withheld": "答复书（不予公开）", "reply_unable": "答复书（无法提供）",
    "reply_not_processed": "答复书（不予处理）", "reply_other": "答复书（其他处理）",
}


def message_words(template: str) -> str:
    """A message's template key (acknowledgement_sms, resend:reply_disclosed …) in words."""
    resend = template.startswith("resend:")
    key = template.removeprefix("resend:").removeprefix("email:").removesuffix("_sms")
    text = {"reply": "答复短信", "acknowledgement": "受理短信"}.get(key) if template.endswith(
        "_sms") else LETTERS.get(key, "通知")
    return f"重新发送：{text}" if resend else text


RULES = {
    "reply_period": "自收到申请之日起计算答复期限",
    "correction_stops_clock": "发出补正告知，答复期限中止计算",
    "restart_after_correction": "收到补正材料，答复期限重新计算",
    "extension": "延长答复期限",
    "pause_started": "征求意见或等待缴费，期限中止计算",
    "pause_ended": "中止情形消除，期限恢复计算",
    "art35_reasonable_date": "依第三十五条确定合理的答复期限",
    "calendar_reloaded": "节假日安排变更，重新计算",
}


def cn_date(value: str | date | None) -> str:
    if not value:
        return ""
    d = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{d.year}年{d.month}月{d.day}日"


# The check relations' words have one owner, shared/report_layout.py (reporting's exports
# print the same): CHECKS by rule, and one check as the clerk reads it.
CHECKS = CHECK_RULES


def check_words(check: dict[str, Any]) -> str:
    """One balance check of the annual report (勾稽关系), as the clerk reads it."""
    return check_sentence(check)


def local_time(instant: str | None) -> str:
    """An instant (ISO, UTC) as Beijing time, the way people read it: 2026-12-14 09:30."""
    if not instant:
        return ""
    moment = datetime.fromisoformat(instant)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def due_in_words(case: dict[str, Any]) -> str:
    """How the current due date was computed, as a clerk would check it by hand."""
    basis = case.get("due_basis")
    if case.get("status") == "awaiting_correction":
        return (f"等待申请人补正，答复期限中止计算；补正期限至{cn_date(case.get('correct_by'))}。"
                "收到补正材料之日起重新计算20个工作日。")
    if not basis or not case.get("due_on"):
        return "尚未确认收到申请，答复期限尚未起算。"
    if basis.get("set_date"):
        return (f"依《政府信息公开条例》第三十五条确定合理期限，答复期限为"
                f"{cn_date(basis['set_date'])}。")
    restarted = case.get("received_on") != basis["counted_from"]
    start = "收到补正材料之日" if restarted else "收到申请之日"
    parts = [f"自{cn_date(basis['counted_from'])}（{start}）起，不含当日，"
             f"计算{basis['working_days']}个工作日"]
    if basis.get("extension_days"):
        parts.append(f"经批准延长{basis['extension_days']}个工作日")
    if basis.get("paused_working_days"):
        parts.append(f"征求意见、等待缴费等中止的{basis['paused_working_days']}个工作日不计算在内")
    text = "，".join(parts) + f"，答复期限为{cn_date(case['due_on'])}。"
    if basis.get("provisional"):
        text += "该年度国务院节假日安排尚未发布，暂按法定节假日和周末推算，发布后将自动重新计算。"
    return text


def event_words(entry: dict[str, Any]) -> str:
    """One line of the case history: what happened, with the facts that matter."""
    f, kind = entry.get("facts") or {}, entry.get("type", "")
    label = EVENTS.get(kind, kind)
    detail = ""
    if kind == "CaseReceived":
        detail = f"收到申请之日：{cn_date(f.get('received_on'))}"
    elif kind == "DueDateSet":
        detail = (f"答复期限：{cn_date(f.get('due_on'))}" if f.get("due_on")
                  else "答复期限中止计算")
        if f.get("previous_due_on"):
            detail += f"（原为{cn_date(f['previous_due_on'])}）"
        rule = (f.get("basis") or {}).get("rule")
        if rule in RULES:
            detail += f"；{RULES[rule]}"
    elif kind == "CorrectionRequested":
        items = "；".join(f.get("items") or [])
        detail = f"补正事项：{items}；补正期限至{cn_date(f.get('correct_by'))}"
    elif kind == "ExtensionApproved":
        detail = f"延长{f.get('working_days')}个工作日；理由：{f.get('reason', '')}"
    elif kind == "ConsultationStarted":
        detail = f"征求{f.get('party', '')}的意见，答复期限至{cn_date(f.get('answer_by'))}"
    elif kind == "ConsultationEnded":
        how = "已答复" if f.get("how") == "answered" else "逾期未答复"
        detail = f"{f.get('party', '')}{how}"
    elif kind == "FeeNoticeIssued":
        detail = f"金额{f.get('amount_yuan')}元，缴费期限至{cn_date(f.get('pay_by'))}"
    elif kind == "CaseConcluded":
        detail = OUTCOME_WORDS.get(f.get("outcome", ""), f.get("outcome", ""))
    elif kind == "DeadlineBreached":
        detail = f"答复期限{cn_date(f.get('due_on'))}已过"
    elif kind == "DeadlineBreachWithdrawn":
        why = {"due_date_moved": "答复期限已顺延", "clock_stopped": "此前已中止计算期限",
               "replied_in_time": "答复日期在期限之内"}.get(f.get("reason", ""), "")
        detail = f"原记录的答复期限{cn_date(f.get('due_on'))}不构成超期" + (
            f"（{why}）" if why else "")
    elif kind == "ReviewFiled":
        detail = f"{f.get('authority', '')}（编号{f.get('review_id', '')}）"
    on = f.get("on")
    if on and kind not in ("CaseReceived",):
        detail = f"日期：{cn_date(on)}" + (f"；{detail}" if detail else "")
    return f"{label}" + (f" — {detail}" if detail else "")


def days_class(days: int | None) -> str:
    """The colour of 'working days left': the nearer the deadline, the warmer."""
    if days is None:
        return "days-paused"
    if days < 0:
        return "days-overdue"
    if days <= 3:
        return "days-soon"
    if days <= 7:
        return "days-near"
    return "days-ok"
