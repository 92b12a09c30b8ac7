"""The annual report on a phone (390 px wide): its tables keep columns one can read and scroll
sideways, by finger or by keyboard, instead of squeezing every column to a sliver."""

from __future__ import annotations

from tests.browser.conftest import PHONE


def test_on_a_phone_the_report_tables_scroll_sideways_and_stay_readable(visit) -> None:
    v = visit(PHONE)
    v.sign_in("lc-mzj.auditor")
    v.go("/staff/reports?year=2026")
    page = v.page
    for table in ("t3", "t4"):
        widths = [box["width"] for cell in page.locator(f"table.{table} td.num").all()
                  if (box := cell.bounding_box())]
        assert min(widths) >= 36, f"table {table}'s figures squeezed to {min(widths)} px"
    # Table 三's row headings wrap to a few lines (the two 逾期 rows: three), not a word a line.
    line = page.evaluate("parseFloat(getComputedStyle(document.querySelector('table.t3 th'))"
                         ".lineHeight)")
    heights = [box["height"] for row in page.locator("table.t3 tbody tr").all()
               if (box := row.bounding_box())]
    assert max(heights) <= 4 * line, f"a row of table 三 is {max(heights) / line:.1f} lines tall"

    # A keyboard user reaches table 三's last column (总计) from its region with the arrow keys.
    region = page.locator("[role=region][aria-labelledby=t3]")
    last = page.locator("table.t3 tbody tr[data-row=new] td.num").last
    assert not last.evaluate(SHOWN)
    region.focus()
    for _ in range(20):
        page.keyboard.press("ArrowRight")
    page.wait_for_function(SHOWN, arg=last.element_handle())  # once the scrolling settles
    # Only the table scrolls: the page itself stays as wide as the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    v.check()


# Whether a cell lies wholly inside the visible width of its scrolling region.
SHOWN = """cell => {
  const c = cell.getBoundingClientRect(), r = cell.closest('.table-scroll').getBoundingClientRect();
  return c.left >= r.left && c.right <= r.right + 1;
}"""
