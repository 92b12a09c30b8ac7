"""Reports an office can publish as they are (issue 16): table 三 in the official layout, cell for
cell, in XLSX, DOCX and HTML; the check relations in Chinese; the date line and the signature;
the PDF; the handling figures of the 总体情况; `gongkai check-published`.

The year is built from case events through reporting's projection (`apply_fact`); its table 三
is counted by hand from the cases (the counting rules themselves run in SQL and are tested on the
real database, tests/integration/test_counting.py): 聊城市民政局 2023 as a small example."""

from __future__ import annotations

import io
import subprocess
import sys
import uuid
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path

import docx
import pytest
from openpyxl import load_workbook

from services.reporting.adapters.exports import to_docx, to_html, to_pdf, to_xlsx
from services.reporting.domain import handling, report
from services.reporting.domain.projection import WorkingSet, apply_fact
from shared.contracts.cases import (
    CaseConcluded,
    CaseOpened,
    CaseReceived,
    DeadlineBreached,
    DueDateSet,
    ExtensionApproved,
)

AGENCY = "聊城市民政局"
PUBLISHED = date(2024, 1, 17)
NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"

# The published form of table 三 (聊城 and 祁东, docs/report-format.md#published-reports),
# written out here by hand: (row, column,
# text, rowspan, colspan) of every heading cell, counted from the table's top-left cell.
HEAD = [
    (0, 0, NOTE, 3, 3), (0, 3, "申请人情况", 1, 7),
    (1, 3, "自然人", 2, 1), (1, 4, "法人或其他组织", 1, 5), (1, 9, "总计", 2, 1),
    (2, 4, "商业企业", 1, 1), (2, 5, "科研机构", 1, 1), (2, 6, "社会公益组织", 1, 1),
    (2, 7, "法律服务机构", 1, 1), (2, 8, "其他", 1, 1),
]
ROW_HEADINGS = [
    (3, 0, "一、本年新收政府信息公开申请数量", 1, 3),
    (4, 0, "二、上年结转政府信息公开申请数量", 1, 3),
    (5, 0, "三、本年度办理结果", 22, 1),
    (5, 1, "（一）予以公开", 1, 2),
    (6, 1, "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", 1, 2),
    (7, 1, "（三）不予公开", 8, 1),
    (7, 2, "1.属于国家秘密", 1, 1), (8, 2, "2.其他法律行政法规禁止公开", 1, 1),
    (9, 2, '3.危及"三安全一稳定"', 1, 1), (10, 2, "4.保护第三方合法权益", 1, 1),
    (11, 2, "5.属于三类内部事务信息", 1, 1), (12, 2, "6.属于四类过程性信息", 1, 1),
    (13, 2, "7.属于行政执法案卷", 1, 1), (14, 2, "8.属于行政查询事项", 1, 1),
    (15, 1, "（四）无法提供", 3, 1),
    (15, 2, "1.本机关不掌握相关政府信息", 1, 1), (16, 2, "2.没有现成信息需要另行制作", 1, 1),
    (17, 2, "3.补正后申请内容仍不明确", 1, 1),
    (18, 1, "（五）不予处理", 5, 1),
    (18, 2, "1.信访举报投诉类申请", 1, 1), (19, 2, "2.重复申请", 1, 1),
    (20, 2, "3.要求提供公开出版物", 1, 1), (21, 2, "4.无正当理由大量反复申请", 1, 1),
    (22, 2, "5.要求行政机关确认或重新出具已获取信息", 1, 1),
    (23, 1, "（六）其他处理", 3, 1),
    (23, 2, "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", 1, 1),
    (24, 2, "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", 1, 1),
    (25, 2, "3.其他", 1, 1),
    (26, 1, "（七）总计", 1, 2),
    (27, 0, "四、结转下年度继续办理", 1, 3),
]
ROW_KEYS = list(report.ROWS)  # body rows 3..27, in the contract's order
OFFICIAL = HEAD + ROW_HEADINGS


