"""Checking a ledger (台账) before it is imported, the same for the `gongkai import` command and
the staff console: every problem of the ledger and of the published table-三 figures given with
it, the warnings where those figures break a check relation (docs/report-format.md#checks), and
a summary of what would be imported. Pure: bytes in, a verdict out; nothing is stored. Where
the published figures differ from what the ledger yields is counted in the database, by the
rules reporting counts with (adapters/ledger_checks.py `warnings`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.intake.domain.ledger import HEADERS, LedgerError, LedgerRow, read_ledger
from shared.contracts.report_format import COLUMNS
from shared.published import Figures, PublishedError, read_published, warnings_for
from shared.tabular import Problem

LEDGER, PUBLISHED = "ledger", "published"  # which file a problem is in
FILE_NAMES = {LEDGER: "台账", PUBLISHED: "公布数据"}
_PUBLISHED_FIELDS = {"year": "年度", "row": "项目", **COLUMNS,
                     "other_org": "其他（法人或其他组织）"}


@dataclass(frozen=True)
class Summary:
    rows: int
    concluded: int
    open: int
    years: tuple[int, ...]  # the years of receipt the ledger covers
    first_received_on: date
    last_received_on: date


@dataclass(frozen=True)
class Checked:
    rows: list[LedgerRow]
    summary: Summary
    warnings: list[str]  # the published figures' own broken check relations
    published: Figures | None = None


@dataclass(frozen=True)
class FileProblem:
    file: str  # LEDGER or PUBLISHED
    line: int  # 0: the file as a whole
    field: str  # the reader's field key (received_on), a column's own name, or "file"
    message: str  # Chinese, as the reader gives it

    @property
    def label(self) -> str:
        """The field in words: the ledger's column heading; the file as a whole is 整个文件."""
        if self.field == "file":
            return "整个文件"
        names = HEADERS if self.file == LEDGER else _PUBLISHED_FIELDS
        return names.get(self.field, self.field)


class CheckFailed(ValueError):
    def __init__(self, problems: list[FileProblem]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problems")


def summarize(rows: list[LedgerRow]) -> Summary:
    concluded = sum(1 for r in rows if r.outcome)
    received = [r.received_on for r in rows]
    return Summary(len(rows), concluded, len(rows) - concluded,
                   tuple(sorted({d.year for d in received})), min(received), max(received))


def check_ledger(data: bytes, filename: str, published: bytes | None, *,
                 today: date) -> Checked:
    """The ledger read, or `CheckFailed` with every problem of both files."""
    problems: list[FileProblem] = []
    rows: list[LedgerRow] = []
    figures: Figures | None = None
    try:
        rows = read_ledger(data, filename, today=today)
    except LedgerError as exc:
        problems += _problems(LEDGER, exc.problems)
    if published is not None:
        try:
            figures = read_published(published)
        except PublishedError as exc:
            problems += _problems(PUBLISHED, exc.problems)
    if problems:
        raise CheckFailed(problems)
    return Checked(rows, summarize(rows), [] if figures is None else warnings_for(figures),
                   figures)


def _problems(file: str, found: list[Problem]) -> list[FileProblem]:
    return [FileProblem(file, p.line, p.field, p.message) for p in found]
