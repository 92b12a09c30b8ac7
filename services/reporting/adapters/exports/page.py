"""Tables 二, 三 and 四 as a standalone HTML page that reads like the published reports."""

from __future__ import annotations

from html import escape
from itertools import groupby
from typing import Any

from services.reporting.adapters.exports import layout

STYLE = """
body { font-family: "SimSun", "宋体", "Songti SC", serif; margin: 2em auto; max-width: 1100px; }
h1 { text-align: center; font-size: 1.5em; }
h2 { font-size: 1.15em; margin-top: 1.6em; }
table { border-collapse: collapse; width: 100%; font-size: 0.9em; }
th, td { border: 1px solid #000; padding: 0.3em 0.4em; text-align: center; }
th { font-weight: bold; background: #f2f2f2; }
td.label { text-align: left; }
ul.checks { list-style: none; padding-left: 0; font-size: 0.9em; }
.ok { color: #1a7f37; } .failed { color: #cf222e; font-weight: bold; }
footer { margin-top: 2em; color: #555; font-size: 0.85em; }
"""


def to_html(doc: dict[str, Any], agency_name: str) -> bytes:
    title = escape(layout.title(doc, agency_name))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN">',
        f'<head><meta charset="utf-8"><title>{title}</title><style>{STYLE}</style></head>',
        f"<body><h1>{title}</h1>",
    ]
    for grid in (layout.table2(doc), layout.table3(doc), layout.table4(doc)):
        parts += [f"<h2>{escape(grid.caption)}</h2>", _table(grid)]
    parts += [*_checks(doc), _footer(doc), "</body></html>", ""]
    return "\n".join(parts).encode("utf-8")


def _table(grid: layout.Grid) -> str:
    # Cells are emitted row by row, left to right; HTML then places each one after the
    # columns taken by rowspans from above, which is where the grid put it.
    rows = {r: [_cell(c) for c in cells]
            for r, cells in groupby(sorted(grid.cells, key=lambda c: (c.row, c.col)),
                                    key=lambda c: c.row)}
    head = [f"<tr>{''.join(rows.get(r, []))}</tr>" for r in range(grid.head_rows)]
    body = [f"<tr>{''.join(rows.get(r, []))}</tr>" for r in range(grid.head_rows, grid.n_rows)]
    thead = f"<thead>{''.join(head)}</thead>" if head else ""
    return f"<table>{thead}<tbody>{''.join(body)}</tbody></table>"


def _cell(c: layout.Cell) -> str:
    tag = "th" if c.kind == "head" else "td"
    attrs = "".join([
        f' rowspan="{c.rowspan}"' if c.rowspan > 1 else "",
        f' colspan="{c.colspan}"' if c.colspan > 1 else "",
        ' class="label"' if c.kind == "label" else "",
    ])
    return f"<{tag}{attrs}>{escape(str(c.value))}</{tag}>"


def _checks(doc: dict[str, Any]) -> list[str]:
    lines = layout.checks(doc)
    passed = sum(ok for ok, _, _ in lines)
    items = [
        f'<li class="{"ok" if ok else "failed"}">{"✓" if ok else "✗"} '
        f"{escape(what)}：{escape(detail)}</li>"
        for ok, what, detail in lines
    ]
    return ["<h2>勾稽关系检查</h2>", f"<p>共{len(lines)}项，通过{passed}项。</p>",
            f'<ul class="checks">{"".join(items)}</ul>']


def _footer(doc: dict[str, Any]) -> str:
    event, at = escape(str(doc.get("as_of_event", ""))), escape(str(doc.get("generated_at", "")))
    return f"<footer><p>数据截至事件 {event}；生成时间 {at}。</p></footer>"