def case(ws: WorkingSet, applicant: str, channel: str, received: date, *, due: date | None = None,
         concluded: date | None = None, outcome: str = "disclosed", extended: bool = False,
         breached: bool = False) -> None:
    app_id = uuid.uuid4()
    facts = [
        CaseOpened(application_id=app_id, case_number="LCMZJ-2023-00001", channel=channel,
                   applicant_type=applicant, applicant_name="x", submitted_at=datetime(
                       received.year, received.month, received.day, tzinfo=UTC),
                   request_summary="x"),
        CaseReceived(application_id=app_id, received_on=received),
    ]
    if due:
        facts.append(DueDateSet(application_id=app_id, due_on=due))
    if extended:
        facts.append(ExtensionApproved(application_id=app_id, on=received, working_days=20,
                                       approved_by="head", reason="x"))
    if breached:
        facts.append(DeadlineBreached(application_id=app_id, on=due, due_on=due))
    if concluded:
        facts.append(CaseConcluded(application_id=app_id, on=concluded, outcome=outcome,
                                   legal_basis="x"))
    for fact in facts:
        apply_fact(ws, fact, "lc-mzj", uuid.uuid4())


def build_year() -> dict:
    """2023: one carried over from 2022; four new (2 online, 1 letter, 1 in person); three
    concluded in 2023 (two on time, one late after an extension), two carried forward."""
    ws = WorkingSet()
    case(ws, "natural_person", "online", date(2022, 12, 28), due=date(2023, 1, 30),
         concluded=date(2023, 1, 9))  # 7 working days (New Year's Day 2 Jan 2023 is off)
    case(ws, "natural_person", "online", date(2023, 3, 1), due=date(2023, 3, 29),
         concluded=date(2023, 3, 10), outcome="unable.not_held")  # 7 working days
    case(ws, "commercial_enterprise", "post_signed", date(2023, 6, 1), due=date(2023, 7, 28),
         concluded=date(2023, 8, 1), outcome="withheld.third_party", extended=True,
         breached=True)  # 42 working days (端午 22–23 June off, 25 June worked)
    case(ws, "natural_person", "in_person", date(2023, 12, 20), due=date(2024, 1, 18))
    case(ws, "natural_person", "online", date(2023, 12, 27), due=date(2024, 1, 25))
    cases = list(ws.cases.values())
    concluded = [c for c in cases if c.concluded_on and c.concluded_on.year == 2023]
    channels: dict[str, int] = {}
    for c in cases:
        if c.received_on.year == 2023:
            channels[c.channel] = channels.get(c.channel, 0) + 1
    cells = {"new": {"natural_person": 3, "commercial_enterprise": 1},
             "carried_over": {"natural_person": 1},  # received 28 December 2022
             "disclosed": {"natural_person": 1}, "unable.not_held": {"natural_person": 1},
             "withheld.third_party": {"commercial_enterprise": 1},
             "carried_forward": {"natural_person": 2}}  # received 20 and 27 December
    return report.document(
        year=2023, agency="lc-mzj", agencies=["lc-mzj"], cells=cells,
        previous_carried_forward=report.table3(
            {"carried_forward": {"natural_person": 1}})["carried_forward"],
        generated_at=datetime(2024, 1, 10, 1, tzinfo=UTC), as_of_event=99,
        handling=handling.section(channels, concluded))


@pytest.fixture(scope="module")
def doc() -> dict:
    d = build_year()
    assert all(c["ok"] for c in d["checks"])
    return d


def values_at(doc: dict) -> dict[tuple[int, int], int]:
    """The value cells of the official table: row 3.. by key, columns 3..9 自然人 … 总计."""
    return {(3 + r, 3 + i): doc["table3"][key][c]
            for r, key in enumerate(ROW_KEYS) for i, c in enumerate(report.COLUMNS)}


def test_the_year_has_the_known_figures(doc):
    t3 = doc["table3"]
    assert t3["new"]["natural_person"] == 3 and t3["new"]["commercial_enterprise"] == 1
    assert t3["carried_over"]["total"] == 1 and t3["total"]["total"] == 3
    assert t3["withheld.third_party"]["commercial_enterprise"] == 1
    assert t3["carried_forward"]["total"] == 2
    assert doc["handling"] == {
        "received_by_channel": {"in_person": 1, "post_signed": 1, "ordinary_letter": 0,
                                "online": 2, "fax": 0, "email": 0},
        "concluded": 3, "answered_on_time": 2, "answered_late": 1, "extended": 1,
        "median_working_days": 7}


