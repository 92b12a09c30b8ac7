"""The published layout of tables 二, 三 and 四 (国办公开办函〔2021〕30号) as grids of cells.

XLSX, HTML and DOCX all draw these same grids, so the merged headers are described once, here,
and each format only has to know how to draw a cell that spans rows or columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from services.reporting.domain.report import (
    APPLICANT_COLUMNS,
    COLUMNS,
    ROWS,
    TABLE4_COLUMNS,
    TABLE4_GROUPS,
)
from shared.contracts.report_format import (
    TABLE2_ARTICLES,
    TABLE2_FIGURES,
    TABLE2_ITEMS,
    TABLE4_COLUMN_LABELS,
    TABLE4_GROUP_LABELS,
)

SECTIONS: dict[str, str] = {
    "一": "一、总体情况",
    "二": "二、主动公开政府信息情况",
    "三": "三、收到和处理政府信息公开申请情况",
    "四": "四、政府信息公开行政复议、行政诉讼情况",
    "五": "五、存在的主要问题及改进情况",
    "六": "六、其他需要报告的事项",
}

CHECK_RULES = {
    "balance": "一＋二＝（七）总计＋四",
    "total_is_sum_of_outcomes": "（七）总计＝21项办理结果之和",
    "total_column_is_sum": "总计列＝六类申请人之和",
    "carried_over_equals_previous_carried_forward": "二（上年结转）＝上年度四（结转下年度）",
}

Kind = Literal["head", "label", "value"]


@dataclass(frozen=True)
class Cell:
    row: int
    col: int
    value: str | int | Decimal
    kind: Kind = "value"
    rowspan: int = 1
    colspan: int = 1


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


def title(doc: dict[str, Any], agency_name: str) -> str:
    return f"{agency_name}{doc['year']}年政府信息公开工作年度报告"


def table3(doc: dict[str, Any]) -> Grid:
    orgs = [k for k in APPLICANT_COLUMNS if k != "natural_person"]
    last = 2 + len(orgs)
    cells = [
        Cell(0, 0, "项目", "head", rowspan=2),
        Cell(0, 1, COLUMNS["natural_person"], "head", rowspan=2),
        Cell(0, 2, "法人或其他组织", "head", colspan=len(orgs)),
        Cell(0, last, COLUMNS["total"], "head", rowspan=2),
        *(Cell(1, 2 + i, APPLICANT_COLUMNS[k], "head") for i, k in enumerate(orgs)),
    ]
    # Column order of the body must match the header: 自然人, the five organisations, 总计.
    order = ["natural_person", *orgs, "total"]
    for r, (key, label) in enumerate(ROWS.items(), start=2):
        cells.append(Cell(r, 0, label, "label"))
        cells += [Cell(r, 1 + i, int(doc["table3"][key][c])) for i, c in enumerate(order)]
    return Grid(SECTIONS["三"], tuple(cells), (48, *(9,) * len(order)), head_rows=2)


def table4(doc: dict[str, Any]) -> Grid:
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


def table2(doc: dict[str, Any]) -> Grid:
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
            cells.append(Cell(row, 0, TABLE2_ITEMS[item], "label"))
            cells += [Cell(row, 1 + i * width, _figure(doc["table2"][item][f]), colspan=width)
                      for i, f in enumerate(figures)]
            row += 1
    return Grid(SECTIONS["二"], tuple(cells), (24, 16, 16, 16))


def _figure(value: Any) -> int | Decimal:
    # Counts are integers; the fee amount (万元) is a decimal string in the document.
    return value if isinstance(value, int) else Decimal(str(value))


def checks(doc: dict[str, Any]) -> list[tuple[bool, str, str]]:
    """Each 勾稽关系 result as (ok, what was checked, detail), in the document's order."""
    lines = []
    for check in doc.get("checks", []):
        where = COLUMNS.get(check.get("column", ""), ROWS.get(check.get("row", ""), ""))
        rule = CHECK_RULES.get(check["rule"], check["rule"])
        lines.append((bool(check["ok"]), f"{rule}（{where}）" if where else rule,
                      str(check.get("detail", ""))))
    return lines
