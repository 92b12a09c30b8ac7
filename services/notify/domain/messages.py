"""What the applicant is told by SMS, composed from facts only (no clock, no I/O).

Messages name the agency and the case number and never carry the applicant's ID number.
"""

from __future__ import annotations

from datetime import date

from shared.contracts.cases import DueDateSet


def chinese_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def acknowledgement_sms(agency_name: str, case_number: str, received_on: date,
                        due: DueDateSet, today: date | None = None) -> str:
    """The acknowledgement. `today` is the day it is composed: a due date already passed then
    (an application registered late) is stated as passed, never promised."""
    text = (f"【{agency_name}】您的政府信息公开申请已于{chinese_date(received_on)}收到，"
            f"受理编号{case_number}。")
    if today is not None and due.due_on < today:
        return text + (f"依法应于{chinese_date(due.due_on)}前答复，该期限已届满，"
                       "我机关将尽快答复。")
    text += f"我机关将于{chinese_date(due.due_on)}前依法答复"
    if due.basis.provisional:
        text += "（该日期按法定节假日暂行计算，以国务院公布的当年节假日安排为准）"
    return text + "。"


def reply_sms(agency_name: str, case_number: str, dated: date) -> str:
    return (f"【{agency_name}】您的政府信息公开申请（受理编号{case_number}）已于"
            f"{chinese_date(dated)}作出答复，请注意查收答复书。")