# --- XLSX ---

def test_xlsx_table3_is_the_official_layout_cell_for_cell(doc):
    wb = load_workbook(io.BytesIO(to_xlsx(doc, AGENCY, PUBLISHED)))
    ws = wb["三、收到和处理政府信息公开申请情况"]
    assert ws["A1"].value == "聊城市民政局2023年政府信息公开工作年度报告"
    assert ws["A2"].value == "（2024年1月17日）"
    top = next(r for r in range(1, 10) if ws.cell(r, 1).value == NOTE)
    # Every heading cell holds the form's text ...
    for r, c, text, _, _ in OFFICIAL:
        assert ws.cell(top + r, 1 + c).value == text, (r, c)
    # ... the table's merged ranges are exactly the form's spans ...
    spans = {(m.min_row - top, m.min_col - 1, m.max_row - m.min_row + 1,
              m.max_col - m.min_col + 1) for m in ws.merged_cells.ranges if m.min_row >= top}
    assert spans == {(r, c, rs, cs) for r, c, _, rs, cs in OFFICIAL if rs > 1 or cs > 1}
    # ... and every value sits under its column, beside its row, as a number.
    for (r, c), value in values_at(doc).items():
        assert ws.cell(top + r, 1 + c).value == value, (ROW_KEYS[r - 3], c)
        assert type(ws.cell(top + r, 1 + c).value) is int
    assert ws.max_row == top + 27 and ws.max_column == 10


# --- DOCX ---

def docx_merges(table) -> dict[tuple[int, int], tuple[int, int]]:
    """Top-left (row, column) of each cell of the table -> its (rowspan, colspan), read from
    the merged cells python-docx reports (the same element at each covered position)."""
    where: dict[object, list[tuple[int, int]]] = {}
    for r, row in enumerate(table.rows):
        for c in range(len(table.columns)):
            where.setdefault(row.cells[c]._tc, []).append((r, c))
    out = {}
    for positions in where.values():
        rows = {r for r, _ in positions}
        cols = {c for _, c in positions}
        assert len(positions) == len(rows) * len(cols)  # a rectangle
        out[(min(rows), min(cols))] = (len(rows), len(cols))
    return out


def test_docx_table3_is_the_official_layout_cell_for_cell(doc):
    d = docx.Document(io.BytesIO(to_docx(doc, AGENCY, PUBLISHED)))
    assert d.paragraphs[0].text == "聊城市民政局2023年政府信息公开工作年度报告"
    assert d.paragraphs[1].text == "（2024年1月17日）"
    assert [p.text for p in d.paragraphs[-2:]] == [AGENCY, "2024年1月17日"]  # 落款
    t3 = d.tables[1]
    assert len(t3.rows) == 28 and len(t3.columns) == 10
    merges = docx_merges(t3)
    for r, c, text, rs, cs in OFFICIAL:
        assert t3.cell(r, c).text == text, (r, c)
        assert merges[(r, c)] == (rs, cs), text
    assert {k for k, span in merges.items() if span != (1, 1)} == {
        (r, c) for r, c, _, rs, cs in OFFICIAL if rs > 1 or cs > 1}
    for (r, c), value in values_at(doc).items():
        assert t3.cell(r, c).text == str(value)
        assert merges[(r, c)] == (1, 1)


# --- HTML ---

