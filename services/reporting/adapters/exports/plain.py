"""The plain-text exports: the JSON document itself, and table 三 as CSV."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import Any

from services.reporting.domain.report import COLUMNS, ROWS
from shared.tabular import csv_safe


def to_json(doc: dict[str, Any], agency_name: str, published_on: date | None = None) -> bytes:
    # The document already names its agency; agency_name and published_on are taken only so
    # every exporter has the same signature.
    return json.dumps(doc, ensure_ascii=False, indent=2).encode()


def to_csv(doc: dict[str, Any], agency_name: str, published_on: date | None = None) -> bytes:
    """Header row + the 25 rows of table 三: a pure table, so that it re-imports cleanly.

    UTF-8 with a BOM because Excel and WPS otherwise read the labels as GBK; CRLF because that
    is what RFC 4180 and Excel expect. Text a spreadsheet would run as a formula is written with
    a leading apostrophe (shared/tabular.py); the official labels never start that way.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    rows = [["行", *COLUMNS.values()]]
    rows += [[label, *(int(doc["table3"][key][c]) for c in COLUMNS)]
             for key, label in ROWS.items()]
    writer.writerows([csv_safe(cell) for cell in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")
