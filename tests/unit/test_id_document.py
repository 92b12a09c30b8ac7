"""The identity document: its kind is decided by the content's magic bytes; the form that
carries it, and the one larger body limit it gets, loosen nothing else."""

from __future__ import annotations

import io
import json
import os
import struct
import zlib

import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.testclient import TestClient

from services.intake.domain.application import SubmissionForm
from services.intake.domain.id_document import (
    DocumentRefused,
    size_label,
    sniff,
    take,
    too_large,
)
from services.intake.entrypoints.forms import FormRoute, read_form
from shared import http
from shared.limits import MAX_BODY, Upload, allow_uploads
from shared.refusals import Reason
from shared.settings import Settings
from tests.e2e.helpers import application

WRONG_TYPE = "证件材料须为JPG、PNG格式的图片或PDF文件"


def png(noise: bytes | None = None) -> bytes:
    """A real 2×2 RGB PNG; its pixels are `noise` (random unless given), so each is unique."""
    pixels = noise or os.urandom(12)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    rows = b"".join(b"\x00" + pixels[i * 6:(i + 1) * 6] for i in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def pdf(text: str = "ID") -> bytes:
    """A real one-page PDF (fpdf2, which the letters use)."""
    from fpdf import FPDF

    document = FPDF()
    document.add_page()
    document.set_font("helvetica", size=12)
    document.cell(text=text)
    return bytes(document.output())


def jpeg() -> bytes:
    from PIL import Image  # fpdf2's own dependency

    out = io.BytesIO()
    Image.new("RGB", (2, 2), (200, 10, 10)).save(out, "JPEG")
    return out.getvalue()


def test_real_files_are_known_by_their_first_bytes():
    from PIL import Image

    assert Image.open(io.BytesIO(png())).size == (2, 2)  # the test's PNG is a real one
    assert sniff(png()) == "image/png"
    assert sniff(jpeg()) == "image/jpeg"
    assert sniff(pdf()) == "application/pdf"


@pytest.mark.parametrize("content", [
    "这是一份文本文件，只是名为身份证.png".encode(),
    b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",  # an image, but not one of the three
    b"RIFF\x24\x00\x00\x00WEBPVP8 ",  # WebP
    b"\x00\x00\x00\x18ftypheic",  # a phone's HEIC photo
    b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    b"<html><body>%PDF-1.7</body></html>",  # the marker, but not at the start
    b" %PDF-1.7",
    b"\x89PNG",  # a signature cut short
    b"\xff\xd8",
    b"MZ\x90\x00",  # a program
])
def test_anything_else_is_refused_whatever_it_is_called(content):
    assert sniff(content) is None
    with pytest.raises(DocumentRefused) as refused:
        take(content, 5 * 1024 * 1024)
    assert refused.value.reason is Reason.INVALID and refused.value.message == WRONG_TYPE


def test_the_limit_is_inclusive_and_named_in_the_refusal():
    content = b"%PDF-1.4\n" + b"0" * (1024 - 9)
    assert take(content, 1024).size == 1024
    with pytest.raises(DocumentRefused) as refused:
        take(content + b"0", 1024)
    assert refused.value.reason is Reason.TOO_LARGE
    assert refused.value.message == "证件材料不得超过1KB"
    assert too_large(5 * 1024 * 1024) == "证件材料不得超过5MB"
    assert size_label(1536) == "1536字节" and size_label(3 * 1024) == "3KB"
    with pytest.raises(DocumentRefused) as empty:
        take(b"", 1024)
    assert empty.value.reason is Reason.INVALID


def test_a_taken_file_keeps_its_bytes_type_and_digest():
    import hashlib

    content = png()
    taken = take(content, 5 * 1024 * 1024)
    assert (taken.content, taken.media_type, taken.size) == (content, "image/png", len(content))
    assert taken.sha256 == hashlib.sha256(content).hexdigest()


def test_an_event_recorded_before_the_reference_still_loads():
    from shared.events import decode_payload

    recorded = {"application_id": "7d0f8c52-3a47-4b4e-9a53-0c2f8d1e6b11",
                "case_number": "LCMZJ-2025-00001", "channel": "online",
                "submitted_at": "2025-09-22T02:00:00Z",
                "applicant": {"type": "natural_person", "name": "张明"},
                "request": {"description": "低保资金发放情况"}}
    assert decode_payload("ApplicationSubmitted", 1, recorded).id_document is None
    assert decode_payload("ApplicationSubmitted", 1, json.dumps(recorded)).id_document is None


# The body limit: larger for the declared upload form, and for nothing else.

@pytest.fixture
def guarded() -> TestClient:
    app = FastAPI()
    http.install(app, "test", Settings.from_env(), public=("/up",))
    allow_uploads(app, Upload("/up", 1024 * 1024, "id_document", "证件材料不得超过1MB"))

    async def echo(request: Request) -> dict:
        return {"bytes": len(await request.body())}

    app.post("/up")(echo)
    app.post("/other")(echo)
    return TestClient(app)


BIG = 600 * 1024  # over the 256 KB of every body, under the upload form's 1 MB


def test_only_a_multipart_form_to_the_upload_path_may_be_larger(guarded):
    form = {"files": {"id_document": ("a.pdf", b"%PDF-" + b"0" * BIG, "application/pdf")}}
    assert guarded.post("/up", **form).status_code == 200
    assert guarded.post("/other", **form).status_code == 413  # another path: as before
    assert guarded.post("/up", content=b"x" * BIG,
                        headers={"content-type": "application/json"}).status_code == 413
    assert guarded.get("/up", headers={"content-type": "multipart/form-data; boundary=x",
                                       "content-length": str(BIG)}).status_code == 413
    assert guarded.post("/up", content=b"x" * MAX_BODY,
                        headers={"content-type": "application/json"}).status_code == 200


def test_a_form_over_the_upload_limit_is_refused_naming_the_file(guarded):
    refused = guarded.post("/up", files={"id_document": ("a.pdf", b"0" * (1024 * 1024 + 1))})
    assert refused.status_code == 413
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["errors"] == [{"field": "id_document", "message": "证件材料不得超过1MB"}]

    def chunks():  # no Content-Length: refused as it streams past the limit
        for _ in range(1100):
            yield b"0" * 1024

    streamed = guarded.post("/up", content=chunks(),
                            headers={"content-type": "multipart/form-data; boundary=x"})
    assert streamed.status_code == 413


# The form beside the JSON route of the same path.

@pytest.fixture
def forms() -> TestClient:
    app = FastAPI()
    http.install(app, "test", Settings.from_env())
    api = APIRouter(route_class=FormRoute)

    @api.post("/submit")
    async def as_form(request: Request) -> dict:
        form, document = await read_form(request, SubmissionForm, 1024)
        return {"form": form.agency, "document": document and document.media_type}

    app.include_router(api)

    @app.post("/submit")
    async def as_json(form: SubmissionForm) -> dict:
        return {"json": form.agency}

    return TestClient(app)


def test_a_form_carries_the_application_and_the_document(forms):
    body = json.dumps(application("lc-mzj"), ensure_ascii=False)
    answer = forms.post("/submit", data={"application": body},
                        files={"id_document": ("证件.png", png(), "image/png")})
    assert answer.json() == {"form": "lc-mzj", "document": "image/png"}
    as_file = forms.post("/submit", files={"application": ("a.json", body.encode()),
                                           "id_document": ("x", pdf())})
    assert as_file.json() == {"form": "lc-mzj", "document": "application/pdf"}
    without = forms.post("/submit", files={"application": (None, body)})  # multipart, no file
    assert without.json() == {"form": "lc-mzj", "document": None}
    empty_input = forms.post("/submit", data={"application": body},
                             files={"id_document": ("", b"")})  # a browser's unused file input
    assert empty_input.json() == {"form": "lc-mzj", "document": None}
    assert forms.post("/submit", json=application("lc-mzj")).json() == {"json": "lc-mzj"}


def test_a_wrong_file_and_wrong_fields_are_reported_together(forms):
    body = application("lc-mzj")
    body["applicant"]["id_number"] = "110105194912310021"  # a wrong check digit
    refused = forms.post("/submit", data={"application": json.dumps(body), "extra": "x"},
                         files={"id_document": ("身份证.png", "只是文字".encode(), "image/png")})
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    errors = {e["field"]: e["message"] for e in refused.json()["errors"]}
    assert errors.keys() == {"id_document", "applicant.id_number", "extra"}
    assert errors["id_document"] == WRONG_TYPE


@pytest.mark.parametrize(("form", "field"), [
    ({"data": {}, "files": {"id_document": ("a.png", png())}}, "application"),
    ({"files": {"application": (None, "{not json")}}, "application"),
    ({"files": {"application": (None, "[]")}}, "application"),
    ({"files": {"application": (None, "{}"), "id_document": (None, "text, not a file")}},
     "id_document"),
    ({"data": {"application": "{}"}, "files": [("id_document", ("a.png", png())),
                                               ("id_document", ("b.png", png()))]},
     "id_document"),
    ({"data": {"application": "{}"}, "files": {"id_document": ("a.png", b"")}}, "id_document"),
])
def test_each_refusal_names_its_field(forms, form, field):
    refused = forms.post("/submit", **form)
    assert refused.status_code == 422
    assert field in [e["field"] for e in refused.json()["errors"]]


def test_a_document_over_its_limit_is_413_naming_it(forms):
    body = json.dumps(application("lc-mzj"))
    refused = forms.post("/submit", data={"application": body},
                         files={"id_document": ("a.pdf", b"%PDF-" + b"0" * 1020)})
    assert refused.status_code == 413
    assert refused.json()["errors"] == [{"field": "id_document", "message": "证件材料不得超过1KB"}]
    unreadable = forms.post("/submit", content=b"--x\r\n",
                            headers={"content-type": "multipart/form-data"})  # no boundary
    assert unreadable.status_code == 400 and "multipart" in unreadable.json()["detail"]
