"""Formal letters (告知书/答复书, docs/domain.md#letters): which letter a case fact calls for, and
its content.

Pure: facts in, a `Letter` out. The only I/O is reading templates through the injected
`TemplateSource`. Dates are the business dates of the facts and the `dated` argument, never the
wall clock.

Templates and who may change them:
- Wording: one Jinja template per letter kind, `<kind>.txt.j2`, looked up first in the agency's
  directory `<overrides_dir>/<agency_id>/`, then in the city's `<overrides_dir>/_city/`, then
  the shipped `services/notify/templates/`. A template sets `title` and renders the body, one
  paragraph per block of lines separated by a blank line.
- Law: `legal.yaml` (article citations, fee schedule, the provisional-date note, the remedy
  paragraphs, the contact line). Agency directories are never searched for it; only
  `<overrides_dir>/_city/legal.yaml` replaces the shipped file. A template places the legal text
  (`{{ basis }}`, `{{ remedy }}`, `{{ legal.fee_payment }}`) but cannot reword it: `compose`
  refuses a letter whose body lacks any of them verbatim.
- Remedy (docs/domain.md#remedies): replies, abandonment notices and fee notices carry one. A
  refusal to disclose (withheld.*, and partially_disclosed, whose withheld part is one) decided
  on or after
  2024-01-01 gets reconsideration first (行政复议法 2023, Art. 23(1)(4)); every other decision,
  including unable.* and not_processed.* (not refusals to disclose in the statute's terms), and
  refusals decided earlier, gets reconsideration within 60 days or litigation within 6 months.
Templates run in Jinja's sandbox with StrictUndefined and no escaping: applicant text is data
passed in as values, never template source, so `{{ 7*7 }}` or `<script>` in it prints verbatim.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

import yaml
from jinja2 import StrictUndefined, Template, meta
from jinja2.sandbox import ImmutableSandboxedEnvironment
from pydantic import BaseModel

from shared.contracts import cases
from shared.contracts.agencies import AgencyConfigured
from shared.contracts.cases import (
    CaseConcluded,
    CaseOpened,
    CaseReceived,
    CaseWithdrawn,
    ConsultationEnded,
    ConsultationStarted,
    CorrectionLapsed,
    CorrectionReceived,
    CorrectionRequested,
    DeadlineBreached,
    DeadlineBreachWithdrawn,
    DueDateSet,
    ExtensionApproved,
    FeeLapsed,
    FeeNoticeIssued,
    FeePaid,
    ReasonsRequested,
    ReviewDecided,
    ReviewFiled,
)
from shared.contracts.outcomes import DECLARED, OUTCOMES, reply_letter
from shared.events import decode_payload

SHIPPED_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
RECONSIDERATION_FIRST_SINCE = date(2024, 1, 1)
REMEDY_KINDS = {"fee_notice": "本通知", "abandonment_notice": "本告知书"}
# The letters of refusals to disclose (docs/domain.md#remedies), as the outcomes declare them.
REFUSALS = frozenset(o.letter for o in DECLARED if o.group.refusal)
CHANNELS = {"in_person": "当面提交", "post_signed": "邮寄", "ordinary_letter": "平常信函",
            "online": "网上申请", "fax": "传真", "email": "电子邮件"}
MEDIA = {"paper": "纸质", "electronic": "电子"}
DELIVERIES = {"post": "邮寄", "email": "电子邮件", "pickup": "当面领取", "online": "网上在线"}


class LetterTemplateError(ValueError):
    """A template is missing, or an override dropped the fixed legal text."""


@dataclass(frozen=True)
class Letter:
    kind: str
    title: str
    addressee: str
    case_number: str
    dated: date
    paragraphs: list[str]
    signature: list[str]
    template_version: str
    # The letter's number (文号, e.g. 聊民依申〔2026〕7号), assigned once when notify keeps the
    # letter; empty where the agency numbers its letters by the case number.
    number: str = ""

    def reference(self) -> list[str]:
        """The line(s) under the title: the 文号 and the case number, or the case number."""
        if self.number:
            return [self.number, f"（受理编号：{self.case_number}）"]
        return [f"（{self.case_number}）"]

    def text(self) -> str:
        head = [self.title, *self.reference(), f"{self.addressee}："]
        return "\n\n".join([*head, *self.paragraphs, "\n".join(self.signature)]) + "\n"

    def content(self) -> str:
        """The letter as notify keeps it (letters.content, hashed into content_hash): its fields
        as JSON, keys sorted, the date as ISO text. The same text as
        `json.dumps(dataclasses.asdict(letter), ensure_ascii=False, default=str,
        sort_keys=True)` at a fifth of the cost: asdict deep-copies every field."""
        values = {**self.__dict__, "paragraphs": list(self.paragraphs),
                  "signature": list(self.signature)}
        return json.dumps(values, ensure_ascii=False, default=str, sort_keys=True)


def letter_number(prefix: str, year: int, serial: int) -> str:
    """机关代字〔年份〕序号号, as offices number their documents (GB/T 9704)."""
    return f"{prefix}〔{year}〕{serial}号"


@dataclass(frozen=True)
class CaseFacts:
    case_number: str = ""
    applicant_name: str = ""
    applicant_type: str = "natural_person"
    request_summary: str = ""
    channel: str = ""
    received_on: date | None = None
    due_on: date | None = None
    previous_due_on: date | None = None
    due_provisional: bool = False
    due_rule: str | None = None
    medium: str | None = None
    delivery: str | None = None
    from_ledger: bool = False  # opened by a ledger import: acknowledged on paper before us
    correction_on: date | None = None
    correction_items: tuple[str, ...] = ()
    correction_period_days: int | None = None
    correct_by: date | None = None
    correction_received_on: date | None = None
    extension_on: date | None = None
    extension_days: int | None = None
    extension_reason: str = ""
    consultation_on: date | None = None
    consultation_kind: str | None = None
    consultation_party: str = ""
    consultation_answer_by: date | None = None
    consultation_party_type: str | None = None
    fee_on: date | None = None
    fee_method: str | None = None
    fee_nth: int | None = None
    fee_pages: int | None = None
    fee_amount: Decimal | None = None
    fee_pay_by: date | None = None
    fee_pauses_clock: bool = False
    reasons_on: date | None = None
    reasons_note: str = ""
    withdrawn_on: date | None = None
    concluded_on: date | None = None
    outcome: str | None = None
    legal_basis: str = ""
    reply_text: str = ""
    responsible_agency: str = ""
    responsible_contact: str = ""
    ground: str | None = None
    public_source: str = ""
    provided_medium: str | None = None
    provided_delivery: str | None = None
    form_reason: str = ""
    on_the_spot: bool = False


# Event type → {CaseFacts field: the attribute of the event it takes}. The fold reads the
# typed event (shared/contracts/cases.py), never a payload's keys: every attribute named here
# must be a field its type declares, or this module fails at import (`_check_fold`), and
# tests/unit/test_typed_folds.py runs the fold over an instance of every event type.
FOLD: dict[type[BaseModel], dict[str, str]] = {
    CaseOpened: {"case_number": "case_number", "applicant_name": "applicant_name",
                 "applicant_type": "applicant_type", "channel": "channel",
                 "request_summary": "request_summary", "medium": "medium",
                 "delivery": "delivery", "from_ledger": "from_ledger"},
    CaseReceived: {"received_on": "received_on"},
    DueDateSet: {"due_on": "due_on", "previous_due_on": "previous_due_on"},
    CorrectionRequested: {"correction_on": "on", "correction_items": "items",
                          "correction_period_days": "period_working_days",
                          "correct_by": "correct_by"},
    CorrectionReceived: {"correction_received_on": "on"},
    ExtensionApproved: {"extension_on": "on", "extension_days": "working_days",
                        "extension_reason": "reason"},
    ConsultationStarted: {"consultation_on": "on", "consultation_kind": "kind",
                          "consultation_party": "party", "consultation_answer_by": "answer_by",
                          "consultation_party_type": "party_type"},
    FeeNoticeIssued: {"fee_on": "on", "fee_method": "method", "fee_nth": "nth_this_month",
                      "fee_pages": "pages", "fee_amount": "amount_yuan", "fee_pay_by": "pay_by",
                      "fee_pauses_clock": "pauses_clock"},
    ReasonsRequested: {"reasons_on": "on", "reasons_note": "note"},
    CaseWithdrawn: {"withdrawn_on": "on"},
    CaseConcluded: {"concluded_on": "on", "outcome": "outcome", "legal_basis": "legal_basis",
                    "reply_text": "reply_text", "on_the_spot": "on_the_spot",
                    "responsible_agency": "responsible_agency",
                    "responsible_contact": "responsible_contact", "ground": "ground",
                    "public_source": "public_source", "provided_medium": "medium",
                    "provided_delivery": "delivery", "form_reason": "form_reason"},
}
# The case events that call for no letter and carry no fact a letter shows; with FOLD's they
# are every case event (tests/unit/test_typed_folds.py).
IGNORED: tuple[type[BaseModel], ...] = (
    CorrectionLapsed, ConsultationEnded, FeePaid, FeeLapsed, DeadlineBreached,
    DeadlineBreachWithdrawn, ReviewFiled, ReviewDecided)
_FACT_FIELDS = {f.name: f for f in fields(CaseFacts)}
# The case events by type name, for callers that hold a payload rather than a typed event.
CASE_EVENTS: dict[str, type[BaseModel]] = {
    model.__event_type__: model for model in vars(cases).values()
    if isinstance(model, type) and hasattr(model, "__event_type__")}


def _check_fold() -> None:
    for model, reads in FOLD.items():
        for name, attribute in reads.items():
            if attribute not in model.model_fields:
                raise TypeError(f"notify folds {model.__name__}.{attribute}, "
                                "a field that event type does not declare")
            if name not in _FACT_FIELDS:
                raise TypeError(f"notify folds {model.__name__}.{attribute} into CaseFacts.{name}, "
                                "which does not exist")


_check_fold()


def _plain(name: str, value: Any) -> Any:
    """A typed event's value as CaseFacts keeps it: enums as their text, lists as tuples, and
    None as the field's default where the field cannot be None."""
    if value is None:
        default = _FACT_FIELDS[name].default
        return default if default is not None else None
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return value


