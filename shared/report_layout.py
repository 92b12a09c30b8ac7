"""The published layout of the annual report's tables 二, 三 and 四 (国办公开办函〔2021〕30号) as
grids of cells, and the words of the check relations (勾稽关系). The one owner of both: reporting's
exports (XLSX, HTML, DOCX, PDF) draw these grids, and the portal's pages draw them too.

Table 三 is laid out as the published form prints it (聊城 2019–2023, 祁东 2024:
docs/report-format.md#published-reports): a top-left cell with the note on the check relation
over three rows and three columns; the column group 申请人情况 over 自然人, 法人或其他组织
(商业企业 … 其他) and 总计; three levels of row headings
(三、本年度办理结果 → （三）不予公开 → 1.属于国家秘密).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from shared.contracts.outcomes import GROUPS, report_prefix
from shared.contracts.report_format import (
    APPLICANT_COLUMNS,
    COLUMNS,
    OUTCOMES,
    ROWS,
    TABLE2_ARTICLES,
    TABLE2_FIGURES,
    TABLE2_ITEMS,
    TABLE4_COLUMN_LABELS,
    TABLE4_COLUMNS,
    TABLE4_GROUP_LABELS,
    TABLE4_GROUPS,
)

SECTIONS: dict[str, str] = {
    "一": "一、总体情况",
    "二": "二、主动公开政府信息情况",
    "三": "三、收到和处理政府信息公开申请情况",
    "四": "四、政府信息公开行政复议、行政诉讼情况",
    "五": "五、存在的主要问题及改进情况",
    "六": "六、其他需要报告的事项",
}

# The note the published form prints in table 三's top-left cell, word for word.
CHECK_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"

# Each check relation (docs/report-format.md#checks) in the words of that note (what people
# read next to a result).
CHECK_RULES: dict[str, str] = {
    "balance": "第一项加第二项之和，等于第三项加第四项之和",
    "total_is_sum_of_outcomes": f"第三项（七）总计，等于{len(OUTCOMES)}种办理结果之和",
    "total_column_is_sum": "总计列，等于各类申请人之和",
    "carried_over_equals_previous_carried_forward":
        "第二项上年结转，等于上一年度第四项结转下年度继续办理",
}

# Table 三's result groups: (heading, outcome key or key prefix), in the form's order.
RESULT_GROUPS = tuple((g.heading, report_prefix(g)) for g in GROUPS.values())
ROW_HEADING_COLUMNS = 3

Kind = Literal["note", "head", "label", "value"]


@dataclass(frozen=True)
class Cell:
    row: int
    col: int
    value: str | int | Decimal
    kind: Kind = "value"
    rowspan: int = 1
    colspan: int = 1
    key: str = ""  # body cells: the row's key (docs/report-format.md), e.g. "withheld.state_secret"

    @property
    def scope(self) -> str:
        """HTML scope of a header cell: a column heading heads the columns below it, a row
        heading the rows beside it (spans included); the note and values head nothing."""
        return {"head": "col", "label": "row"}.get(self.kind, "")


@dataclass(frozen=True)
class Grid:
    caption: str
    cells: tuple[Cell, ...]
    widths: tuple[int, ...]  # per column, in Excel units (about one Latin character each)
    head_rows: int = 0  # leading rows that form the column header

    @property
    def n_rows(self) -> int:
        return max(c.row + c.rowspan for c in self.cells)

    @property
    def n_cols(self) -> int:
        return len(self.widths)

    def rows(self) -> list[list[Cell]]:
        """The cells that start in each row, left to right."""
        out: list[list[Cell]] = [[] for _ in range(self.n_rows)]
        for c in sorted(self.cells, key=lambda c: (c.row, c.col)):
            out[c.row].append(c)
        return out


def title(doc: Mapping[str, Any], agency_name: str) -> str:
    return f"{agency_name}{doc['year']}年政府信息公开工作年度报告"


def cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def date_line(published_on: date) -> str:
    """The line under the title of a published report (祁东 2024: "(2025年1月17日)")."""
    return f"（{cn_date(published_on)}）"


def signature(doc: Mapping[str, Any], agency_name: str, published_on: date | None) -> list[str]:
    """The closing lines (落款): the agency's name and the publication date. The city roll-up
    sums many agencies and is signed by none of them."""
    if doc.get("agency") == "city":
        return []
    return [agency_name, *([cn_date(published_on)] if published_on else [])]


def _leaves(prefix: str) -> list[str]:
    return [k for k in OUTCOMES if k == prefix or (prefix.endswith(".") and k.startswith(prefix))]


def table3_headings() -> list[tuple[str, list[tuple[int, str, int, int]]]]:
    """Each body row of table 三: its key and its row headings as (column, text, rowspan,
    colspan); a heading that spans rows belongs to the first of them."""
    rows: list[tuple[str, list[tuple[int, str, int, int]]]] = [
        ("new", [(0, ROWS["new"], 1, 3)]),
        ("carried_over", [(0, ROWS["carried_over"], 1, 3)]),
    ]
    results: list[tuple[str, list[tuple[int, str, int, int]]]] = []
    for heading, prefix in RESULT_GROUPS:
        leaves = _leaves(prefix)
        if not prefix.endswith("."):
            results.append((prefix, [(1, heading, 1, 2)]))
            continue
        for i, key in enumerate(leaves):
            first = [(1, heading, len(leaves), 1)] if i == 0 else []
            results.append((key, [*first, (2, OUTCOMES[key].split(")", 1)[-1], 1, 1)]))
    results.append(("total", [(1, "（七）总计", 1, 2)]))
    results[0][1].insert(0, (0, "三、本年度办理结果", len(results), 1))
    rows += results
    rows.append(("carried_forward", [(0, ROWS["carried_forward"], 1, 3)]))
    return rows


def table3(doc: Mapping[str, Any]) -> Grid:
    orgs = [k for k in APPLICANT_COLUMNS if k != "natural_person"]
    order = ["natural_person", *orgs, "total"]
    first = ROW_HEADING_COLUMNS  # the first value column
    cells = [
        Cell(0, 0, CHECK_NOTE, "note", rowspan=3, colspan=ROW_HEADING_COLUMNS),
        Cell(0, first, "申请人情况", "head", colspan=len(order)),
        Cell(1, first, COLUMNS["natural_person"], "head", rowspan=2),
        Cell(1, first + 1, "法人或其他组织", "head", colspan=len(orgs)),
        Cell(1, first + 1 + len(orgs), COLUMNS["total"], "head", rowspan=2),
        *(Cell(2, first + 1 + i, APPLICANT_COLUMNS[k], "head") for i, k in enumerate(orgs)),
    ]
    head_rows = 3
    for r, (key, headings) in enumerate(table3_headings(), start=head_rows):
        cells += [Cell(r, col, text, "label", rowspan, colspan, key)
                  for col, text, rowspan, colspan in headings]
        cells += [Cell(r, first + i, int(doc["table3"][key][c]), key=key)
                  for i, c in enumerate(order)]
    return Grid(SECTIONS["三"], tuple(cells), (9, 14, 30, *(8,) * len(order)),
                head_rows=head_rows)


def table4(doc: Mapping[str, Any]) -> Grid:
    n = len(TABLE4_COLUMNS)
    cells = [
        Cell(0, 0, TABLE4_GROUP_LABELS["reconsideration"], "head", colspan=n),
        Cell(0, n, "行政诉讼", "head", colspan=2 * n),
        *(Cell(1, i, TABLE4_COLUMN_LABELS[k], "head", rowspan=2)
          for i, k in enumerate(TABLE4_COLUMNS)),
    ]
    for g, group in enumerate(TABLE4_GROUPS[1:], start=1):
        cells.append(Cell(1, g * n, TABLE4_GROUP_LABELS[group], "head", colspan=n))
        cells += [Cell(2, g * n + i, TABLE4_COLUMN_LABELS[k], "head")
                  for i, k in enumerate(TABLE4_COLUMNS)]
    for g, group in enumerate(TABLE4_GROUPS):
        cells += [Cell(3, g * n + i, int(doc["table4"][group][k]))
                  for i, k in enumerate(TABLE4_COLUMNS)]
    return Grid(SECTIONS["四"], tuple(cells), (9,) * (3 * n), head_rows=3)


def table2(doc: Mapping[str, Any]) -> Grid:
    span = max(len(figures) for _, figures, _ in TABLE2_ARTICLES)
    cells: list[Cell] = []
    row = 0
    for article, figures, items in TABLE2_ARTICLES:
        width = span // len(figures)  # one figure spans all three value columns
        cells.append(Cell(row, 0, article, "head", colspan=span + 1))
        cells.append(Cell(row + 1, 0, "信息内容", "head"))
        cells += [Cell(row + 1, 1 + i * width, TABLE2_FIGURES[f], "head", colspan=width)
                  for i, f in enumerate(figures)]
        row += 2
        for item in items:
            cells.append(Cell(row, 0, TABLE2_ITEMS[item], "label", key=item))
            cells += [Cell(row, 1 + i * width, _figure(doc["table2"][item][f]), colspan=width,
                           key=item)
                      for i, f in enumerate(figures)]
            row += 1
    return Grid(SECTIONS["二"], tuple(cells), (24, 16, 16, 16))


def _figure(value: Any) -> int | Decimal:
    # Counts are integers; the fee amount (万元) is a decimal string in the document.
    return value if isinstance(value, int) else Decimal(str(value))


def check_where(check: Mapping[str, Any]) -> str:
    """The column or row a check is about, in words: 自然人; 本年新收政府信息公开申请数量."""
    if check.get("column") in COLUMNS:
        return COLUMNS[check["column"]]
    if check.get("row") in ROWS:
        return ROWS[check["row"]].split("、", 1)[-1]
    return ""


def check_lines(doc: Mapping[str, Any]) -> list[tuple[bool, str, str]]:
    """Each check result of the document as (ok, what was checked, detail), in its order:
    (True, "第一项加第二项之和，等于第三项加第四项之和（自然人）", "7＋0＝6＋1")."""
    lines = []
    for check in doc.get("checks", []):
        rule = CHECK_RULES.get(check.get("rule", ""), check.get("rule", ""))
        where = check_where(check)
        lines.append((bool(check.get("ok")), f"{rule}（{where}）" if where else rule,
                      str(check.get("detail", ""))))
    return lines


def check_sentence(check: Mapping[str, Any]) -> str:
    """One check as a clerk reads it:
    相符：第一项加第二项之和，等于第三项加第四项之和（自然人），7＋0＝6＋1."""
    rule = CHECK_RULES.get(check.get("rule", ""), check.get("rule", ""))
    where = check_where(check)
    verdict = "相符" if check.get("ok") else "不相符"
    detail = str(check.get("detail") or "")
    return f"{verdict}：{rule}" + (f"（{where}）" if where else "") + (
        f"，{detail}" if detail else "")
