"""The annual report document (docs/report-format.md) exported as JSON, CSV, XLSX, HTML and DOCX.

Every exporter takes the JSON document, the agency's display name ("聊城市民政局", or "全市"
for the city roll-up) and the publication date (the date line under the title and the
signature; None: neither) and returns the file's bytes. PDF is the whole report for publication.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, NamedTuple

from services.reporting.adapters.exports.draft import to_docx
from services.reporting.adapters.exports.page import to_html
from services.reporting.adapters.exports.pdf import to_pdf
from services.reporting.adapters.exports.plain import to_csv, to_json
from services.reporting.adapters.exports.workbook import to_xlsx


class Exporter(NamedTuple):
    render: Callable[[dict[str, Any], str, date | None], bytes]
    media_type: str
    extension: str


EXPORTERS: dict[str, Exporter] = {
    "json": Exporter(to_json, "application/json", ".json"),
    "csv": Exporter(to_csv, "text/csv; charset=utf-8", ".csv"),
    "xlsx": Exporter(
        to_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    "html": Exporter(to_html, "text/html; charset=utf-8", ".html"),
    "docx": Exporter(
        to_docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ".docx"),
    "pdf": Exporter(to_pdf, "application/pdf", ".pdf"),
}

__all__ = ["EXPORTERS", "Exporter", "to_csv", "to_docx", "to_html", "to_json", "to_pdf", "to_xlsx"]
