"""Chinese line breaking shared by the letters and the report PDF (行首行尾禁则)."""

from __future__ import annotations

from shared.cjk_font import NO_LINE_END, NO_LINE_START, break_lines


def width(text: str) -> float:  # every character one unit wide, as a monospaced face
    return float(len(text))


def test_no_line_starts_with_closing_punctuation_nor_ends_with_an_opening_bracket():
    text = "本机关于2025年10月20日收到您的申请。经审查，您申请的信息（见附件）属于公开范围。"
    lines = [line for line, _ in break_lines(text, 6, width)]
    assert "".join(lines) == text
    assert all(line[0] not in NO_LINE_START for line in lines[1:])
    assert all(line[-1] not in NO_LINE_END for line in lines)
    assert all(width(line) <= 7 for line in lines)  # a carried character may lengthen one


def test_latin_runs_stay_whole_and_source_lines_are_marked():
    lines = break_lines("文号DCFMZJ-2025-00012号\n第二段", 12, width)
    assert ("DCFMZJ-2025-00012" in "".join(line for line, _ in lines))
    assert [ends for _, ends in lines][-1] is True
    assert any(line == "第二段" and ends for line, ends in lines)


def test_a_long_run_is_split_in_prose_but_kept_whole_in_a_table_cell():
    prose = break_lines("https://example.gov.cn/a/very/long/path", 10, width)
    assert len(prose) > 1 and all(width(line) <= 10 for line, _ in prose)
    cell = break_lines("1234567890123", 10, width, split_long=False)
    assert cell == [("1234567890123", True)]
