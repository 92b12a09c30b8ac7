"""Table 三 of the annual report laid out as the official form prints it (国办公开办函〔2021〕30号):
three levels of row headings with their spans, then the seven applicant columns."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from shared.contracts.report_format import (
    COLUMNS,
    TABLE2,
    TABLE2_ARTICLES,
    TABLE2_FIGURES,
    TABLE2_ITEMS,
    TABLE4_COLUMNS,
    TABLE4_GROUPS,
)
from shared.report_layout import Cell, table3_headings
from shared.report_layout import table3 as layout_table3

# Table 二's items in the official order, each with its article heading (the contract's).
TABLE2_LABELS = {item: (article, TABLE2_ITEMS[item])
                 for article, _, items in TABLE2_ARTICLES for item in items}


@dataclass
class Heading:
    text: str
    rowspan: int = 1
    colspan: int = 1


@dataclass
class Row:
    key: str
    headings: list[Heading]
    values: list[int]


class Table3Rows(list[Row]):
    """The body rows of table 三; `head`: the rows of its column header (the check note over
    three rows and columns, 申请人情况, 自然人 / 法人或其他组织 … / 总计), as cells of the shared
    grid."""

    head: list[list[Cell]]


def table3_rows(table3: dict[str, dict[str, int]]) -> Table3Rows:
    """Table 三 in the official layout, which reporting's exports draw too (one owner:
    shared/report_layout.py): three levels of row headings with their spans."""
    rows = Table3Rows(
        Row(key, [Heading(text, rowspan, colspan) for _, text, rowspan, colspan in headings],
            [table3[key][c] for c in COLUMNS])
        for key, headings in table3_headings())
    grid = layout_table3({"table3": table3})
    rows.head = grid.rows()[:grid.head_rows]
    return rows


def table4_cells(table4: dict[str, dict[str, int]]) -> list[int]:
    return [table4[g][c] for g in TABLE4_GROUPS for c in TABLE4_COLUMNS]


def table2_rows(table2: dict[str, dict[str, Any]]) -> list[tuple[str, str, list[tuple[str, Any]]]]:
    return [(article, label, [(TABLE2_FIGURES[f], v) for f, v in table2.get(key, {}).items()])
            for key, (article, label) in TABLE2_LABELS.items()]

# The entry form's fields: (name, label) in the official order.
TABLE2_FIELDS = [(f"{key}.{figure}", f"{article} {label}：{TABLE2_FIGURES[figure]}")
                 for key, (article, label) in TABLE2_LABELS.items()
                 for figure in TABLE2.get(key, ("amount_10k_yuan",))]


def check_table2(form: Any, year: int) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """Table 二 as entered on the form (fields `rules.issued` …): the API body, every error by
    field, and the values to show again."""
    body: dict[str, Any] = {"year": year}
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    for key, (_, label) in TABLE2_LABELS.items():
        figures = TABLE2.get(key, ("amount_10k_yuan",))
        body[key] = {}
        for figure in figures:
            name = f"{key}.{figure}"
            raw = str(form.get(name) or "0").strip()
            values[name] = raw
            if figure == "amount_10k_yuan":
                try:
                    amount = Decimal(raw)
                except InvalidOperation:
                    amount = Decimal(-1)
                if amount < 0 or amount.as_tuple().exponent < -4:
                    errors[name] = f"{label}{TABLE2_FIGURES[figure]}应为不小于0的数，最多4位小数"
                body[key][figure] = raw
            elif not raw.isdigit():
                errors[name] = f"{label}{TABLE2_FIGURES[figure]}应为不小于0的整数"
            else:
                body[key][figure] = int(raw)
    return body, errors, values
