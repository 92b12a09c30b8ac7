"""`gongkai check-published TOTALS.csv`: check a published table 三 on its own, without a ledger.

An agency whose published tables do not balance (张店区民政局 2020: 一=2, 二=1, but (七)=0,
四=0; docs/report-format.md#published-reports) has no ledger to import, yet the clerk wants to
know what is wrong before the figures are quoted again. The file is read as the ledger import
reads published figures (shared/published.py: the same CSV, row names with or without
numbering, column labels or keys), and checked with the same relations (shared/report_rules.py):
per column, 一 + 二 = (七) + 四; (七) = the sum of the 21 results; the 总计 column = the sum of
the six applicant columns; and, for consecutive years in the file, 二 of a year = 四 of the year
before.

Output is in Chinese for the clerk, every problem at once. Exit status: 0 when every check
holds, 1 when one fails, 2 when the file cannot be read.
"""

from __future__ import annotations

from pathlib import Path

import typer

from shared.contracts.report_format import COLUMNS
from shared.published import PublishedError, read_published, year_results

FAILED, UNREADABLE = 1, 2
FIELDS = {"year": "年度", "row": "项目", **COLUMNS, "other_org": "其他（法人或其他组织）"}


def check_published(
    path: Path = typer.Argument(..., help="CSV of published table-三 figures "
                                "(year,row,natural_person,…,total; see shared/published.py)"),
) -> None:
    """Check published table-三 figures alone: balance, sums and the carry-over between years."""
    try:
        data = path.read_bytes()
    except OSError as e:
        typer.echo(f"无法读取文件“{str(path)}”：{e.strerror or str(e)}")
        raise typer.Exit(UNREADABLE) from None
    try:
        published = read_published(data)
    except PublishedError as e:
        typer.echo(f"文件“{path.name}”有{len(e.problems)}处问题，未能核对：")
        for p in e.problems:
            where = f"第{p.line}行" if p.line else "整个文件"
            typer.echo(f"  {where} {FIELDS.get(p.field, p.field)}：{p.message}")
        raise typer.Exit(UNREADABLE) from None

    results = year_results(published)
    years = "、".join(f"{y}年" for y in results)
    typer.echo(f"核对文件“{path.name}”中公布的表三数据（{years}）：")
    problems = 0
    for year, (checked, warnings) in results.items():
        if not warnings:
            typer.echo(f"  {year}年：{checked}项勾稽关系全部相符。")
            continue
        typer.echo(f"  {year}年：{checked}项勾稽关系中有不相符的情况：")
        for warning in warnings:
            problems += 1
            typer.echo(f"    {problems}. {warning}")
    if problems:
        typer.echo(f"共发现{problems}处问题。公布数据照原样保留，请核实后更正或加以说明。")
        raise typer.Exit(FAILED)
    typer.echo("全部核对相符。")
