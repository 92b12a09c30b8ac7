"""The whole annual report as an editable DOCX draft: sections 一–六, tables 二、三、四 filled."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from docx import Document
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.styles.style import BaseStyle

from services.reporting.adapters.exports import layout
from services.reporting.adapters.exports import prose as default_prose

BODY_FONT, HEADING_FONT, LATIN_FONT = "宋体", "黑体", "Times New Roman"
TEXT_WIDTH_CM = 15.6  # A4 less 2.8 cm and 2.6 cm margins, as in GB/T 9704 documents
TABLES = {"二": (layout.table2, 10.5), "三": (layout.table3, 9), "四": (layout.table4, 9)}


def to_docx(doc: dict[str, Any], agency_name: str, published_on: date | None = None,
            prose: dict[str, str] | None = None) -> bytes:
    """`prose` replaces the default text of a section by key "一".."六" (one paragraph per
    line); in 二、三、四 it goes above the table. The publication date goes under the title and
    into the signature (落款) at the end."""
    document = Document()
    _page(document)
    _styles(document)
    document.add_paragraph(layout.title(doc, agency_name), style="Title")
    if published_on:
        dated = document.add_paragraph(layout.date_line(published_on))
        dated.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _paragraphs(document, default_prose.preamble(doc))
    defaults = default_prose.sections(doc, agency_name)
    overrides = prose or {}
    for key, heading in layout.SECTIONS.items():
        document.add_heading(heading, level=1)
        text = overrides.get(key)
        _paragraphs(document, text.splitlines() if text is not None else defaults[key])
        if key in TABLES:
            build, size = TABLES[key]
            _table(document, build(doc), size)
    signature = layout.signature(doc, agency_name, published_on)
    for i, line in enumerate(signature):
        paragraph = document.add_paragraph(line)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        if i == 0:
            paragraph.paragraph_format.space_before = Pt(36)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _page(document: Any) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin = section.bottom_margin = Cm(2.54)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)


def _styles(document: Any) -> None:
    styles = document.styles
    _font(styles["Normal"], BODY_FONT, 12)
    _font(styles["Title"], BODY_FONT, 18, bold=True)
    _font(styles["Heading 1"], HEADING_FONT, 14, bold=False)
    title = styles["Title"].paragraph_format
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    # The default template underlines the title in blue; Chinese government reports do not.
    borders = styles["Title"].element.pPr.find(qn("w:pBdr"))
    if borders is not None:
        styles["Title"].element.pPr.remove(borders)
    heading = styles["Heading 1"].paragraph_format
    heading.space_before, heading.space_after = Pt(12), Pt(6)


def _font(style: BaseStyle, name: str, size: float, *, bold: bool | None = None) -> None:
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.color.rgb = RGBColor(0, 0, 0)
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    # Word and WPS pick the Chinese glyphs from w:eastAsia; theme font attributes would win
    # over the explicit names, so they are removed.
    for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(qn(f"w:{attr}"), None)
    for attr in ("ascii", "hAnsi", "cs"):
        fonts.set(qn(f"w:{attr}"), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), name)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:eastAsia"), "zh-CN")  # Chinese line breaking and punctuation


def _paragraphs(document: Any, texts: list[str]) -> None:
    for text in texts:
        if not text.strip():
            continue
        paragraph = document.add_paragraph(text.strip())
        fmt = paragraph.paragraph_format
        fmt.first_line_indent = Pt(24)  # two characters, as Chinese prose is set
        fmt.line_spacing, fmt.space_after = 1.5, Pt(0)


def _table(document: Any, grid: layout.Grid, size: float) -> None:
    table = document.add_table(rows=grid.n_rows, cols=grid.n_cols)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    # Widths go on the grid (read by WPS and LibreOffice) and on every cell (read by Word),
    # before merging: a merge adds up the widths of the cells it swallows.
    widths = [Cm(TEXT_WIDTH_CM * w / sum(grid.widths)) for w in grid.widths]
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width
    for row in table.rows[:grid.head_rows]:
        _repeat_as_header(row)
    # The cells are taken once, while the table is still a plain grid: table.cell() walks
    # every cell of the table on each call (table 三 took a second that way). A merge keeps
    # the top-left cell of its range and swallows only cells of that range, which no other
    # grid cell uses.
    plain = [row.cells for row in table.rows]
    for c in grid.cells:
        cell = plain[c.row][c.col]
        if c.rowspan > 1 or c.colspan > 1:
            cell = cell.merge(plain[c.row + c.rowspan - 1][c.col + c.colspan - 1])
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        paragraph = cell.paragraphs[0]
        paragraph.alignment = (WD_ALIGN_PARAGRAPH.LEFT if c.kind in ("label", "note")
                               else WD_ALIGN_PARAGRAPH.CENTER)
        run = paragraph.add_run(str(c.value))
        run.font.size, run.bold = Pt(size - 1 if c.kind == "note" else size), c.kind == "head"


def _repeat_as_header(row: Any) -> None:
    # Table 三 runs over a page; its header then repeats on the next one.
    marker = OxmlElement("w:tblHeader")
    marker.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(marker)
