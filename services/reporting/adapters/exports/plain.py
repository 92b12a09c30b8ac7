"""The plain-text exports: the JSON document itself, and table 三 as CSV."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from services.reporting.domain.report import COLUMNS, ROWS


def to_json(doc: dict[str, Any], agency_name: str) -> bytes:
    # The document already names its agency; agency_name is taken only so every exporter
    # has the same signature.
    return json.dumps(doc, ensure_ascii=False, indent=2).encode()


def to_csv(doc: dict[str, Any], agency_name: str) -> bytes:
    """Header row + the 25 rows of table 三: a pure table, so that it re-imports cleanly.

    UTF-8 with a BOM because Excel and WPS otherwise read the labels as GBK; CRLF because that
    is what RFC 4180 and Excel expect.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["行", *COLUMNS.values()])
    for key, label in ROWS.items():
        writer.writerow([label, *(int(doc["table3"][key][c]) for c in COLUMNS)])
    return out.getvalue().encode("utf-8-sig")
