"""The report's tables as a standalone HTML page that reads like the published reports: title,
publication date, tables 二、三、四 in the official layout (table 三 with its three levels of row
headings, the 申请人情况 column group and the check note in its top-left cell), the check
relations in words, and the agency's signature."""

from __future__ import annotations

from datetime import date
from html import escape
from typing import Any

from services.reporting.adapters.exports import layout

STYLE = """
body { font-family: "SimSun", "宋体", "Songti SC", serif; margin: 2em auto; max-width: 1100px; }
h1 { text-align: center; font-size: 1.5em; margin-bottom: 0.3em; }
p.dated { text-align: center; margin-top: 0; }
h2 { font-size: 1.15em; margin-top: 1.6em; }
table { border-collapse: collapse; width: 100%; font-size: 0.9em; }
th, td { border: 1px solid #000; padding: 0.3em 0.4em; text-align: center; }
th { font-weight: bold; background: #f2f2f2; }
th[scope="row"] { font-weight: normal; text-align: left; background: none; }
td.note { font-size: 0.85em; text-align: left; }
ul.checks { list-style: none; padding-left: 0; font-size: 0.9em; }
.ok { color: #1a7f37; } .failed { color: #cf222e; font-weight: bold; }
.signature { margin: 2em 0 0 auto; width: 16em; text-align: center; }
.signature p { margin: 0.2em 0; }
footer { margin-top: 2em; color: #555; font-size: 0.85em; }
"""


def to_html(doc: dict[str, Any], agency_name: str, published_on: date | None = None) -> bytes:
    title = escape(layout.title(doc, agency_name))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN">',
        f'<head><meta charset="utf-8"><title>{title}</title><style>{STYLE}</style></head>',
        f"<body><h1>{title}</h1>",
    ]
    if published_on:
        parts.append(f'<p class="dated">{escape(layout.date_line(published_on))}</p>')
    for grid in (layout.table2(doc), layout.table3(doc), layout.table4(doc)):
        parts += [f"<h2>{escape(grid.caption)}</h2>", table(grid)]
    parts += _checks(doc)
    signature = layout.signature(doc, agency_name, published_on)
    if signature:
        parts.append('<div class="signature">'
                     + "".join(f"<p>{escape(line)}</p>" for line in signature) + "</div>")
    parts += [_footer(doc), "</body></html>", ""]
    return "\n".join(parts).encode("utf-8")


def table(grid: layout.Grid) -> str:
    """Cells are emitted row by row, left to right; HTML places each one after the columns
    taken by rowspans from above, which is where the grid put it."""
    rows = grid.rows()
    def tr(cells: list[layout.Cell]) -> str:
        key = next((c.key for c in cells if c.key), "")
        attr = f' data-row="{escape(key)}"' if key else ""
        return f"<tr{attr}>{''.join(cell(c) for c in cells)}</tr>"
    head = "".join(tr(r) for r in rows[:grid.head_rows])
    body = "".join(tr(r) for r in rows[grid.head_rows:])
    thead = f"<thead>{head}</thead>" if head else ""
    return f"<table>{thead}<tbody>{body}</tbody></table>"


def cell(c: layout.Cell) -> str:
    tag = "th" if c.scope else "td"
    attrs = "".join([
        f' scope="{c.scope}"' if c.scope else "",
        f' rowspan="{c.rowspan}"' if c.rowspan > 1 else "",
        f' colspan="{c.colspan}"' if c.colspan > 1 else "",
        ' class="note"' if c.kind == "note" else "",
    ])
    return f"<{tag}{attrs}>{escape(str(c.value))}</{tag}>"


def _checks(doc: dict[str, Any]) -> list[str]:
    lines = layout.check_lines(doc)
    passed = sum(ok for ok, _, _ in lines)
    items = [
        f'<li class="{"ok" if ok else "failed"}">{"✓ 相符" if ok else "✗ 不相符"}：'
        f"{escape(what)}，{escape(detail)}</li>"
        for ok, what, detail in lines
    ]
    return ["<h2>勾稽关系检查</h2>", f"<p>共{len(lines)}项，相符{passed}项。</p>",
            f'<ul class="checks">{"".join(items)}</ul>']


def _footer(doc: dict[str, Any]) -> str:
    event, at = escape(str(doc.get("as_of_event", ""))), escape(str(doc.get("generated_at", "")))
    return f"<footer><p>数据截至事件 {event}；生成时间 {at}。</p></footer>"