def decode(event_type: str, payload: dict[str, Any], version: int | None = None,
           ) -> BaseModel | None:
    """A case event's payload (JSON or Python values; `version` None: the current one) as its
    typed event, upcast if older; None for a type that is no case event."""
    model = CASE_EVENTS.get(event_type)
    if model is None:
        return None
    current: int = model.__event_version__  # type: ignore[attr-defined]
    return decode_payload(event_type, current if version is None else version, payload)


def fold(facts: CaseFacts, event: BaseModel) -> CaseFacts:
    """Fold one typed case event into the facts."""
    changes = {name: _plain(name, getattr(event, attribute))
               for name, attribute in FOLD.get(type(event), {}).items()}
    if isinstance(event, DueDateSet):
        basis = event.basis
        changes.update(due_provisional=bool(basis and basis.provisional),
                       due_rule=basis.rule if basis else None)
    return _with(facts, changes)


def _with(facts: CaseFacts, changes: dict[str, Any]) -> CaseFacts:
    """`dataclasses.replace(facts, **changes)` at a tenth of its cost: replace calls __init__
    over all fifty fields for every event folded; this copies one dict. Sound because
    CaseFacts has no __post_init__ and every name changed is one of its fields (`_check_fold`
    and `fold` name them)."""
    new = object.__new__(CaseFacts)
    new.__dict__.update(facts.__dict__)
    new.__dict__.update(changes)
    return new


