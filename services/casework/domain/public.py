"""What an applicant may see of their case's history: the steps they were (or will be) told
of by letter, with their dates; no names, no staff, no internal notes."""

from __future__ import annotations

from typing import Any

_STEPS = {
    "CaseReceived": "确认收到申请",
    "CorrectionRequested": "发出补正告知书",
    "CorrectionReceived": "收到补正材料",
    "ExtensionApproved": "延长答复期限并告知",
    "ConsultationStarted": "征求第三方或其他机关意见（办理期限中止）",
    "ConsultationEnded": "征求意见结束（办理期限恢复计算）",
    "FeeNoticeIssued": "发出收费通知",
    "FeePaid": "收到信息处理费",
    "ReasonsRequested": "要求说明理由",
    "CaseWithdrawn": "申请人撤回申请",
    "CaseConcluded": "作出答复，办理完毕",
}


def public_steps(history: list[Any]) -> list[dict[str, str]]:
    """`history`: the case's envelopes in order. Each step: its business date and label."""
    steps = []
    for envelope in history:
        label = _STEPS.get(envelope.type)
        if label is None:
            continue
        on = envelope.payload.get("on") or envelope.payload.get("received_on")
        steps.append({"on": str(on or envelope.occurred_at.date()), "step": label})
    return steps
