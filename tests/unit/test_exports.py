"""The exports read back the way a user would check them: official labels, the same numbers in
the same cells, merged headers where the published tables have them."""

from __future__ import annotations

import codecs
import csv
import io
import json
import zipfile
from datetime import UTC, datetime
from html.parser import HTMLParser

import docx
import pytest
from docx.oxml.ns import qn
from openpyxl import load_workbook

from services.reporting.adapters.exports import EXPORTERS, to_csv, to_docx, to_html, to_xlsx
from services.reporting.domain import report

AGENCY = "聊城市民政局"
SEVEN = ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
SIX_SECTIONS = [
    "一、总体情况", "二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
    "四、政府信息公开行政复议、行政诉讼情况", "五、存在的主要问题及改进情况",
    "六、其他需要报告的事项",
]
SHEETS = ["二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
          "四、政府信息公开行政复议、行政诉讼情况"]

# 聊城市民政局 2019 (seed 000) in the 自然人 column, plus organisation applicants so that a
# swapped column shows: each column balances (一 + 二 = (七) + 四).
CELLS = {
    "new": {"natural_person": 7, "commercial_enterprise": 3, "legal_service_org": 2},
    "carried_over": {"research_institution": 1},
    "disclosed": {"natural_person": 2, "commercial_enterprise": 1},
    "partially_disclosed": {"commercial_enterprise": 2},
    "withheld.law_prohibited": {"natural_person": 1},
    "unable.not_held": {"natural_person": 3},
    "not_processed.duplicate": {"research_institution": 1},
    "other.no_correction": {"legal_service_org": 2},
    "carried_forward": {"natural_person": 1},
}
TABLE4 = {  # distinct numbers, so a cell in the wrong place shows
    "reconsideration": {"upheld": 3, "corrected": 1, "other": 0, "pending": 2, "total": 6},
    "litigation_direct": {"upheld": 4, "corrected": 0, "other": 5, "pending": 0, "total": 9},
    "litigation_after_reconsideration":
        {"upheld": 0, "corrected": 7, "other": 0, "pending": 8, "total": 15},
}


def make(cells=CELLS, agency="lc-mzj") -> dict:
    doc = report.document(year=2019, agency=agency, agencies=["lc-mzj"], cells=cells,
                          previous_carried_forward=None,
                          generated_at=datetime(2020, 1, 10, 1, tzinfo=UTC), as_of_event=4711)
    # Tables 四 and 二 are filled in the document itself: the exporters read nothing else.
    doc["table4"] = json.loads(json.dumps(TABLE4))
    doc["table2"]["rules"].update(issued=4, repealed=1, in_force=11)
    doc["table2"]["licensing"]["decisions"] = 44
    doc["table2"]["penalty"]["decisions"] = 5
    doc["table2"]["fees"]["amount_10k_yuan"] = "1.25"
    return doc


@pytest.fixture
def doc() -> dict:
    d = make()
    assert all(c["ok"] for c in d["checks"])
    return d


def expected_row(doc: dict, key: str) -> list[int]:
    return [doc["table3"][key][c] for c in report.COLUMNS]


def table4_values(doc: dict) -> list[int]:
    return [doc["table4"][g][c] for g in report.TABLE4_GROUPS for c in report.TABLE4_COLUMNS]


# --- CSV ---

def test_csv_is_a_pure_table_with_bom_and_crlf(doc):
    data = to_csv(doc, AGENCY)
    assert data.startswith(codecs.BOM_UTF8)
    assert data.count(b"\r\n") == 26 and b"\n" not in data.replace(b"\r\n", b"")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["行", *SEVEN]
    assert len(rows) == 26
    assert [r[0] for r in rows[1:]] == list(report.ROWS.values())
    for row, key in zip(rows[1:], report.ROWS, strict=True):
        assert [int(v) for v in row[1:]] == expected_row(doc, key), key
    assert rows[1] == ["一、本年新收政府信息公开申请数量", "7", "3", "0", "0", "2", "0", "12"]
    assert rows[7] == ['三(三)3.危及"三安全一稳定"', "0", "0", "0", "0", "0", "0", "0"]


# --- XLSX ---

def merged(ws) -> dict[str, tuple[int, int]]:
    """Label of each merged range -> (rows, columns) it spans."""
    return {ws.cell(r.min_row, r.min_col).value: (r.max_row - r.min_row + 1,
                                                  r.max_col - r.min_col + 1)
            for r in ws.merged_cells.ranges}