def evolve_facts(facts: CaseFacts, event_type: str, payload: dict) -> CaseFacts:
    """Fold one case event given as its type and payload (see `decode`)."""
    event = decode(event_type, payload)
    return facts if event is None else fold(facts, event)


def reply_kind(outcome: str) -> str:
    """The letter that tells the applicant of `outcome` (shared/contracts/outcomes.py)."""
    return reply_letter(outcome)


def acknowledges_receipt(event: BaseModel) -> bool:
    """Whether `event` is a case's first due date, set by its receipt: what the
    acknowledgement (letter and SMS) answers."""
    return (isinstance(event, DueDateSet) and event.basis is not None
            and event.basis.rule == "reply_period" and event.previous_due_on is None)


def recorded_by_ledger(event: BaseModel, facts_after: CaseFacts) -> bool:
    """Whether `event` is what an agency's ledger (台账) records: the receipt of a case opened
    from it, or the reply it records. Both were given on paper, before this system, and call
    for no letter or SMS (docs/domain.md, Historical ledgers); what happens to an open ledger
    case later is answered as for any case."""
    if isinstance(event, CaseConcluded):
        return event.from_ledger
    return facts_after.from_ledger and acknowledges_receipt(event)


def letters_called_for(event: BaseModel, facts_after: CaseFacts) -> list[str]:
    """The letter kinds a typed event calls for. An extension's notice is called for by the
    DueDateSet that follows ExtensionApproved (rule "extension"), which carries the new date."""
    if acknowledges_receipt(event):
        return ["acknowledgement"]
    if isinstance(event, DueDateSet):
        rule = event.basis.rule if event.basis else None
        return {"extension": ["extension_notice"],
                "art35_reasonable_date": ["deferral_notice"]}.get(rule or "", [])
    if isinstance(event, CaseConcluded):
        return [reply_kind(facts_after.outcome or event.outcome)]
    kind = _NOTICES.get(type(event))
    return [kind] if kind else []


