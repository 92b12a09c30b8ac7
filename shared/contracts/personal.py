"""Which service may keep which personal field of an event: the data inventory of
docs/privacy.md, as the code keeps to it.

An event crosses a topic whole, but a consumer stores only what its job needs: its inbox (the
copy a replay rebuilds from) and its dead letters keep an event without the fields listed here
for which the consuming service is not named. Fields not listed carry nothing personal (dates,
outcomes, article numbers, applicant types) and every consumer keeps them.

Free text written by staff or applicants (notes, reasons, the description of the information
asked for) is listed too: it is where a name or an ID number ends up when someone types one.
"""

from __future__ import annotations

import json
from typing import Any

from shared.contracts import applications, cases  # noqa: F401 - registers the event types
from shared.events import Envelope, required_fields

CASEWORK, NOTIFY = "casework", "notify"

# event type → field → the consuming services that keep it
KEPT_BY: dict[str, dict[str, frozenset[str]]] = {
    # Only casework consumes the applications topic. The applicant in the event is its type,
    # name, mobile and e-mail (notify writes to them); the identity stays in intake.
    "ApplicationSubmitted": {
        "applicant_keys": frozenset({CASEWORK}),  # the per-applicant fee count
        "access_code_hash": frozenset({CASEWORK}),  # the public status look-up
    },
    "CaseOpened": {
        "applicant_name": frozenset({NOTIFY}),  # letters are addressed to the applicant
        "mobile": frozenset({NOTIFY}),
        "email": frozenset({NOTIFY}),
        "request_summary": frozenset({NOTIFY}),  # the reply quotes what was asked for
        "applicant_keys": frozenset(),
        "access_code_hash": frozenset(),
        "applicant_key": frozenset(),  # version 1's unsalted hash of the number
    },
    "CorrectionRequested": {"items": frozenset({NOTIFY})},
    "CorrectionReceived": {"late_reason": frozenset()},
    "ExtensionApproved": {"reason": frozenset({NOTIFY})},
    "ConsultationStarted": {"party": frozenset({NOTIFY})},  # the consulted third party
    "ConsultationEnded": {"party": frozenset({NOTIFY}), "answer": frozenset()},
    "ReasonsRequested": {"note": frozenset({NOTIFY})},
    "CaseWithdrawn": {"note": frozenset()},
    "CaseConcluded": {"reply_text": frozenset({NOTIFY}),
                      "public_source": frozenset({NOTIFY}),  # where published: staff text
                      "form_reason": frozenset({NOTIFY})},  # why another form: staff text
}


def kept_by(service: str, envelope: Envelope) -> Envelope:
    """The envelope as `service` may store it."""
    fields = KEPT_BY.get(envelope.type)
    if not fields:
        return envelope
    drop = [f for f, holders in fields.items() if service not in holders and f in envelope.payload]
    if not drop:
        return envelope
    # A field the model requires stays, emptied, so a replay still reads the stored event.
    required = required_fields(envelope.type)
    payload: dict[str, Any] = {k: v for k, v in envelope.payload.items() if k not in drop}
    payload.update({f: type(envelope.payload[f])() for f in drop if f in required})
    return envelope.model_copy(update={"payload": payload})


def _forgotten(service: str) -> dict[str, tuple[list[str], dict[str, Any]]]:
    """Per event type: the fields `service` does not keep, and of those the ones a replay
    needs present, with their empty value."""
    out: dict[str, tuple[list[str], dict[str, Any]]] = {}
    for kind, fields in KEPT_BY.items():
        drop = sorted(f for f, holders in fields.items() if service not in holders)
        if not drop:
            continue
        required = required_fields(kind)
        out[kind] = (drop, {f: ([] if f == "items" else "") for f in drop if f in required})
    return out


def scrub_statements(service: str) -> list[str]:
    """SQL that removes from `service`'s inbox and dead letters what it does not keep: for the
    migration that cleans copies stored before `kept_by` was applied. Idempotent."""
    statements = []
    for kind, (drop, empty) in _forgotten(service).items():
        statements.append(
            f"""UPDATE inbox SET envelope = jsonb_set(envelope, '{{payload}}',
                    {_cleaned("(envelope->'payload')", drop, empty)})
                WHERE envelope->>'type' = '{kind}'""")
        statements.append(
            f"""UPDATE dead_letters SET raw = jsonb_set(raw::jsonb, '{{payload}}',
                    {_cleaned("(raw::jsonb->'payload')", drop, empty)})::text
                WHERE {_DEAD_LETTER_TYPE} = '{kind}'""")
    return statements


# Only a dead letter with an event id whose text is an object is a parsed envelope (the raw
# text of an unreadable message may be anything; notify's sender records "message N"); CASE
# keeps PostgreSQL from casting the others.
_DEAD_LETTER_TYPE = ("(CASE WHEN event_id IS NOT NULL AND raw LIKE '{%' "
                     "THEN raw::jsonb->>'type' END)")


def _cleaned(payload: str, drop: list[str], empty: dict[str, Any]) -> str:
    removed = " - ".join([payload, *(f"'{f}'" for f in drop)])
    if not empty:
        return f"({removed})"
    return f"(({removed}) || '{json.dumps(empty, ensure_ascii=False)}'::jsonb)"


ERASED = "（已删除）"  # what an erased name or text reads as, to staff and in letters


def erased(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """An event's payload with every personal field of the inventory erased: texts read
    `ERASED`, contacts and keys are gone; dates, outcomes and applicant types stay, so the
    reports counted from it do not change."""
    out = dict(payload)
    if kind == "ApplicationSubmitted":
        out["applicant"] = {**payload.get("applicant", {}), "name": ERASED, "mobile": None,
                            "email": None}
        for gone in ("id_document_type", "id_number", "credit_code", "legal_representative",
                     "contact_name", "phone", "address", "postal_code"):  # version 1
            out["applicant"].pop(gone, None)
        out["request"] = {**payload.get("request", {}), "description": ERASED, "purpose": None}
    for field in KEPT_BY.get(kind, {}):
        value = payload.get(field)
        if isinstance(value, str) and value:
            out[field] = ERASED if field in required_fields(kind) else None
        elif isinstance(value, list):
            out[field] = []
    out.pop("applicant_key", None)
    if "access_code_hash" in out:
        out["access_code_hash"] = None
    return out
