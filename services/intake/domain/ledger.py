"""Reading and validating an agency's hand-kept ledger (台账) of past applications.

Pure: bytes in, rows or *every* problem out; nothing is written. A file with any problem is
refused whole, so the clerk corrects the file and imports it again instead of finding half a
ledger imported.

File: CSV (UTF-8 with or without BOM, or GB18030 as Chinese Excel/WPS save it) or XLSX (first
sheet), chosen by the file name's extension. The first non-empty row is the header; rows above it
whose first cell starts with ``#`` are comments. Blank rows are skipped, also rows where only 序号
is filled (clerks pre-number empty rows). ``line`` is the file's line (spreadsheet row) number,
the header being line 1 when there are no comments; line 0 means the file as a whole.

| 列名 | alias | 必填 | 内容 |
|---|---|---|---|
| 序号 | line_no | 否 | the clerk's own row number, kept for messages |
| 受理编号 | case_number | 否 | the agency's own number; unique within the file |
| 收到申请日期 | received_on | 是 | receipt date (docs/domain.md#receipt); date forms below |
| 申请方式 | channel | 是 | a channel word below, or the Channel key |
| 申请人类型 | applicant_type | 是 | one of the six report columns, see below |
| 申请人 | applicant_name | 是 | name |
| 证件号码 | id_number | 否 | 18 characters: checked as 公民身份号码 or 统一社会信用代码 |
| 联系电话 | phone | 否 | free text |
| 申请内容 | request | 是 | what was asked |
| 处理结果 | outcome | 否 | empty = still open; else one of the outcomes, see below |
| 答复日期 | replied_on | 有结果时 | the reply's issue date (or the day abandonment took effect) |
| 法律依据 | legal_basis | 否 | free text |
| 收费金额 | fee_yuan | 否 | yuan, ≥ 0, at most 2 decimals (¥, 元 and commas are ignored) |

- 申请方式: 当面/当面提交 → in_person; 邮寄/信函/信函(签收) → post_signed; 平常信函 →
  ordinary_letter; 网上/网络/在线 → online; 传真 → fax; 电子邮件/邮件 → email; a trailing 申请
  is ignored (网上申请). The receipt date is already fixed in a ledger, so 信函 alone is read as
  signed post.
- 申请人类型: 自然人, 商业企业, 科研机构, 社会公益组织, 法律服务机构, 其他 (or 其他组织), or
  the ApplicantType key.
- 证件号码: 公民身份号码 for 自然人, 统一社会信用代码 for the five organisation types; other lengths
  (passports, permits) are kept unchecked. A number stored as an Excel number is refused: its last
  digits are already lost.
- 处理结果: one of the outcome keys (docs/domain.md#outcomes) or the report label with or
  without its numbering: 予以公开, 三(二)部分公开, 属于国家秘密, 本机关不掌握相关政府信息,
  逾期不补正, 逾期未缴费, 其他 …; 其他处理 (the single (六) row of the 2019/2020 format) is read
  as 其他. 答复日期 is required with it, forbidden without it, and not before 收到申请日期.

Headers match case-insensitively, ignoring spaces and a ``*`` required-marker. An unknown header
is an error: a misspelt column would otherwise silently drop its data. Dates: 2019-12-05,
2019/12/5, 2019.12.5, 2019年12月5日 or an Excel date cell; never after ``today`` and never before
2008-05-01, when the Regulation's first version took effect (an earlier date is a typo).
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from shared.contracts.applications import ApplicantType, Channel
from shared.contracts.outcomes import refused_outcome_words
from shared.contracts.report_format import OUTCOMES
from shared.tabular import (
    FULL_WIDTH,
    Problem,
    canon,
    csv_records,
    label_key,
    split_header,
    text_of,
)
from shared.validation.identity import validate_credit_code, validate_resident_id

HEADERS: dict[str, str] = {
    "line_no": "序号", "case_number": "受理编号", "received_on": "收到申请日期",
    "channel": "申请方式", "applicant_type": "申请人类型", "applicant_name": "申请人",
    "id_number": "证件号码", "phone": "联系电话", "request": "申请内容", "outcome": "处理结果",
    "replied_on": "答复日期", "legal_basis": "法律依据", "fee_yuan": "收费金额",
}
REQUIRED = ("received_on", "channel", "applicant_type", "applicant_name", "request")
REGULATION_IN_FORCE = date(2008, 5, 1)


class LedgerError(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: p.line)  # stable: field order kept
        shown = "；".join(f"第{p.line}行 {HEADERS.get(p.field, p.field)}：{p.message}"
                         for p in self.problems[:3])
        super().__init__(f"台账有{len(problems)}处问题，未导入：{shown}")


@dataclass(frozen=True)
class LedgerRow:
    line: int
    line_no: str | None
    case_number: str | None
    received_on: date
    channel: Channel
    applicant_type: ApplicantType
    applicant_name: str
    id_number: str | None
    phone: str | None
    request: str
    outcome: str | None
    replied_on: date | None
    legal_basis: str | None
    fee_yuan: Decimal | None


# --- the ledger ------------------------------------------------------------------------------
_HEADER_FIELDS = {canon(h): f for f, h in HEADERS.items()} | {f: f for f in HEADERS}
_CHANNELS = {"当面": Channel.in_person, "当面提交": Channel.in_person,
             "邮寄": Channel.post_signed, "信函": Channel.post_signed,
             "信函(签收)": Channel.post_signed, "平常信函": Channel.ordinary_letter,
             "网上": Channel.online, "网络": Channel.online, "在线": Channel.online,
             "传真": Channel.fax, "电子邮件": Channel.email, "邮件": Channel.email,
             } | {c.value: c for c in Channel}
_TYPES = {"自然人": ApplicantType.natural_person, "商业企业": ApplicantType.commercial_enterprise,
          "科研机构": ApplicantType.research_institution,
          "社会公益组织": ApplicantType.public_interest_org,
          "法律服务机构": ApplicantType.legal_service_org, "其他": ApplicantType.other_org,
          "其他组织": ApplicantType.other_org} | {t.value: t for t in ApplicantType}
_DATES = (re.compile(r"(?P<y>\d{4})(?P<s>[-/.])(?P<m>\d{1,2})(?P=s)(?P<d>\d{1,2})"),
          re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日"))


def _date(value: object, today: date, bad: Callable[[str], None]) -> date | None:
    day: date | None = None
    if isinstance(value, datetime | date):  # a real Excel date cell
        day = value.date() if isinstance(value, datetime) else value
    else:
        text = text_of(value).translate(FULL_WIDTH).replace(" ", "")
        match = next((m for p in _DATES if (m := p.fullmatch(text))), None)
        with contextlib.suppress(ValueError):  # no match, or 2019-13-01, 2019-02-30
            day = date(int(match["y"]), int(match["m"]), int(match["d"]))  # type: ignore[index]
    if day is None:
        bad(f"日期格式无法识别：{text_of(value)}")
    elif day > today:
        bad(f"日期{day.isoformat()}晚于今天（{today.isoformat()}）")
    elif day < REGULATION_IN_FORCE:
        bad(f"日期{day.isoformat()}早于《政府信息公开条例》施行之日（2008-05-01），请核对")
    else:
        return day
    return None


def _fee(value: object, bad: Callable[[str], None]) -> Decimal | None:
    text = text_of(value).translate(FULL_WIDTH).replace(",", "").strip("¥￥元 ")
    try:
        fee = Decimal(text)
    except InvalidOperation:
        fee = Decimal("NaN")
    if not fee.is_finite():
        bad(f"收费金额无法识别：{text_of(value)}")
    elif fee < 0:
        bad("收费金额不能为负数")
    elif int(fee.as_tuple().exponent) < -2:
        bad("收费金额最多精确到分（两位小数）")
    else:
        return fee
    return None


def _row(line: int, cells: dict[str, object], today: date,
         ) -> tuple[LedgerRow | None, list[Problem]]:
    problems: list[Problem] = []
    text = {f: text_of(cells.get(f)) for f in HEADERS}

    def bad(field: str) -> Callable[[str], None]:
        return lambda message: problems.append(Problem(line, field, message))

    for field in REQUIRED:
        if field in cells and not text[field]:
            bad(field)(f"{HEADERS[field]}不能为空")
    received = _date(cells["received_on"], today, bad("received_on")) if text["received_on"] \
        else None
    channel = _CHANNELS.get(canon(text["channel"]).removesuffix("申请"))
    if text["channel"] and channel is None:
        bad("channel")(f"申请方式“{text['channel']}”无法识别")
    applicant_type = _TYPES.get(canon(text["applicant_type"]))
    if text["applicant_type"] and applicant_type is None:
        bad("applicant_type")(f"申请人类型“{text['applicant_type']}”不是年度报告的六类申请人之一")
    id_number = text["id_number"] or None
    if isinstance(cells.get("id_number"), int | float):
        # 18 digits do not fit an Excel number: the last digits are already lost.
        bad("id_number")("证件号码被存为数字，末几位可能已丢失，请将该列设为文本后重新录入")
    elif id_number and len(id_number.replace(" ", "")) == 18 and applicant_type is not None:
        try:
            id_number = (validate_resident_id(id_number, today=today)
                         if applicant_type is ApplicantType.natural_person
                         else validate_credit_code(id_number))
        except ValueError as error:
            bad("id_number")(str(error))
    outcome = label_key(text["outcome"], OUTCOMES) if text["outcome"] else None
    if text["outcome"] and outcome is None:
        bad("outcome")(f"处理结果“{text['outcome']}”{refused_outcome_words()}")
    replied = _date(cells["replied_on"], today, bad("replied_on")) if text["replied_on"] \
        else None
    if text["outcome"] and not text["replied_on"]:
        bad("replied_on")("已填写处理结果，答复日期不能为空")
    if text["replied_on"] and not text["outcome"]:
        bad("outcome")("已填写答复日期，但处理结果为空（尚未办结的申请不填答复日期）")
    if received and replied and replied < received:
        bad("replied_on")("答复日期早于收到申请日期")
    fee = _fee(cells["fee_yuan"], bad("fee_yuan")) if text["fee_yuan"] else None
    if problems:
        return None, problems
    return LedgerRow(
        line=line, line_no=text["line_no"] or None, case_number=text["case_number"] or None,
        received_on=received, channel=channel, applicant_type=applicant_type,  # type: ignore[arg-type]
        applicant_name=text["applicant_name"], id_number=id_number, phone=text["phone"] or None,
        request=text["request"], outcome=outcome, replied_on=replied,
        legal_basis=text["legal_basis"] or None, fee_yuan=fee,
    ), []


def _xlsx_records(data: bytes) -> list[tuple[int, list]]:
    from openpyxl import load_workbook  # only XLSX uploads need it

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)  # formulas: values
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        return [(n, list(cells)) for n, cells in enumerate(rows, start=1)]
    finally:
        book.close()


def _records(data: bytes, filename: str) -> list[tuple[int, list]]:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension == "csv":
        records = csv_records(data)
        if records is None:
            message = "文件编码无法识别，请另存为UTF-8或GB18030编码的CSV"
            raise LedgerError([Problem(0, "file", message)])
        return records
    if extension in ("xlsx", "xlsm"):
        try:
            return _xlsx_records(data)
        except Exception as error:  # any damage in untrusted bytes is the clerk's file problem
            raise LedgerError([Problem(0, "file", f"无法读取XLSX文件：{error}")]) from error
    raise LedgerError([Problem(0, "file", "仅支持CSV或XLSX文件（.xls请先另存为.xlsx）")])


def read_ledger(data: bytes, filename: str, *, today: date) -> list[LedgerRow]:
    found = split_header(_records(data, filename))
    if found is None:
        raise LedgerError([Problem(0, "file", "文件为空，没有表头行")])
    header_line, header, body = found
    problems: list[Problem] = []
    fields: list[str | None] = []  # per column: field, None (unnamed) or "" (unknown header)
    for cell in header:
        name = text_of(cell)
        field = _HEADER_FIELDS.get(canon(name).strip("*")) if name else None
        if name and field is None:
            problems.append(Problem(header_line, name, f"无法识别的列名“{name}”"))
            field = ""
        elif field and field in fields:
            problems.append(Problem(header_line, name, f"列“{name}”重复"))
            field = ""
        fields.append(field)
    problems += [Problem(header_line, f, f"缺少必填列“{HEADERS[f]}”")
                 for f in REQUIRED if f not in fields]
    unnamed = sorted({i for _, cells in body for i, v in enumerate(cells)
                      if text_of(v) and (i >= len(fields) or fields[i] is None)})
    problems += [Problem(header_line, f"第{i + 1}列", "该列有数据但没有列名") for i in unnamed]

    rows: list[LedgerRow] = []
    seen: dict[str, int] = {}
    for line, cells in body:
        named = {f: v for f, v in zip(fields, cells, strict=False) if f}
        if not any(text_of(v) for f, v in named.items() if f != "line_no"):
            continue
        row, row_problems = _row(line, {f: named.get(f) for f in fields if f}, today)
        problems += row_problems
        number = text_of(named.get("case_number"))
        if number in seen:
            message = f"受理编号“{number}”与第{seen[number]}行重复"
            problems.append(Problem(line, "case_number", message))
        elif number:
            seen[number] = line
        if row is not None:
            rows.append(row)
    if not problems and not rows:
        problems.append(Problem(header_line, "file", "文件只有表头，没有台账数据"))
    if problems:
        raise LedgerError(problems)
    return rows
