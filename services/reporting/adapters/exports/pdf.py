"""The whole annual report as a PDF for publication: A4, the Chinese font embedded (subset, the
same font the letters use: shared/cjk_font.py), title and date line, sections 一–六 with the
draft's prose, tables 二、三、四 drawn from the shared grids (merged cells as in the published
form) and the agency's signature (落款). Drawn with fpdf2, as the letters are; no network."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from services.reporting.adapters.exports import layout
from services.reporting.adapters.exports import prose as default_prose
from shared.cjk_font import break_lines, cjk_font
from shared.clock import SHANGHAI

INDENT = "\u3000\u3000"  # two full-width spaces: the first-line indent of Chinese prose
BODY, LINE = 12, 7.0  # pt, mm
TABLE_SIZES = {"二": 9.0, "三": 7.5, "四": 7.5}
PAD = 1.0  # mm of padding above and below a cell's text
SIGNATURE_WIDTH = 70  # mm


class _Report(FPDF):
    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("cjk", size=9)
        self.cell(0, 6, f"— {self.page_no()} —", align=Align.C)

    def lines(self, text: str, width: float) -> list[str]:
        return [line for line, _ in break_lines(text, width, self.get_string_width,
                                                split_long=False)]

    def paragraph(self, text: str, size: float, height: float, align: str = "L",
                  width: float = 0, x: float = 0) -> None:
        self.set_font("cjk", size=size)
        width = width or self.epw
        for line in self.lines(text, width):
            self.set_x(self.l_margin + x)
            self.cell(width, height, line, align=Align.C if align == "C" else Align.L,
                      new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def to_pdf(doc: dict[str, Any], agency_name: str, published_on: date | None = None) -> bytes:
    path, face = cjk_font()
    pdf = _Report(orientation="portrait", unit="mm", format="A4")
    pdf.set_margins(left=20, top=22, right=20)
    pdf.set_auto_page_break(auto=True, margin=22)
    pdf.add_font("cjk", fname=str(path), collection_font_number=face)
    # Embedding the font's subset was two thirds of a report's time, most of it fontTools
    # recomputing the bounding boxes of every glyph used, glyph by glyph in Python, for
    # tables the PDF ignores (the font descriptor's box is the whole font's, read when the
    # font is added). Not recomputed, the pages draw exactly the same.
    pdf.fonts["cjk"].ttfont.recalcBBoxes = False
    title = layout.title(doc, agency_name)
    # Fixed metadata: the same figures and date render to the same bytes.
    dated = published_on or date(int(doc["year"]) + 1, 1, 1)
    pdf.set_creation_date(datetime.combine(dated, time(), SHANGHAI))
    pdf.set_title(title)
    pdf.set_author(agency_name)
    pdf.set_creator("gongkai")
    pdf.set_producer("gongkai")
    pdf.add_page()

    pdf.paragraph(title, 18, 10, "C")
    if published_on:
        pdf.paragraph(layout.date_line(published_on), BODY, LINE, "C")
    pdf.ln(4)
    for text in default_prose.preamble(doc):
        pdf.paragraph(INDENT + text, BODY, LINE)
    texts = default_prose.sections(doc, agency_name)
    grids = {"二": layout.table2, "三": layout.table3, "四": layout.table4}
    for key, heading in layout.SECTIONS.items():
        pdf.ln(2)
        if key in grids:
            grid = grids[key](doc)
            size = TABLE_SIZES[key]
            heights = _row_heights(pdf, grid, size)
            # A table starts on the page that holds it whole, with its heading.
            if pdf.get_y() + LINE + 2 + sum(heights) > pdf.page_break_trigger:
                pdf.add_page()
            pdf.paragraph(heading, 14, LINE + 1)
            pdf.ln(1)
            _table(pdf, grid, size, heights)
        else:
            pdf.paragraph(heading, 14, LINE + 1)
        for text in texts[key]:
            pdf.paragraph(INDENT + text, BODY, LINE)
    signature = layout.signature(doc, agency_name, published_on)
    if signature:
        if pdf.get_y() + 12 + LINE * len(signature) > pdf.page_break_trigger:
            pdf.add_page()
        pdf.ln(12)
        for line in signature:  # a centred block on the right: agency, date
            pdf.paragraph(line, BODY + 1, LINE, "C", SIGNATURE_WIDTH, pdf.epw - SIGNATURE_WIDTH)
    return bytes(pdf.output())


def _widths(pdf: FPDF, grid: layout.Grid) -> list[float]:
    total = sum(grid.widths)
    return [pdf.epw * w / total for w in grid.widths]


def _cell_lines(pdf: _Report, c: layout.Cell, widths: list[float], size: float) -> list[str]:
    pdf.set_font("cjk", size=size)
    return pdf.lines(str(c.value), sum(widths[c.col:c.col + c.colspan]) - 2 * PAD)


def _row_heights(pdf: _Report, grid: layout.Grid, size: float) -> list[float]:
    widths = _widths(pdf, grid)
    line = size * 0.3528 * 1.3  # mm per line: the font size in points, with leading
    heights = [line + 2 * PAD] * grid.n_rows
    for c in sorted(grid.cells, key=lambda c: c.rowspan):  # single rows first, then spans
        needed = len(_cell_lines(pdf, c, widths, size)) * line + 2 * PAD
        rows = range(c.row, c.row + c.rowspan)
        short = needed - sum(heights[r] for r in rows)
        if short > 0:  # a spanning cell that needs more room grows its rows evenly
            for r in rows:
                heights[r] += short / c.rowspan
    return heights


def _table(pdf: _Report, grid: layout.Grid, size: float, heights: list[float]) -> None:
    widths = _widths(pdf, grid)
    line = size * 0.3528 * 1.3
    x0, y0 = pdf.l_margin, pdf.get_y()
    xs = [x0 + sum(widths[:i]) for i in range(grid.n_cols + 1)]
    ys = [y0 + sum(heights[:i]) for i in range(grid.n_rows + 1)]
    pdf.set_line_width(0.2)
    for c in grid.cells:
        x, y = xs[c.col], ys[c.row]
        w, h = xs[c.col + c.colspan] - x, ys[c.row + c.rowspan] - y
        pdf.rect(x, y, w, h)
        texts = _cell_lines(pdf, c, widths, size)
        top = y + (h - len(texts) * line) / 2
        align = Align.L if c.kind in ("label", "note") else Align.C
        for i, text in enumerate(texts):
            pdf.set_xy(x + PAD, top + i * line)
            pdf.cell(w - 2 * PAD, line, text, align=align)
    pdf.set_xy(x0, ys[-1] + 3)