class Tables(HTMLParser):
    """Each table placed on its grid as a browser does (rowspan/colspan), with tag and scope."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict[tuple[int, int], tuple]] = []
        self.text: list[str] = []
        self._cell: list | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self.tables.append({})
            self._taken: set[tuple[int, int]] = set()
            self._row = -1
        elif tag == "tr":
            self._row += 1
            self._col = 0
        elif tag in ("td", "th"):
            while (self._row, self._col) in self._taken:
                self._col += 1
            rs, cs = int(a.get("rowspan", 1)), int(a.get("colspan", 1))
            self._cell = [self._row, self._col, "", rs, cs, tag, a.get("scope")]
            self._taken |= {(self._row + i, self._col + j) for i in range(rs) for j in range(cs)}
            self._col += cs

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell:
            r, c, text, rs, cs, kind, scope = self._cell
            self.tables[-1][(r, c)] = (text, rs, cs, kind, scope)
            self._cell = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell[2] += data


def test_html_table3_is_the_official_layout_with_header_scopes(doc):
    page = Tables()
    page.feed(to_html(doc, AGENCY, PUBLISHED).decode())
    text = "".join(page.text)
    assert "聊城市民政局2023年政府信息公开工作年度报告" in text and "（2024年1月17日）" in text
    t3 = page.tables[1]
    for r, c, label, rs, cs in HEAD:
        kind, scope = ("td", None) if label == NOTE else ("th", "col")
        assert t3[(r, c)] == (label, rs, cs, kind, scope), label
    for r, c, label, rs, cs in ROW_HEADINGS:
        assert t3[(r, c)] == (label, rs, cs, "th", "row"), label
    for (r, c), value in values_at(doc).items():
        assert t3[(r, c)] == (str(value), 1, 1, "td", None)
    assert len(t3) == len(OFFICIAL) + 25 * 7  # nothing else in the table


# --- the check relations in Chinese ---

def test_the_check_relations_read_in_the_words_of_the_official_note():
    bad = report.document(
        year=2020, agency="zd-mzj", agencies=["zd-mzj"],
        cells={"new": {"natural_person": 2}, "carried_over": {"natural_person": 1}},
        previous_carried_forward={"natural_person": 0},
        generated_at=datetime(2021, 1, 5, tzinfo=UTC), as_of_event=1)
    failed = {(c["rule"], c.get("column")): c["detail"] for c in bad["checks"] if not c["ok"]}
    assert failed == {("balance", "natural_person"): "2＋1≠0＋0",
                      ("balance", "total"): "2＋1≠0＋0",
                      ("carried_over_equals_previous_carried_forward", "natural_person"):
                          "上年结转1，上一年度结转下年度继续办理0",
                      ("carried_over_equals_previous_carried_forward", "total"):
                          "上年结转1，上一年度结转下年度继续办理0"}
    sums = next(c for c in bad["checks"] if c["rule"] == "total_is_sum_of_outcomes")
    assert sums["detail"] == "（七）总计0，21种办理结果之和0"
    text = "".join(_html_text(to_html(bad, "张店区民政局")))
    assert "✗ 不相符：第一项加第二项之和，等于第三项加第四项之和（自然人），2＋1≠0＋0" in text
    assert ("✓ 相符：第三项（七）总计，等于21种办理结果之和（自然人），"
            "（七）总计0，21种办理结果之和0") in text
    assert not any(ch.isascii() and ch.isalpha() for ch in "".join(failed.values()))

    from services.portal.domain.words import check_words

    balance = next(c for c in bad["checks"] if c["rule"] == "balance")
    assert check_words(balance) == (
        "不相符：第一项加第二项之和，等于第三项加第四项之和（自然人），2＋1≠0＋0")


def _html_text(data: bytes) -> list[str]:
    page = Tables()
    page.feed(data.decode())
    return page.text


# --- the prose and the JSON section ---

def test_the_overview_gives_channels_timeliness_and_the_median(doc):
    d = docx.Document(io.BytesIO(to_docx(doc, AGENCY, PUBLISHED)))
    overview = next(p.text for p in d.paragraphs if p.text.startswith("（二）依申请公开。"))
    assert ("2023年，本机关共收到政府信息公开申请4件（其中当面申请1件、信函形式申请1件、"
            "网络形式申请2件），上年结转1件，办结3件，结转下年度继续办理2件。") in overview
    assert ("答复时限方面，按时答复2件，逾期答复1件，经批准延长答复期限1件；"
            "自收到申请至办结，所用时间的中位数为7个工作日。") in overview


def test_working_days_follow_the_holiday_notices():
    assert handling.working_days(date(2022, 12, 28), date(2023, 1, 9)) == 7
    assert handling.working_days(date(2023, 6, 1), date(2023, 8, 1)) == 42
    assert handling.working_days(date(2030, 1, 4), date(2030, 1, 7)) == 1  # no notice: weekdays


# --- PDF ---

def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def test_pdf_carries_the_agency_the_date_line_the_tables_and_the_signature(doc, tmp_path):
    data = to_pdf(doc, AGENCY, PUBLISHED)
    assert data.startswith(b"%PDF-")
    text = pdf_text(data, tmp_path)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert lines[0] == "聊城市民政局2023年政府信息公开工作年度报告"
    assert lines[1] == "（2024年1月17日）"
    assert lines[-3:-1] == [AGENCY, "2024年1月17日"]  # the signature, then the page number
    assert "三、收到和处理政府信息公开申请情况" in text and "申请人情况" in text
    flat = " ".join(text.split())
    assert "一、本年新收政府信息公开申请数量 3 1 0 0 0 0 4" in flat
    assert "四、结转下年度继续办理 2 0 0 0 0 0 2" in flat
    assert "4.保护第三方合法权益 0 1 0 0 0 0 1" in flat
    assert "按时答复2件" in flat.replace(" ", "")


def test_pdf_of_the_city_has_no_signature(doc, tmp_path):
    city = dict(doc, agency="city")
    lines = [line.strip() for line in pdf_text(to_pdf(city, "全市", PUBLISHED), tmp_path)
             .splitlines() if line.strip()]
    assert lines[0] == "全市2023年政府信息公开工作年度报告"
    assert "2024年1月17日" not in lines[-2]


# --- gongkai check-published ---

HEADER = ("year,row,natural_person,commercial_enterprise,research_institution,"
          "public_interest_org,legal_service_org,other_org,total\n")


def check_published(path: Path) -> subprocess.CompletedProcess:
    gongkai = Path(sys.executable).parent / "gongkai"  # the installed command, as a clerk runs it
    return subprocess.run([str(gongkai), "check-published", str(path)],
                          capture_output=True, text=True, cwd=Path(__file__).parents[2])


def test_check_published_passes_a_balanced_table(tmp_path):
    path = tmp_path / "lc-2021.csv"
    path.write_text(HEADER + "2021,一、本年新收政府信息公开申请数量,10,,,,,,10\n"
                    "2021,（一）予以公开,10,,,,,,10\n2021,（七）总计,10,,,,,,10\n",
                    encoding="utf-8")
    done = check_published(path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2021年：39项勾稽关系全部相符。" in done.stdout
    assert done.stdout.strip().endswith("全部核对相符。")


def test_check_published_lists_every_problem_of_zhangdian_2020(tmp_path):
    # Seed 003 (张店区民政局 2020): 一=2, 二=1, but (七)=0 and 四=0; 2019 carried forward 0.
    path = tmp_path / "zd-2019-2020.csv"
    path.write_text(HEADER + "2019,四、结转下年度继续办理,0,,,,,,0\n"
                    "2020,一、本年新收政府信息公开申请数量,2,,,,,,2\n"
                    "2020,二、上年结转政府信息公开申请数量,1,,,,,,1\n"
                    "2020,（七）总计,0,,,,,,0\n2020,四、结转下年度继续办理,0,,,,,,0\n"
                    "2020,（一）予以公开,1,,,,,,0\n", encoding="gb18030")
    done = check_published(path)
    assert done.returncode == 1, done.stdout + done.stderr
    out = done.stdout
    assert "2019年：39项勾稽关系全部相符。" in out
    assert "1. 2020年公布的表三不平衡（一加二应等于三(七)加四）：自然人列 2 + 1 ≠ 0 + 0；" \
           "总计列 2 + 1 ≠ 0 + 0" in out
    assert "2. 2020年公布的三(七)总计不等于21项办理结果之和：自然人列 总计0，各项之和1" in out
    assert "3. 2020年公布的总计列不等于六类申请人之和：“三(一)予以公开”行 总计0，六类申请人之和1" \
        in out
    assert "4. 2020年公布的“二、上年结转”不等于2019年公布的“四、结转下年度继续办理”：" \
           "自然人列 1 ≠ 0；总计列 1 ≠ 0" in out
    assert "共发现4处问题" in out


def test_check_published_names_every_unreadable_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "2020,不存在的行,1,,,,,,1\n20x0,（七）总计,a,,,,,,0\n",
                    encoding="utf-8")
    done = check_published(path)
    assert done.returncode == 2
    assert done.stdout.splitlines() == [
        "文件“bad.csv”有3处问题，未能核对：",
        "  第2行 项目：不是表三的行：不存在的行",
        "  第3行 年度：年度无法识别：20x0",
        "  第3行 自然人：应为非负整数：a"]