def test_xlsx_table3_has_official_labels_numbers_and_merged_header(doc):
    # The layout cell for cell: tests/unit/test_report_publish.py.
    wb = load_workbook(io.BytesIO(to_xlsx(doc, AGENCY)))
    assert wb.sheetnames == SHEETS
    ws = wb["三、收到和处理政府信息公开申请情况"]
    assert ws["A1"].value == "聊城市民政局2019年政府信息公开工作年度报告"
    top = 4  # title, date line (none here), caption
    assert ws.cell(top, 1).value.startswith("（本列数据的勾稽关系为")
    for i, key in enumerate(report.ROWS):
        values = [ws.cell(top + 3 + i, 4 + c).value for c in range(7)]
        assert values == expected_row(doc, key), key
        assert all(type(v) is int for v in values)
    assert [ws.cell(top + 1, c).value for c in (4, 5, 10)] == ["自然人", "法人或其他组织", "总计"]
    assert [ws.cell(top + 2, c).value for c in range(5, 10)] == SEVEN[1:6]
    spans = merged(ws)
    assert spans["法人或其他组织"] == (1, 5) and spans["申请人情况"] == (1, 7)
    assert spans["自然人"] == (2, 1) and spans["总计"] == (2, 1)
    label = ws.cell(top + 5, 2)
    assert label.value == "（一）予以公开"
    assert label.font.name == "宋体" and label.border.left.style == "thin"


def test_xlsx_table4_and_table2(doc):
    wb = load_workbook(io.BytesIO(to_xlsx(doc, AGENCY)))
    ws = wb["四、政府信息公开行政复议、行政诉讼情况"]
    spans = merged(ws)
    assert spans["行政复议"] == (1, 5) and spans["行政诉讼"] == (1, 10)
    assert spans["未经复议直接起诉"] == (1, 5) and spans["复议后起诉"] == (1, 5)
    assert spans["结果维持"] == (2, 1)  # under 行政复议, the results span both lower rows
    assert [ws.cell(ws.max_row, c).value for c in range(1, 16)] == table4_values(doc)

    ws = wb["二、主动公开政府信息情况"]
    rows = {ws.cell(r, 1).value: r for r in range(1, ws.max_row + 1)}
    assert [ws.cell(rows["规章"], c).value for c in (2, 3, 4)] == [4, 1, 11]
    assert ws.cell(rows["行政许可"], 2).value == 44
    assert ws.cell(rows["行政处罚"], 2).value == 5
    assert ws.cell(rows["行政事业性收费"], 2).value == pytest.approx(1.25)
    assert "第二十条第(一)项" in rows and "本年收费金额（单位：万元）" in [
        c.value for c in ws[rows["行政事业性收费"] - 1]]


# --- HTML ---

