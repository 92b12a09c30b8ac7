"""Tables 二, 三 and 四 as an XLSX workbook laid out like the published tables."""

from __future__ import annotations

import io
import math
import unicodedata
from datetime import date
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from services.reporting.adapters.exports import layout
from shared.tabular import is_formula_like

FONT = "宋体"  # present wherever Chinese Office/WPS is; Latin-only fonts show CJK as boxes
LINE_HEIGHT = 15  # points per line of an 11-point font
_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
TITLE_ROWS = 3  # the report title, the publication date line, then the table's own heading


def to_xlsx(doc: dict[str, Any], agency_name: str, published_on: date | None = None) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    dated = layout.date_line(published_on) if published_on else ""
    for grid in (layout.table2(doc), layout.table3(doc), layout.table4(doc)):
        _sheet(workbook.create_sheet(grid.caption), grid, layout.title(doc, agency_name), dated)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _put(ws: Worksheet, row: int, col: int, value: str | int | Decimal) -> Cell:
    """Every cell is written here. Text is a text cell whatever it begins with (openpyxl would
    make "=…" a formula: the title begins with the agency's name); text a spreadsheet would
    read as a formula also gets Excel's quote prefix, the mark Excel itself sets when someone
    types a leading apostrophe: shown exactly as written, and still text when edited."""
    cell = ws.cell(row, col)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if is_formula_like(value):
            cell.quotePrefix = True
    return cell


def _sheet(ws: Worksheet, grid: layout.Grid, title: str, dated: str) -> None:
    _put(ws, 1, 1, title).font = Font(name=FONT, size=14, bold=True)
    ws.cell(1, 1).alignment = Alignment(horizontal="center")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=grid.n_cols)
    if dated:
        _put(ws, 2, 1, dated).font = Font(name=FONT, size=11)
        ws.cell(2, 1).alignment = Alignment(horizontal="center")
        ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=grid.n_cols)
    _put(ws, 3, 1, grid.caption).font = Font(name=FONT, size=12, bold=True)
    for i, width in enumerate(grid.widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    # Borders go on every cell of the table, merged ones included: Excel draws a merged
    # range's border from its member cells, not from the top-left one alone.
    for row in ws.iter_rows(min_row=TITLE_ROWS + 1, max_row=TITLE_ROWS + grid.n_rows,
                            max_col=grid.n_cols):
        for cell in row:
            cell.border = _BORDER
            cell.font = Font(name=FONT)
    for c in grid.cells:
        _write(ws, c)
    for r, height in _row_heights(grid).items():
        ws.row_dimensions[TITLE_ROWS + 1 + r].height = height
    if grid.head_rows:  # keep the column header in view while scrolling the 25 rows
        ws.freeze_panes = ws.cell(TITLE_ROWS + 1 + grid.head_rows, 1)


def _write(ws: Worksheet, c: layout.Cell) -> None:
    row, col = TITLE_ROWS + 1 + c.row, 1 + c.col
    cell = _put(ws, row, col, c.value)
    cell.font = Font(name=FONT, bold=c.kind == "head")
    cell.alignment = Alignment(horizontal="left" if c.kind in ("label", "note") else "center",
                               vertical="center", wrap_text=True)
    if c.rowspan > 1 or c.colspan > 1:
        ws.merge_cells(start_row=row, start_column=col,
                       end_row=row + c.rowspan - 1, end_column=col + c.colspan - 1)


def _row_heights(grid: layout.Grid) -> dict[int, float]:
    # Excel does not grow rows for wrapped text when it opens a file, so long labels get the
    # height of the lines they wrap to.
    lines: dict[int, int] = {}
    for c in grid.cells:
        if c.rowspan == 1:
            room = max(sum(grid.widths[c.col:c.col + c.colspan]) - 1, 1)
            lines[c.row] = max(lines.get(c.row, 1), math.ceil(_text_width(str(c.value)) / room))
    return {r: n * LINE_HEIGHT for r, n in lines.items() if n > 1}


def _text_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
