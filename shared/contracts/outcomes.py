"""The outcomes of an application (docs/domain.md#outcomes): one declaration each, and the one
place an outcome is declared. Casework (which outcomes a decision may record, the basis it
cites by default, the step that must come first, whether the information is provided, the
outcome a withdrawal or a lapse records), notify (which reply letter), reporting (the row of
table 三, the groups the report's prose counts), the ledger import (the labels a clerk may
write) and the exports all read this module; adding an outcome is adding one `Outcome` below
(and, for the letter, its wording in the reply template it names:
docs/architecture.md#adding-an-outcome).

Nothing outside this module writes an outcome key's facts or counts them: the number of
outcomes is `len(OUTCOMES)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

REGULATION = "《中华人民共和国政府信息公开条例》"
FEE_RULES = "《政府信息公开信息处理费管理办法》（国办函〔2020〕109号）"


@dataclass(frozen=True)
class Group:
    """A result group of table 三: (一)予以公开 … (六)其他处理."""

    key: str  # the outcome key, or the prefix of its outcomes' keys ("withheld" → withheld.*)
    label: str  # 不予公开: what the report's prose and the console call it
    heading: str  # （三）不予公开: the row heading table 三 prints
    # A refusal to disclose (docs/domain.md#remedies): its reply offers reconsideration first
    # when decided on or after 2024-01-01.
    refusal: bool = False


class Prior(StrEnum):
    """A step the case must have been through before staff may decide an outcome."""

    CORRECTION_RECEIVED = "correction_received"  # Art. 30: still unclear *after* a correction
    REASONS_REQUESTED = "reasons_requested"  # Art. 35: the applicant was asked for reasons


class Ending(StrEnum):
    """What ends a case without a decision of staff; each records one outcome."""

    WITHDRAWN = "withdrawn"  # the applicant withdrew the application
    NO_CORRECTION = "no_correction"  # the correction period ran out
    NO_FEE_PAYMENT = "no_fee_payment"  # the fee's payment period ran out


# The endings the system records itself when a period lapses.
LAPSES = frozenset({Ending.NO_CORRECTION, Ending.NO_FEE_PAYMENT})


@dataclass(frozen=True)
class Ground:
    """Where one outcome covers two paragraphs of Art. 36: which paragraph a reply rests on."""

    key: str  # a value of shared.contracts.cases.Ground
    basis: str
    # Fields the decision must fill in on this ground: (Decide field, its name in Chinese).
    requires: tuple[tuple[str, str], ...] = ()
    # The ground taken when the decision names none but does name the responsible agency.
    names_responsible_agency: bool = False
    # Of an outcome that provides information: whether a reply on this ground does (one that
    # says where the information is already published provides nothing itself).
    provides_information: bool = True


@dataclass(frozen=True)
class Outcome:
    key: str  # "<group>" or "<group>.<name>": the group is the part before the dot
    row: str  # the official label of its leaf row of table 三 (国办公开办函〔2021〕30号)
    basis: str  # the legal basis a reply cites by default (staff may state a more precise one)
    letter: str  # the reply letter's kind: services/notify/templates/<letter>.txt.j2
    grounds: tuple[Ground, ...] = ()  # the first is the default
    aliases: tuple[str, ...] = ()  # other words a ledger may use for it (2019/2020 format)
    # The information is provided to the applicant, so the form and the route it is provided
    # by apply, and providing it otherwise than asked needs a reason (Art. 40).
    provides_information: bool = False
    after: Prior | None = None  # staff may decide it only after this step
    # The ending that records it, and the reply text the system writes for it then.
    ends: Ending | None = None
    ending_reply: str = ""

    @property
    def group(self) -> Group:
        return GROUPS[self.key.split(".")[0]]

    @property
    def by_lapse_only(self) -> bool:
        """Recorded by the sweep when a period lapses, never by staff."""
        return self.ends in LAPSES

    def provides_information_on(self, ground: str | None) -> bool:
        """Whether a reply of this outcome on `ground` provides the information itself."""
        return self.provides_information and (ground is None
                                              or GROUNDS[ground].provides_information)

    def default_ground(self, responsible_agency: str = "") -> str | None:
        """The ground of a decision that names none: the one that names the responsible agency
        when one is given, else the first."""
        if not self.grounds:
            return None
        named = [g.key for g in self.grounds if g.names_responsible_agency]
        return named[0] if named and responsible_agency else self.grounds[0].key


GROUPS: dict[str, Group] = {g.key: g for g in (
    Group("disclosed", "予以公开", "（一）予以公开"),
    Group("partially_disclosed", "部分公开",
          "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", refusal=True),
    Group("withheld", "不予公开", "（三）不予公开", refusal=True),
    Group("unable", "无法提供", "（四）无法提供"),
    Group("not_processed", "不予处理", "（五）不予处理"),
    Group("other", "其他处理", "（六）其他处理"),
)}


def _art(text: str) -> str:
    return f"{REGULATION}{text}"


_ART14, _ART16_2 = _art("第十四条"), _art("第十六条第二款")

# In the order of table 三's rows.
DECLARED: tuple[Outcome, ...] = (
    Outcome("disclosed", "三(一)予以公开",
            _art("第三十六条第（一）项、第（二）项"), "reply_disclosed", grounds=(
                Ground("provided", _art("第三十六条第（二）项")),
                Ground("already_public", _art("第三十六条第（一）项"),
                       requires=(("public_source", "已主动公开信息的获取途径"),),
                       provides_information=False)),
            provides_information=True),
    Outcome("partially_disclosed", "三(二)部分公开（区分处理的，只计这一情形，不计其他情形）",
            _art("第三十七条"), "reply_partially_disclosed", provides_information=True),
    Outcome("withheld.state_secret", "三(三)1.属于国家秘密", _ART14, "reply_withheld"),
    Outcome("withheld.law_prohibited", "三(三)2.其他法律行政法规禁止公开", _ART14,
            "reply_withheld"),
    Outcome("withheld.security_stability", '三(三)3.危及"三安全一稳定"', _ART14,
            "reply_withheld"),
    Outcome("withheld.third_party", "三(三)4.保护第三方合法权益", _art("第十五条、第三十二条"),
            "reply_withheld"),
    Outcome("withheld.internal_affairs", "三(三)5.属于三类内部事务信息",
            _art("第十六条第一款"), "reply_withheld"),
    Outcome("withheld.process_info", "三(三)6.属于四类过程性信息", _ART16_2, "reply_withheld"),
    Outcome("withheld.enforcement_file", "三(三)7.属于行政执法案卷", _ART16_2, "reply_withheld"),
    Outcome("withheld.admin_query", "三(三)8.属于行政查询事项", _art("第三十六条第（七）项"),
            "reply_withheld"),
    Outcome("unable.not_held", "三(四)1.本机关不掌握相关政府信息",
            _art("第三十六条第（四）项、第（五）项"), "reply_unable", grounds=(
                Ground("not_exist", _art("第三十六条第（四）项")),
                Ground("not_responsible", _art("第三十六条第（五）项"),
                       requires=(("responsible_agency", "负责公开该信息的行政机关名称"),
                                 ("responsible_contact", "该机关的联系方式")),
                       names_responsible_agency=True))),
    Outcome("unable.needs_creation", "三(四)2.没有现成信息需要另行制作", _art("第三十八条"),
            "reply_unable"),
    Outcome("unable.still_unclear", "三(四)3.补正后申请内容仍不明确", _art("第三十条"),
            "reply_unable", after=Prior.CORRECTION_RECEIVED),
    Outcome("not_processed.petition", "三(五)1.信访举报投诉类申请", _art("第三十九条第一款"),
            "reply_not_processed"),
    Outcome("not_processed.duplicate", "三(五)2.重复申请", _art("第三十六条第（六）项"),
            "reply_not_processed"),
    Outcome("not_processed.publication", "三(五)3.要求提供公开出版物",
            _art("第三十九条第二款"), "reply_not_processed"),
    Outcome("not_processed.excessive", "三(五)4.无正当理由大量反复申请", _art("第三十五条"),
            "reply_not_processed", after=Prior.REASONS_REQUESTED),
    Outcome("not_processed.confirm_or_reissue",
            "三(五)5.要求行政机关确认或重新出具已获取信息", _art("第三十九条"),
            "reply_not_processed"),
    Outcome("other.no_correction",
            "三(六)1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
            _art("第三十条"), "abandonment_notice", aliases=("逾期不补正",),
            ends=Ending.NO_CORRECTION, ending_reply="申请人逾期未补正，视为放弃申请"),
    Outcome("other.no_fee_payment",
            "三(六)2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
            FEE_RULES, "abandonment_notice", aliases=("逾期未缴费",),
            ends=Ending.NO_FEE_PAYMENT, ending_reply="申请人逾期未缴纳信息处理费，视为放弃申请"),
    Outcome("other.other", "三(六)3.其他", "", "reply_other", aliases=("其他处理",),
            ends=Ending.WITHDRAWN, ending_reply="申请人撤回申请"),
)

OUTCOMES: dict[str, Outcome] = {o.key: o for o in DECLARED}
GROUNDS: dict[str, Ground] = {g.key: g for o in DECLARED for g in o.grounds}
ENDINGS: dict[Ending, Outcome] = {o.ends: o for o in DECLARED if o.ends is not None}
# What a reply letter falls back to for a key it does not know (never one casework records).
FALLBACK_LETTER = "reply_other"


def _check() -> None:
    """Refuse at import a declaration that contradicts itself."""
    if len(OUTCOMES) != len(DECLARED):
        raise ValueError("an outcome key is declared twice")
    for o in DECLARED:
        if o.key.split(".")[0] not in GROUPS:
            raise ValueError(f"outcome {o.key}: no group {o.key.split('.')[0]!r}")
    if len(GROUNDS) != sum(len(o.grounds) for o in DECLARED):
        raise ValueError("a ground belongs to two outcomes")
    if set(ENDINGS) != set(Ending) or len(ENDINGS) != sum(bool(o.ends) for o in DECLARED):
        raise ValueError("every ending records exactly one outcome")
    for o in DECLARED:
        if o.ends is not None and not o.ending_reply:
            raise ValueError(f"outcome {o.key}: no reply text for its ending")


_check()


def leaves(group: Group) -> list[str]:
    """The outcome keys of a group, in the order of table 三."""
    return [o.key for o in DECLARED if o.group is group]


def report_prefix(group: Group) -> str:
    """How table 三's layout names a group's rows: the key of a group that is one row
    (予以公开), else the prefix of its rows' keys ("withheld.")."""
    return group.key if group.key in OUTCOMES else f"{group.key}."


def reply_letter(outcome: str) -> str:
    """The kind of the letter that tells the applicant of `outcome`."""
    declared = OUTCOMES.get(outcome)
    return declared.letter if declared is not None else FALLBACK_LETTER


def refused_outcome_words() -> str:
    """What a decision or a ledger row naming no declared outcome is told."""
    return f"不在年度报告规定的{len(OUTCOMES)}种情形之内"
