"""Table 三 figures an agency published before it used the system, and what is wrong with them.
Pure; in shared/ because two services read them: intake checks them against a ledger about to be
imported, and reporting (services/reporting/domain/published.py re-exports this module).

Published tables are often inconsistent (张店区民政局 2020: 一=2, 二=1, but (七)=0, 四=0; see
docs/report-format.md#published-reports), so
they are imported as given and checked, never corrected. CSV, UTF-8 (BOM optional) or GB18030;
``#`` lines above the header are comments (say where the figures come from)::

    year,row,natural_person,commercial_enterprise,research_institution,public_interest_org,legal_service_org,other_org,total
    2019,一、本年新收政府信息公开申请数量,7,,,,,,7
    2019,disclosed,2,0,0,0,0,0,2

``row`` is a row key of docs/report-format.md#table-3 or its label, with or without numbering
(matched like the ledger's outcomes, `shared.tabular.label_key`); headers may also be the
column labels (自然人 … 总计, 年度, 项目). Empty cells and absent rows are 0. The 总计 column and
the 三(七) row are read as published, not derived: recomputing them would hide the very errors
the warnings are for.
"""  # noqa: E501

from __future__ import annotations

import re
from collections.abc import Mapping

from shared.contracts.report_format import COLUMNS, OUTCOMES, ROWS
from shared.report_rules import checks
from shared.tabular import Problem, canon, csv_records, label_key, split_header

Figures = dict[int, dict[str, dict[str, int]]]  # year -> row key -> column key -> count

_HEADER = ({canon(k): k for k in ("year", "row", *COLUMNS)}
           | {canon(label): key for key, label in COLUMNS.items()}
           | {"年度": "year", "年份": "year", "项目": "row"})
# "其他" alone reads like the 其他 outcome row; name the column's group as well.
_COLUMN_NAMES = {**COLUMNS, "other_org": "其他（法人或其他组织）"}


class PublishedError(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: p.line)
        shown = "；".join(f"第{p.line}行 {p.field}：{p.message}" for p in self.problems[:3])
        super().__init__(f"公布数据有{len(problems)}处问题，未导入：{shown}")


def _complete(table: Mapping[str, Mapping[str, int]]) -> dict[str, dict[str, int]]:
    return {r: {c: int(table.get(r, {}).get(c, 0)) for c in COLUMNS} for r in ROWS}


def read_published(data: bytes) -> Figures:
    records = csv_records(data)
    if records is None:
        raise PublishedError([Problem(0, "file", "文件编码无法识别，请另存为UTF-8编码的CSV")])
    found = split_header(records)
    if found is None:
        raise PublishedError([Problem(0, "file", "文件为空，没有表头行")])
    header_line, header, body = found
    problems: list[Problem] = []
    fields = [_HEADER.get(canon(name)) for name in header]
    problems += [Problem(header_line, name, f"无法识别的列名“{name}”")
                 for name, field in zip(header, fields, strict=True) if field is None]
    problems += [Problem(header_line, key, f"缺少列“{key}”")
                 for key in ("year", "row", *COLUMNS) if key not in fields]
    if any(key not in fields for key in ("year", "row")):
        raise PublishedError(problems)  # every data line would repeat the same complaint

    found_rows: dict[int, dict[str, dict[str, int]]] = {}
    where: dict[tuple[int, str], int] = {}
    for line, cells in body:
        values = {f: v.strip() for f, v in zip(fields, cells, strict=False) if f}
        if not any(values.values()):
            continue
        match = re.fullmatch(r"(\d{4})年?", canon(values.get("year")))
        year = int(match[1]) if match and 2008 <= int(match[1]) <= 2100 else None
        if year is None:
            problems.append(Problem(line, "year", f"年度无法识别：{values.get('year', '')}"))
        row = label_key(values.get("row"), ROWS)
        if row is None:
            problems.append(Problem(line, "row", f"不是表三的行：{values.get('row', '')}"))
        counts: dict[str, int] = {}
        for column in COLUMNS:
            text = canon(values.get(column))
            if not text or (text.isascii() and text.isdigit()):
                counts[column] = int(text or 0)
            else:
                problems.append(Problem(line, column, f"应为非负整数：{values[column]}"))
        if year is None or row is None:
            continue
        if (year, row) in where:
            message = f"{year}年“{ROWS[row]}”与第{where[year, row]}行重复"
            problems.append(Problem(line, "row", message))
        where.setdefault((year, row), line)
        found_rows.setdefault(year, {})[row] = counts
    if not problems and not found_rows:
        problems.append(Problem(header_line, "file", "文件只有表头，没有数据"))
    if problems:
        raise PublishedError(problems)
    return {year: _complete(table) for year, table in sorted(found_rows.items())}


