"""The published layout of tables 二, 三 and 四 and the words of the check relations: one owner,
shared/report_layout.py, which the portal's pages draw as well. Re-exported here for the
exporters."""

from __future__ import annotations

from shared.report_layout import (
    CHECK_NOTE,
    CHECK_RULES,
    SECTIONS,
    Cell,
    Grid,
    check_lines,
    check_sentence,
    cn_date,
    date_line,
    signature,
    table2,
    table3,
    table4,
    title,
)

checks = check_lines

__all__ = ["CHECK_NOTE", "CHECK_RULES", "SECTIONS", "Cell", "Grid", "check_lines",
           "check_sentence", "checks", "cn_date", "date_line", "signature", "table2", "table3",
           "table4", "title"]
