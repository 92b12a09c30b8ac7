"""Reading the spreadsheets clerks keep (CSV from Excel/WPS in UTF-8 or GB18030), and matching
what they wrote against official labels. Used by the ledger and published-figures imports.
Also what every spreadsheet we write must do with text a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass

from shared.contracts.outcomes import DECLARED


@dataclass(frozen=True)
class Problem:
    """One thing wrong in an imported file; ``message`` is shown to the clerk as is."""

    line: int
    field: str
    message: str


FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}  # IME full-width ASCII


# Formula (CSV) injection, OWASP: Excel, WPS and LibreOffice read a cell whose text begins with
# one of these as a formula (=HYPERLINK(…), +cmd|…, -2+3, @SUM(…)); a leading tab or carriage
# return is on OWASP's list too (some programs drop it, then read what follows). Agency names
# come from the city's configuration and other text may come from the public: neither may
# become a formula in a file we hand out.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: object) -> bool:
    """True for text (never a number: -2 is a number) a spreadsheet would read as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_START)


def csv_safe(value: object) -> object:
    """A CSV cell: text a spreadsheet would read as a formula gets a leading apostrophe (shown as
    is, so ``'=1+1`` reads as the text it was); numbers and other text unchanged."""
    return "'" + value if is_formula_like(value) else value


def text_of(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores 序号 1 as 1.0
    return str(value).replace("\u3000", " ").strip()


def canon(value: object) -> str:
    """Comparison form: full-width → ASCII, no spaces or quotes, lower case."""
    return re.sub(r"[\s\"'“”‘’]", "", text_of(value).translate(FULL_WIDTH)).lower()


# Labels are matched by their text, not their numbering ("三(三)1."): the numbering differs
# between the 2019 and 2021 formats and clerks write it in many ways; every text is unique.
_NUMBERING = re.compile(
    r"^(?:三(?=\()|\([一二三四五六七]\)|\d+[.、]|[一二三四]、"  # 三(一)  (一)  1.  一、
    r"|(?:不予公开|无法提供|不予处理|其他处理)(?=\d))")  # a group heading before its items
# Other words for an outcome (2019/2020 format: one row for all of (六)), as declared with it.
_SHORT = {canon(alias): o.key for o in DECLARED for alias in o.aliases}


def _bare(label: str) -> str:
    text = canon(label)
    while (shorter := _NUMBERING.sub("", text, count=1)) != text:
        text = shorter
    return re.sub(r"\([^()]*\)$", "", text)  # 部分公开（区分处理的，…）→ 部分公开


def label_key(value: object, labels: Mapping[str, str]) -> str | None:
    """The key of ``labels`` that ``value`` names by key or by official label, else None."""
    text, bare = canon(value), _bare(text_of(value))
    for key, label in labels.items():
        if text == key.lower() or bare == _bare(label):
            return key
    short = _SHORT.get(bare)
    return short if short in labels else None


def csv_records(data: bytes) -> list[tuple[int, list[str]]] | None:
    """(first line number, cells) per record; None if neither UTF-8 nor GB18030."""
    for encoding in ("utf-8-sig", "gb18030"):  # real GB18030 Chinese is never valid UTF-8
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        return None
    reader, records, line = csv.reader(io.StringIO(text, newline="")), [], 1
    for cells in reader:
        records.append((line, cells))
        line = reader.line_num + 1  # a quoted cell may span lines
    return records


def split_header(records: list) -> tuple[int, list, list] | None:
    """(header line, header cells, data records), skipping blank and ``#`` lines above it."""
    for i, (line, cells) in enumerate(records):
        texts = [text_of(c) for c in cells]
        if any(texts) and not texts[0].startswith("#"):
            return line, cells, records[i + 1 :]
    return None