def _relations(year: int, t3: dict[str, dict[str, int]], before: dict[str, int] | None,
               ) -> list[str]:
    """One warning per broken check relation (docs/report-format.md#checks), naming the
    columns/rows and numbers."""
    failed: dict[str, list[str]] = {}
    for check in checks(t3, before):
        if check["ok"]:
            continue
        rule, column = check["rule"], check.get("column", "")
        name = _COLUMN_NAMES.get(column, "")
        if rule == "balance":
            new, over = t3["new"][column], t3["carried_over"][column]
            done, forward = t3["total"][column], t3["carried_forward"][column]
            detail = f"{name}列 {new} + {over} ≠ {done} + {forward}"
        elif rule == "total_is_sum_of_outcomes":
            leaves = sum(t3[o][column] for o in OUTCOMES)
            detail = f"{name}列 总计{t3['total'][column]}，各项之和{leaves}"
        elif rule == "total_column_is_sum":
            row = t3[check["row"]]
            parts = sum(v for c, v in row.items() if c != "total")
            detail = f"“{ROWS[check['row']]}”行 总计{row['total']}，六类申请人之和{parts}"
        else:  # carried_over_equals_previous_carried_forward
            detail = f"{name}列 {t3['carried_over'][column]} ≠ {(before or {}).get(column, 0)}"
        failed.setdefault(rule, []).append(detail)
    heading = {
        "balance": f"{year}年公布的表三不平衡（一加二应等于三(七)加四）",
        "total_is_sum_of_outcomes": f"{year}年公布的三(七)总计不等于{len(OUTCOMES)}项办理结果之和",
        "total_column_is_sum": f"{year}年公布的总计列不等于六类申请人之和",
        "carried_over_equals_previous_carried_forward":
            f"{year}年公布的“二、上年结转”不等于{year - 1}年公布的“四、结转下年度继续办理”",
    }
    return [f"{heading[rule]}：{'；'.join(details)}" for rule, details in failed.items()]


def year_results(published: Mapping[int, Mapping[str, Mapping[str, int]]],
                 ) -> dict[int, tuple[int, list[str]]]:
    """For each year of a published table alone (no ledger): how many check relations
    (docs/report-format.md#checks) were checked (the cross-year one when the year before is in
    the file too) and the warnings about those that fail, in Chinese."""
    results: dict[int, tuple[int, list[str]]] = {}
    for year in sorted(published):
        t3 = _complete(published[year])
        before = _complete(published[year - 1])["carried_forward"] \
            if year - 1 in published else None
        results[year] = (len(checks(t3, before)), _relations(year, t3, before))
    return results


def warnings_for(published: Mapping[int, Mapping[str, Mapping[str, int]]],
                 computed: Mapping[int, Mapping[str, Mapping[str, int]]] | None = None,
                 ) -> list[str]:
    """Warnings (in Chinese, year by year) about the published figures: every broken relation,
    then, when ``computed`` (the figures derived from the ledger) is given, every differing cell
    of the years both have."""
    warnings: list[str] = []
    for year in sorted(published):
        t3 = _complete(published[year])
        before = _complete(published[year - 1])["carried_forward"] \
            if year - 1 in published else None
        warnings += _relations(year, t3, before)
        if computed is None or year not in computed:
            continue
        ours = _complete(computed[year])
        warnings += [f"{year}年 {ROWS[r]} · {_COLUMN_NAMES[c]}列：公布为{t3[r][c]}，"
                     f"系统根据台账计算为{ours[r][c]}"
                     for r in ROWS for c in COLUMNS if t3[r][c] != ours[r][c]]
    return warnings
