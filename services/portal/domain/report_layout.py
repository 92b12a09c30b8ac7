"""Table 三 of the annual report laid out as the official form prints it (国办公开办函〔2021〕30号):
three levels of row headings with their spans, then the seven applicant columns."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from shared.contracts.report_format import (
    COLUMNS,
    OUTCOMES,
    TABLE2,
    TABLE2_ARTICLES,
    TABLE2_FIGURES,
    TABLE2_ITEMS,
    TABLE4_COLUMNS,
    TABLE4_GROUPS,
)

GROUPS = [  # (heading, outcome prefix or key)
    ("（一）予以公开", "disclosed"),
    ("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "partially_disclosed"),
    ("（三）不予公开", "withheld."),
    ("（四）无法提供", "unable."),
    ("（五）不予处理", "not_processed."),
    ("（六）其他处理", "other."),
]
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


def _leaf_label(key: str) -> str:
    label = OUTCOMES[key]
    return label.split(")", 1)[-1] if "." in key else label


def table3_rows(table3: dict[str, dict[str, int]]) -> list[Row]:
    def values(key: str) -> list[int]:
        return [table3[key][c] for c in COLUMNS]

    rows = [Row("new", [Heading("一、本年新收政府信息公开申请数量", colspan=3)], values("new")),
            Row("carried_over", [Heading("二、上年结转政府信息公开申请数量", colspan=3)],
                values("carried_over"))]
    result_rows: list[Row] = []
    for heading, prefix in GROUPS:
        leaves = [k for k in OUTCOMES if k == prefix or (prefix.endswith(".")
                                                        and k.startswith(prefix))]
        if len(leaves) == 1 and not prefix.endswith("."):
            result_rows.append(Row(prefix, [Heading(heading, colspan=2)], values(prefix)))
            continue
        for i, key in enumerate(leaves):
            cells = [Heading(heading, rowspan=len(leaves))] if i == 0 else []
            cells.append(Heading(_leaf_label(key)))
            result_rows.append(Row(key, cells, values(key)))
    result_rows.append(Row("total", [Heading("（七）总计", colspan=2)], values("total")))
    result_rows[0].headings.insert(0, Heading("三、本年度办理结果", rowspan=len(result_rows)))
    rows += result_rows
    rows.append(Row("carried_forward", [Heading("四、结转下年度继续办理", colspan=3)],
                    values("carried_forward")))
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
