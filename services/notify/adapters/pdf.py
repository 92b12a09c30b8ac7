"""Render a letter to a printable PDF: A4, a Simplified-Chinese serif font embedded (subset), so
every viewer shows and prints it the same; archived with the case.

The font is the one every PDF of the system embeds, found by shared/cjk_font.py (the file named
by GONGKAI_LETTER_FONT, else Noto Serif SC of `pylopdf-fonts-zh-cn`, else Debian's
fonts-noto-cjk). fpdf2 embeds CFF-outline fonts as /FontFile3 and TrueType ones as /FontFile2,
keeping only the glyphs used.
"""

from __future__ import annotations

import io
import re
from datetime import datetime, time
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from services.notify.domain.letters import Letter
from shared.cjk_font import break_lines, cjk_font

SHANGHAI = ZoneInfo("Asia/Shanghai")
SIGNATURE_WIDTH = 72  # mm
LINE = 8.5  # mm: line height of the 14 pt body text
INDENT = "\u3000\u3000"  # two full-width spaces: the first-line indent of Chinese prose


class _Page(FPDF):
    def footer(self) -> None:
        self.set_y(-18)
        self.set_font("cjk", size=10)
        self.cell(0, 6, f"— {self.page_no()} —", align=Align.C)

    def lines(self, text: str, width: float) -> list[tuple[str, bool]]:
        return break_lines(text, width, self.get_string_width)

    def paragraph(self, text: str, size: float, height: float, align: str = "J",
                  width: float = 0, indent_x: float = 0, dry_run: bool = False) -> float:
        """Write `text` (or, dry_run, measure it); justified lines are spread by character
        spacing, as Chinese typesetting does. Returns the height used."""
        self.set_font("cjk", size=size)
        width = width or self.epw
        lines = self.lines(text, width)
        if dry_run:
            return height * len(lines)
        for line, ends_source_line in lines:
            self.set_x(self.l_margin + indent_x)
            spare = width - self.get_string_width(line)
            if align == "J" and not ends_source_line and len(line) > 1 and spare > 0:
                self.set_char_spacing(spare / (len(line) - 1))
            self.cell(width, height, line, align=Align.C if align == "C" else Align.L,
                      new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.set_char_spacing(0)
        return height * len(lines)


def render_pdf(letter: Letter) -> bytes:
    path, face = cjk_font()
    pdf = _Page(orientation="portrait", unit="mm", format="A4")
    pdf.set_margins(left=28, top=30, right=26)
    pdf.set_auto_page_break(auto=True, margin=28)
    pdf.add_font("cjk", fname=str(path), collection_font_number=face)
    # Fixed metadata: the same letter renders to the same bytes, dated by the letter, not now.
    pdf.set_creation_date(datetime.combine(letter.dated, time(), SHANGHAI))
    pdf.set_title(letter.title)
    pdf.set_author(letter.signature[0] if letter.signature else "")
    pdf.set_subject(letter.number or letter.case_number)
    pdf.set_keywords(f"{letter.kind} {letter.template_version}")
    pdf.set_creator("gongkai")
    pdf.set_producer("gongkai")
    pdf.add_page()

    pdf.paragraph(letter.title, 18, 10, "C")
    for line in letter.reference():  # the 文号 and the case number, or the case number
        pdf.paragraph(line, 12, 7, "C")
    pdf.ln(5)
    pdf.paragraph(f"{letter.addressee}：", 14, LINE, "L")
    paragraphs = ["\n".join(INDENT + line for line in p.split("\n")) for p in letter.paragraphs]
    for i, paragraph in enumerate(paragraphs):
        if i == len(paragraphs) - 1:  # the signature never stands alone on a page
            needed = pdf.paragraph(paragraph, 14, LINE, dry_run=True) + 11
            if pdf.get_y() + needed + LINE * len(letter.signature) > pdf.page_break_trigger:
                pdf.add_page()
        pdf.paragraph(paragraph, 14, LINE)
        pdf.ln(1)
    pdf.ln(10)
    for line in letter.signature:  # a centred block on the right: agency, seal, date
        pdf.paragraph(line, 14, LINE, "C", SIGNATURE_WIDTH, pdf.epw - SIGNATURE_WIDTH)
    return bytes(pdf.output())


def extract_text(pdf: bytes) -> str:
    """The text of a PDF as a viewer copies it: each shown string decoded through its font's
    ToUnicode map (pypdf's own extract_text ignores the embedded encoding CMap fpdf2 writes for
    CFF fonts and interleaves NULs). One line per text object."""
    from pypdf import PdfReader
    from pypdf.generic import ContentStream

    reader = PdfReader(io.BytesIO(pdf))
    out: list[str] = []
    for page in reader.pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        maps = {name: _to_unicode(font.get_object()) for name, font in fonts.items()}
        current: tuple[int, dict[int, str]] = (1, {})
        stream = page.get_contents()
        if not isinstance(stream, ContentStream):
            stream = ContentStream(stream, reader)
        for operands, operator in stream.operations:
            if operator == b"Tf":
                current = maps.get(operands[0], (1, {}))
            elif operator in (b"Tj", b"'", b'"'):
                out.append(_decode(operands[-1], current))
            elif operator == b"TJ":
                strings = (s for s in operands[0] if not isinstance(s, int | float))
                out.extend(_decode(s, current) for s in strings)
            elif operator == b"ET" and out and not out[-1].endswith("\n"):
                out.append("\n")
    return "".join(out)


def _to_unicode(font) -> tuple[int, dict[int, str]]:
    if "/ToUnicode" not in font:
        return 1, {}
    cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    space = re.search(r"begincodespacerange\s*<([0-9A-Fa-f]+)>", cmap)
    width = len(space.group(1)) // 2 if space else 1
    table: dict[int, str] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for src, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            table[int(src, 16)] = bytes.fromhex(dst).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        for lo, hi, dst in re.findall(r"<(\w+)>\s*<(\w+)>\s*<(\w+)>", block):
            start = int(dst, 16)
            for offset, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                table[code] = chr(start + offset)
    return width, table


def _decode(value, font: tuple[int, dict[int, str]]) -> str:
    width, table = font
    raw = value.original_bytes if hasattr(value, "original_bytes") else bytes(value)
    codes = (int.from_bytes(raw[i:i + width], "big") for i in range(0, len(raw), width))
    return "".join(table.get(code, chr(code) if width == 1 else "\ufffd") for code in codes)
