"""The Simplified-Chinese font embedded in the PDFs the system produces (letters, the annual
report), found the same way everywhere: the file named by an environment variable (.otf/.ttf, or
.ttc/.otc whose Simplified-Chinese face is chosen); Noto Serif SC from the PyPI package
`pylopdf-fonts-zh-cn` (a dependency of the project); Debian's fonts-noto-cjk. No network."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path

DEBIAN_FONTS = (
    Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
)
FONT_PACKAGE = "pylopdf-fonts-zh-cn"


class CJKFontMissing(RuntimeError):
    pass


# GONGKAI_LETTER_FONT (Settings.letter_font), set by the composition root (`use_font`).
CONFIGURED_FONT: Path | None = None


def use_font(path: Path | None) -> None:
    global CONFIGURED_FONT
    CONFIGURED_FONT = path


def cjk_font(configured: Path | None = None) -> tuple[Path, int]:
    """The font file and, for a collection, the index of its Simplified-Chinese face:
    `configured`, else the one the composition root set (`use_font`), else the package's."""
    return _cjk_font(configured or CONFIGURED_FONT)


@functools.cache
def _cjk_font(configured: Path | None) -> tuple[Path, int]:
    candidates: list[Path] = []
    if configured is not None:
        candidates.append(configured)
    try:
        import pylopdf_fonts_zh_cn

        candidates.append(pylopdf_fonts_zh_cn.serif_path())
    except ImportError:
        pass
    candidates.extend(DEBIAN_FONTS)
    for path in candidates:
        if path.is_file():
            return path, _sc_face(path)
    raise CJKFontMissing(
        f"no Chinese font: install the Python package {FONT_PACKAGE} (pip install "
        f"{FONT_PACKAGE}), or Debian's fonts-noto-cjk, or set GONGKAI_LETTER_FONT to an "
        f".otf/.ttf/.ttc file (looked at: {', '.join(map(str, candidates))})")


def _sc_face(path: Path) -> int:
    if path.suffix.lower() not in (".ttc", ".otc"):
        return 0
    from fontTools.ttLib import TTCollection

    names = [font["name"].getDebugName(1) or "" for font in TTCollection(path, lazy=True).fonts]
    return next((i for i, name in enumerate(names) if re.search(r"\bSC\b", name)), 0)


# 行首行尾禁则: what may not start a line (closing punctuation) and what may not end one
# (opening brackets), in Chinese typesetting.
NO_LINE_START = set("。，、；：？！）》〉」』】〕”’…—%．,.;:?!)]")
NO_LINE_END = set("（《〈「『【〔“‘([")
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.\-/:@_]*|.")


def break_lines(text: str, width: float, measure: Callable[[str], float], *,
                split_long: bool = True) -> list[tuple[str, bool]]:
    """Chinese text broken into lines at most `width` wide by `measure` (the PDF's string
    width in its current font): no closing punctuation starts a line, no opening bracket ends
    one, runs of Latin letters and digits stay whole — unless wider than half a line and
    `split_long` (prose; a table cell keeps a number whole). Each line comes with whether it
    ends a line of the source (a writer does not justify those)."""
    out: list[tuple[str, bool]] = []
    for source_line in text.split("\n"):
        line = ""
        tokens = _TOKEN.findall(source_line)
        for token in (t for tok in tokens for t in (
                list(tok) if split_long and measure(tok) > width / 2 else [tok])):
            if not line or measure(line + token) <= width:
                line += token
                continue
            carry = token
            while len(line) > 1 and (carry[0] in NO_LINE_START or line[-1] in NO_LINE_END):
                line, carry = line[:-1], line[-1] + carry
            out.append((line, False))
            line = carry
        out.append((line, True))
    return out