_NOTICES: dict[type[BaseModel], str] = {
    CorrectionRequested: "correction_notice", ConsultationStarted: "consultation_letter",
    FeeNoticeIssued: "fee_notice", ReasonsRequested: "reasons_request"}


def letters_for(event_type: str, payload: dict, facts_after: CaseFacts) -> list[str]:
    """`letters_called_for` of an event given as its type and payload."""
    event = decode(event_type, payload)
    return [] if event is None else letters_called_for(event, facts_after)


def business_date(event: BaseModel) -> date | None:
    """The business date an event states (`on`), if its type declares one."""
    on = event.on if "on" in type(event).model_fields else None  # type: ignore[attr-defined]
    return on if isinstance(on, date) else None


def letter_date_of(event: BaseModel, facts_after: CaseFacts) -> date | None:
    """The business date a letter for this event bears; None if the event does not tell
    (the caller then uses the business date of the command that produced it)."""
    on = business_date(event)
    if on is not None:
        return on
    if not isinstance(event, DueDateSet) or event.basis is None:
        return None
    return {"reply_period": facts_after.received_on,
            "extension": facts_after.extension_on}.get(event.basis.rule)


def letter_date(event_type: str, payload: dict, facts_after: CaseFacts) -> date | None:
    """`letter_date_of` an event given as its type and payload."""
    event = decode(event_type, payload)
    return None if event is None else letter_date_of(event, facts_after)


def cn(d: date | None) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if d else ""


_TRAILING = "。，、；：.,;: \t\n"
_FINAL = ("。", "！", "？", "…", "。）", "。”", "！”", "？”")


def clause(text: Any) -> str:
    """Text placed inside a sentence of the letter: its own closing punctuation taken off, so
    the letter's punctuation is never doubled (“……。，”)."""
    return str(text or "").strip().rstrip(_TRAILING)


def sentence(text: Any) -> str:
    """Text that stands as sentences of its own: ends with exactly one full stop."""
    body = str(text or "").strip()
    if not body or body.endswith(_FINAL):
        return body
    return clause(body) + "。"