class Page(HTMLParser):
    """Collects the tables as rows of (text, rowspan, colspan), and checks tags are balanced."""

    VOID = {"meta", "br", "hr", "img", "link", "input"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.tables: list[list[list[tuple[str, int, int]]]] = []
        self.text: list[str] = []
        self.lang = None
        self._cell: list | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag not in self.VOID:
            self.stack.append(tag)
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = ["", int(a.get("rowspan", 1)), int(a.get("colspan", 1))]

    def handle_endtag(self, tag):
        assert self.stack.pop() == tag, f"unbalanced </{tag}>"
        if tag in ("td", "th"):
            self.tables[-1][-1].append(tuple(self._cell))
            self._cell = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell[0] += data


def parse(data: bytes) -> Page:
    page = Page()
    page.feed(data.decode("utf-8"))
    page.close()
    assert page.stack == []
    return page


def test_html_tables_read_like_the_published_ones(doc):
    page = parse(to_html(doc, AGENCY))
    assert page.lang == "zh-CN"
    assert "聊城市民政局2019年政府信息公开工作年度报告" in page.text
    t2, t3, t4 = page.tables
    assert t3[0][1:] == [("申请人情况", 1, 7)] and t3[0][0][1:] == (3, 3)
    assert t3[1] == [("自然人", 2, 1), ("法人或其他组织", 1, 5), ("总计", 2, 1)]
    assert [c[0] for c in t3[2]] == SEVEN[1:6]
    for row, key in zip(t3[3:], report.ROWS, strict=True):
        assert [c[0] for c in row][-7:] == [*map(str, expected_row(doc, key))], key
    assert t4[0] == [("行政复议", 1, 5), ("行政诉讼", 1, 10)]
    assert ("未经复议直接起诉", 1, 5) in t4[1] and ("复议后起诉", 1, 5) in t4[1]
    assert [c[0] for c in t4[3]] == [str(v) for v in table4_values(doc)]
    assert ["规章", "4", "1", "11"] in [[c[0] for c in row] for row in t2]
    text = "".join(page.text)
    assert "勾稽关系检查" in text and "✓ 相符" in text and "✗" not in text
    assert "4711" in text and doc["generated_at"] in text


def test_html_shows_failed_checks_with_their_detail():
    # Seed 003 (张店区 2020): 一=2, 二=1, but (七)=0 and 四=0.
    bad = make({"new": {"natural_person": 2}, "carried_over": {"natural_person": 1}})
    text = "".join(parse(to_html(bad, "张店区民政局")).text)
    assert "✗ 不相符：第一项加第二项之和，等于第三项加第四项之和（自然人），2＋1≠0＋0" in text


def test_html_escapes_the_agency_name(doc):
    name = '<script>alert("x")</script>局'
    data = to_html(doc, name)
    assert b"<script>" not in data
    assert f"{name}2019年政府信息公开工作年度报告" in parse(data).text


# --- DOCX ---

def sections(document) -> dict[str, list[str]]:
    """Paragraph texts under each 一..六 heading."""
    out: dict[str, list[str]] = {}
    current = None
    for p in document.paragraphs:
        if p.style.name == "Heading 1":
            current = p.text
            out[current] = []
        elif current:
            out[current].append(p.text)
    return out


def open_docx(data: bytes):
    return docx.Document(io.BytesIO(data))


def test_docx_has_title_six_sections_and_filled_tables(doc):
    d = open_docx(to_docx(doc, AGENCY))
    assert d.paragraphs[0].text == "聊城市民政局2019年政府信息公开工作年度报告"
    assert [p.text for p in d.paragraphs if p.style.name == "Heading 1"] == SIX_SECTIONS
    t2, t3, t4 = d.tables
    for row, key in zip(t3.rows[3:], report.ROWS, strict=True):
        assert [c.text for c in row.cells][3:] == [*map(str, expected_row(doc, key))], key
    # Merged as in the XLSX: 法人或其他组织 over five columns, 自然人 over two rows.
    assert t3.cell(1, 4)._tc is t3.cell(1, 8)._tc and t3.cell(1, 4).text == "法人或其他组织"
    assert t3.cell(1, 3)._tc is t3.cell(2, 3)._tc
    assert t4.cell(0, 5).text == "行政诉讼" and t4.cell(0, 5)._tc is t4.cell(0, 14)._tc
    assert [c.text for c in t4.rows[3].cells] == [str(v) for v in table4_values(doc)]
    assert ["规章", "4", "1", "11"] in [[c.text for c in row.cells] for row in t2.rows]
    assert d.styles["Normal"].element.rPr.rFonts.get(qn("w:eastAsia")) == "宋体"


def test_docx_prose_carries_the_years_figures(doc):
    doc["fees_collected_yuan"] = "150.00"
    text = sections(open_docx(to_docx(doc, AGENCY)))
    overview = "".join(text["一、总体情况"])
    assert ("2019年，本机关共收到政府信息公开申请12件，上年结转1件，办结12件，"
            "结转下年度继续办理1件。") in overview
    assert ("予以公开3件，部分公开2件，不予公开1件，无法提供3件，"
            "不予处理1件，其他处理2件") in overview
    assert "被申请行政复议6件，被提起行政诉讼24件" in overview
    assert "【请填写：" in overview
    other = "".join(text["六、其他需要报告的事项"])
    assert "国办函〔2020〕109号" in other and "共收取政府信息公开信息处理费150.00元" in other


def test_docx_for_the_city_and_without_fees_reads_right():
    text = sections(open_docx(to_docx(make(agency="city"), "全市")))
    assert "全市共收到政府信息公开申请12件" in "".join(text["一、总体情况"])
    assert "未收取政府信息公开信息处理费" in "".join(text["六、其他需要报告的事项"])


def test_docx_prose_can_be_overridden(doc):
    mine = {"五": "一是信息发布不够及时。\n二是解读形式单一。", "二": "本年度主动公开信息659条。"}
    d = open_docx(to_docx(doc, AGENCY, prose=mine))
    text = sections(d)
    assert text["五、存在的主要问题及改进情况"] == ["一是信息发布不够及时。", "二是解读形式单一。"]
    assert text["二、主动公开政府信息情况"] == ["本年度主动公开信息659条。"]
    assert "本机关共收到政府信息公开申请12件" in "".join(text["一、总体情况"])  # untouched
    assert len(d.tables) == 3  # the table stays under the overridden 二


# --- text a spreadsheet would run as a formula (issue 15) ---

FORMULAS = ['=HYPERLINK("http://x","y")', "+1", "@SUM(1)", "-2", "\t=1+1", "\r=1+1"]


def formula_cells(data: bytes) -> list[str]:
    """Every cell a spreadsheet program would evaluate, as openpyxl reads the file, and
    whether the raw sheets hold any formula element at all."""
    wb = load_workbook(io.BytesIO(data))
    found = [f"{ws.title}!{c.coordinate}" for ws in wb.worksheets for row in ws.iter_rows()
             for c in row if c.data_type == "f"]
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        found += [n for n in z.namelist() if n.startswith("xl/worksheets/")
                  and (b"<f>" in z.read(n) or b"<f " in z.read(n))]
    return found


@pytest.mark.parametrize("name", FORMULAS)
def test_xlsx_shows_a_formula_like_agency_name_as_text(doc, name):
    data = to_xlsx(doc, name)
    assert formula_cells(data) == []
    wb = load_workbook(io.BytesIO(data))
    for ws in wb.worksheets:
        title = ws["A1"]
        # The name exactly as configured, as a text cell with Excel's leading-apostrophe mark.
        assert title.value == f"{name}2019年政府信息公开工作年度报告"
        assert title.data_type == "s" and title.quotePrefix
    # Everything else is as for any agency: the same labels, numbers still numbers.
    plain = load_workbook(io.BytesIO(to_xlsx(doc, AGENCY)))
    for ws, same in zip(wb.worksheets, plain.worksheets, strict=True):
        cells = [(c.coordinate, c.value, c.data_type) for row in ws.iter_rows(min_row=2)
                 for c in row]
        assert cells == [(c.coordinate, c.value, c.data_type)
                         for row in same.iter_rows(min_row=2) for c in row]
        assert not any(c.quotePrefix for row in ws.iter_rows(min_row=2) for c in row)


def test_xlsx_of_an_ordinary_name_has_no_quote_prefix_and_negative_numbers_stay_numbers(doc):
    doc["table3"]["new"]["natural_person"] = -2  # not a real figure: a negative number
    ws = load_workbook(io.BytesIO(to_xlsx(doc, AGENCY)))["三、收到和处理政府信息公开申请情况"]
    assert not ws["A1"].quotePrefix and ws["A1"].value.startswith(AGENCY)
    [new] = [r for r in ws.iter_rows() if r[0].value == report.ROWS["new"]]
    assert new[3].value == -2 and new[3].data_type == "n" and not new[3].quotePrefix


def test_csv_writes_formula_like_text_with_a_leading_apostrophe(doc, monkeypatch):
    from services.reporting.adapters.exports import plain

    # The CSV names no agency; its only text is the official labels. Were one of them ever to
    # begin like a formula (user text), it would be neutralised the same way.
    labels = dict(report.ROWS)
    keys = list(labels)[: len(FORMULAS)]
    labels.update({k: f for k, f in zip(keys, FORMULAS, strict=True)})
    monkeypatch.setattr(plain, "ROWS", labels)
    doc["table3"]["new"]["natural_person"] = -2
    rows = list(csv.reader(io.StringIO(to_csv(doc, "=1+1").decode("utf-8-sig"), newline="")))
    assert [r[0] for r in rows[1:1 + len(FORMULAS)]] == ["'" + f for f in FORMULAS]
    assert rows[1][1] == "-2"  # a number is a number, written as one
    assert [r[0] for r in rows[1 + len(FORMULAS):]] == list(report.ROWS.values())[len(FORMULAS):]


def test_csv_safe_touches_only_text_that_starts_like_a_formula():
    from shared.tabular import csv_safe

    assert [csv_safe(v) for v in ("=A1", "+1", "-2", "@x", "\t1", "\r1")] == [
        "'=A1", "'+1", "'-2", "'@x", "'\t1", "'\r1"]
    assert [csv_safe(v) for v in (-2, 0, 3, "聊城市民政局", "三(一)予以公开", "", "a=b", " =1")] \
        == [-2, 0, 3, "聊城市民政局", "三(一)予以公开", "", "a=b", " =1"]


# --- the registry ---

def test_exporters_cover_every_format(doc):
    assert set(EXPORTERS) == {"json", "csv", "xlsx", "html", "docx", "pdf"}
    for fmt, (render, media_type, extension) in EXPORTERS.items():
        data = render(doc, AGENCY)
        assert isinstance(data, bytes) and data and extension == f".{fmt}"
        assert media_type
    assert EXPORTERS["json"].render(doc, AGENCY) == json.dumps(
        doc, ensure_ascii=False, indent=2).encode()
    assert EXPORTERS["xlsx"].render(doc, AGENCY)[:2] == b"PK"
    assert EXPORTERS["docx"].render(doc, AGENCY)[:2] == b"PK"
    assert EXPORTERS["pdf"].render(doc, AGENCY)[:5] == b"%PDF-"
