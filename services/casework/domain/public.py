"""What an applicant may see of their case's history: the steps they were (or will be) told
of by letter, with their dates; no names, no staff, no internal notes."""

from __future__ import annotations

from typing import Any

from shared.contracts.cases import expanded

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


def recorded_facts(history: list[Any]) -> list[tuple[Any, str, dict[str, Any]]]:
    """`history`: the case's envelopes in order. Each fact they record, as (envelope, type,
    payload): an opening received at once is read as the facts it joins (`expanded`: opened,
    received, due), so the history says what happened in the same words either way."""
    facts = []
    for envelope in history:
        parts = expanded(envelope.body()) if envelope.type == "CaseOpened" else ()
        if len(parts) < 2:
            facts.append((envelope, envelope.type, envelope.payload))
            continue
        facts += [(envelope, part.__event_type__, part.model_dump(mode="json"))  # type: ignore[attr-defined]
                  for part in parts]
    return facts


def public_steps(history: list[Any]) -> list[dict[str, str]]:
    """`history`: the case's envelopes in order. Each step: its business date and label."""
    steps = []
    for envelope, kind, payload in recorded_facts(history):
        label = _STEPS.get(kind)
        if label is None:
            continue
        on = payload.get("on") or payload.get("received_on")
        steps.append({"on": str(on or envelope.occurred_at.date()), "step": label})
    return steps