def _amount(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{value:.0f}" if value == value.to_integral_value() else f"{value:.2f}"


class TemplateSource:
    """Finds a letter's template (agency → city → shipped) and the legal text (city → shipped)."""

    def __init__(self, overrides_dir: Path | None = None, shipped_dir: Path = SHIPPED_TEMPLATES):
        self.overrides_dir, self.shipped_dir = overrides_dir, shipped_dir
        # The directories as text, worked out once: they are looked in for every letter.
        self._shipped = str(shipped_dir)
        self._city = [] if overrides_dir is None else [os.path.join(overrides_dir, "_city")]

    def _first(self, name: str, dirs: list[str]) -> str:
        for directory in dirs:
            text = _read(os.path.join(directory, name))
            if text is not None:
                return text
        raise LetterTemplateError(f"no template {name} in {', '.join(dirs)}")

    def letter(self, kind: str, agency_id: str) -> str:
        dirs = [*self._city, self._shipped]
        if self.overrides_dir is not None and _AGENCY_DIR.fullmatch(agency_id):
            dirs.insert(0, os.path.join(self.overrides_dir, agency_id))
        return self._first(f"{kind}.txt.j2", dirs)

    def legal(self) -> str:
        return self._first("legal.yaml", [*self._city, self._shipped])


_AGENCY_DIR = re.compile(r"[a-z0-9][a-z0-9-]*")
_texts: dict[str, tuple[tuple[int, int], str]] = {}


def _read(path: str) -> str | None:
    """A template file's text, or None if there is none. Looked at on every letter, so that an
    edit takes effect without a restart, but read again only when it changed (size or time)."""
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    version = (st.st_mtime_ns, st.st_size)
    cached = _texts.get(path)
    if cached is None or cached[0] != version:
        with open(path, encoding="utf-8") as f:
            cached = _texts[path] = (version, f.read())
    return cached[1]


class _Sandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, its verdict on an attribute kept per (type, name): its checks
    (`is_internal_attribute`, `modifies_known_mutable`) look at nothing but the object's type
    and the name, and ran on the same few (agency.name, facts.…) ten times a letter."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._safe: dict[tuple[type, str], bool] = {}

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        key = (type(obj), attr)
        safe = self._safe.get(key)
        if safe is None:
            safe = super().is_safe_attribute(obj, attr, value)
            # an object that claims another class is judged every time, as Jinja does
            if obj.__class__ is type(obj) and len(self._safe) < 4096:
                self._safe[key] = safe
        return safe

    def make_globals(self, d: Any) -> dict[str, Any]:
        """A template's globals as one plain dict, not Jinja's ChainMap over the environment's:
        every render copies them into its context, and a ChainMap is iterated in Python. Ours
        are set before any template is compiled and never changed."""
        return {**self.globals, **(d or {})}


_ENV = _Sandbox(undefined=StrictUndefined, autoescape=False, trim_blocks=True,
                lstrip_blocks=True)
_ENV.filters["cn"] = cn
_ENV.filters["clause"] = clause
_ENV.filters["sentence"] = sentence
_compile = functools.lru_cache(maxsize=128)(_ENV.from_string)


@dataclass(frozen=True)
class _LegalText:
    """One entry of legal.yaml: constant text, or Jinja text and the names it reads."""
    text: str
    template: Template | None = None
    names: tuple[str, ...] = ()

    def render(self, ctx: dict) -> str:
        if self.template is None:
            return self.text
        # Only the names it reads: Jinja copies the whole context on every render.
        return self.template.render({n: ctx[n] for n in self.names if n in ctx}).strip()


def _legal_text(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _legal_text(v) for k, v in node.items()}
    text = str(node)
    if "{" not in text:  # no Jinja syntax ({{, {%, {#): it renders as itself
        return _LegalText(text.strip())
    names = tuple(sorted(meta.find_undeclared_variables(_ENV.parse(text))))
    return _LegalText(text, _compile(text), names)


@functools.lru_cache(maxsize=16)
def _legal_tree(source: str) -> Any:
    """legal.yaml parsed and compiled once per distinct text (the file is still looked at on
    every letter, so an edit takes effect without a restart); the tree is never changed."""
    return _legal_text(yaml.safe_load(source))


class _Legal(dict):
    """The legal text of one letter, rendered with its context: an entry is rendered the first
    time the letter reads it (a letter reads two or three of its dozen) and kept. Whatever
    looks at the whole mapping (iteration, length, printing) sees it all rendered."""

    def __init__(self, tree: dict, ctx: dict) -> None:
        super().__init__()
        self._tree, self._ctx = tree, ctx

    def __missing__(self, key: str) -> Any:
        node = self._tree[key]
        value = _Legal(node, self._ctx) if isinstance(node, dict) else node.render(self._ctx)
        self[key] = value
        return value

    def _whole(self) -> _Legal:
        for key in self._tree:
            self[key]  # noqa: B018  # renders it if not yet
        return self

    def __iter__(self):
        return dict.__iter__(self._whole())

    def __len__(self) -> int:
        return dict.__len__(self._whole())

    def __contains__(self, key: object) -> bool:
        return key in self._tree

    def __repr__(self) -> str:
        return dict.__repr__(self._whole())

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self._tree else default

    def keys(self):
        return dict.keys(self._whole())

    def values(self):
        return dict.values(self._whole())

    def items(self):
        return dict.items(self._whole())


@functools.lru_cache(maxsize=128)
def _template_version(source: str, legal_source: str) -> str:
    """Which wording and law a letter was composed from (the texts, hashed once each)."""
    return hashlib.sha256(f"{source}\0{legal_source}".encode()).hexdigest()[:12]


def you(applicant_type: str | None) -> str:
    return "您" if applicant_type in (None, "natural_person", "person") else "贵单位"


def compose(kind: str, facts: CaseFacts, agency: AgencyConfigured, dated: date,
            templates: TemplateSource, *, today: date | None = None) -> Letter:
    """The letter `kind` for the case as `facts` tell it, dated `dated`. `today` is the day it
    is composed (the service's clock): a due date before it is stated as passed, never
    promised."""
    source, legal_source = templates.letter(kind, agency.agency_id), templates.legal()
    reply = kind.startswith("reply_")
    doc = "本答复" if reply else REMEDY_KINDS.get(kind, "")
    consulted = kind == "consultation_letter"
    if facts.consultation_kind == "other_agency":
        party = "贵机关"
    else:
        party = "您" if facts.consultation_party_type == "person" else "贵单位"
    medium = facts.provided_medium or facts.medium
    delivery = facts.provided_delivery or facts.delivery
    declared = OUTCOMES.get(facts.outcome or "")
    ground = facts.ground or (declared.default_ground(facts.responsible_agency)
                              if declared else None)
    ctx: dict[str, Any] = {
        "facts": facts, "agency": agency, "dated": dated, "doc": doc,
        "year": (facts.due_on or dated).year,
        "you": you(facts.applicant_type), "party": party, "ground": ground,
        "summary": clause(facts.request_summary),
        "received": cn(facts.received_on),
        "channel": CHANNELS.get(facts.channel, facts.channel),
        "medium": MEDIA.get(medium or "", ""), "delivery_key": delivery or "",
        "delivery": DELIVERIES.get(delivery or "", ""),
        "asked_medium": MEDIA.get(facts.medium or "", ""),
        "asked_delivery": DELIVERIES.get(facts.delivery or "", ""),
        "other_form": bool(facts.provided_medium or facts.provided_delivery),
        "overdue": bool(facts.due_on and today and facts.due_on < today),
        "previous_due": cn(facts.previous_due_on), "correct_by": cn(facts.correct_by),
        "correction_sent": cn(facts.correction_on), "answer_by": cn(facts.consultation_answer_by),
        "pay_by": cn(facts.fee_pay_by), "fee_sent": cn(facts.fee_on),
        "reasons_sent": cn(facts.reasons_on), "amount": _amount(facts.fee_amount),
    }
    # the context as it stands: legal text cannot read what the letter derives from it
    legal = _Legal(_legal_tree(legal_source), dict(ctx))
    ctx["legal"] = legal
    ctx["due"] = cn(facts.due_on)
    ctx["due_note"] = legal["provisional_note"] if facts.due_provisional else ""
    if reply or kind == "abandonment_notice":
        ctx["basis"] = facts.legal_basis
    elif consulted:
        ctx["basis"] = legal["basis"][f"consultation_{facts.consultation_kind}"]
    else:
        ctx["basis"] = legal["basis"][kind]
    ctx["remedy"] = ""
    if reply or kind in REMEDY_KINDS:
        decided = facts.concluded_on or dated
        first = kind in REFUSALS and decided >= RECONSIDERATION_FIRST_SINCE
        ctx["remedy"] = legal["remedy"]["reconsideration_first" if first else "standard"]
    module = _compile(source).make_module(ctx)
    body = str(module)
    required = [ctx["basis"], ctx["remedy"], legal["fee_payment"] if kind == "fee_notice" else ""]
    missing = [text for text in required if text and text not in body]
    if missing:
        raise LetterTemplateError(f"template {kind} leaves out the fixed legal text: {missing}")
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()]
    note = ctx["due_note"]
    if note and note not in body:  # an override that left the note out still states it
        at = next((i + 1 for i, p in enumerate(paragraphs) if ctx["due"] in p), len(paragraphs))
        paragraphs.insert(at, note)
    return Letter(
        kind=kind, title=str(getattr(module, "title", "")), case_number=facts.case_number,
        addressee=facts.consultation_party if consulted else facts.applicant_name,
        dated=dated, paragraphs=[*paragraphs, legal["contact"]],
        signature=[agency.name, "（印章）", cn(dated)],
        template_version=_template_version(source, legal_source),
    )
