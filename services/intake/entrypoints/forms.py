"""A submission as a multipart/form-data form: the part `application` (the same JSON document
the application/json body is, as text or as a file) and an optional file `id_document`.

FastAPI picks a route by path and method alone, so the form has routes of its own that only
multipart requests match (`FormRoute`); every other request goes, unchanged, to the JSON route
of the same path, which also documents the form in the OpenAPI (`FORM_DOC`). Refusals read as
on the JSON route: a size over a limit is 413; anything else wrong is one 422 listing every
field at once, the file's problem beside the application's (fields named as in the JSON body).
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.types import Scope

from services.intake.domain.id_document import (
    FIELD,
    DocumentRefused,
    IdDocumentFile,
    take,
    too_large,
)
from shared.http import STATUS_OF, Problem
from shared.limits import MAX_BODY, BodyTooLarge, multipart_form
from shared.refusals import Reason

F = TypeVar("F", bound=BaseModel)

APPLICATION = "application"
MAX_BYTES_ENV = "GONGKAI_ID_DOCUMENT_MAX_BYTES"
_MARGIN = MAX_BODY + 16 * 1024  # the application part, and the form's boundaries and headers
_MAX_PARTS = 4  # two expected; a few more are refused by name, beyond that unreadable
UNREADABLE = "表单无法读取：须为multipart/form-data格式，含application和id_document两部分"
TOO_LONG = f"申请内容不得超过{MAX_BODY // 1024}KB"


def max_form_bytes(max_bytes: int) -> int:
    """The largest form body taken at all: the document's limit plus the rest of the form."""
    return max_bytes + _MARGIN


class FormRoute(APIRoute):
    """A route that only multipart/form-data requests match."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or not multipart_form(scope):
            return Match.NONE, {}
        return super().matches(scope)


FORM_DOC: dict[str, Any] = {"requestBody": {"content": {"multipart/form-data": {
    "schema": {
        "type": "object",
        "required": [APPLICATION],
        "properties": {
            APPLICATION: {"type": "string", "description":
                          "The same JSON document as the application/json body, as UTF-8 text "
                          "or a file part; its fields are named in errors as in that body"},
            FIELD: {"type": "string", "format": "binary", "description":
                    "Optional: a scan or photo of the applicant's identity document, one JPEG, "
                    "PNG or PDF file (decided from its content), at most "
                    f"{MAX_BYTES_ENV} bytes (5 MiB by default)"},
        },
    },
    "encoding": {FIELD: {"contentType": "image/jpeg, image/png, application/pdf"}},
}}}}


async def read_form(request: Request, model: type[F],
                    max_bytes: int) -> tuple[F, IdDocumentFile | None]:
    """The form's application and identity document, or the problem with them."""
    try:
        async with request.form(max_files=_MAX_PARTS, max_fields=_MAX_PARTS,
                                max_part_size=max_form_bytes(max_bytes)) as form:
            applications, documents = form.getlist(APPLICATION), form.getlist(FIELD)
            unknown = [name for name in form if name not in (APPLICATION, FIELD)]
            raw = await _content(applications[0]) if len(applications) == 1 else None
            document = documents[0] if len(documents) == 1 else None
            content = await _content(document) if isinstance(document, UploadFile) else None
    except BodyTooLarge:
        raise Problem(413, too_large(max_bytes), field=FIELD) from None
    except HTTPException:  # the form's structure (starlette's parser says why, in English)
        raise Problem(400, UNREADABLE) from None

    # A size over a limit is answered alone (413), before anything in the form is judged.
    errors: list[dict[str, Any]] = []
    taken: IdDocumentFile | None = None
    # A browser's file input left empty sends a part with neither a file name nor content.
    if isinstance(document, UploadFile) and content is not None and (content or document.filename):
        try:
            taken = take(content, max_bytes)
        except DocumentRefused as refused:
            if refused.reason is Reason.TOO_LARGE:
                raise Problem(STATUS_OF[refused.reason], refused.message, field=FIELD) from None
            errors.append(_error(FIELD, refused.message))
    if raw is not None and len(raw) > MAX_BODY:
        raise Problem(413, TOO_LONG, field=APPLICATION)

    errors += [_error(name, kind="extra_forbidden") for name in unknown]
    if len(documents) > 1:
        errors.append(_error(FIELD, "只能上传一个证件材料文件"))
    elif isinstance(document, str) and document:
        errors.append(_error(FIELD, "证件材料须以文件形式上传"))
    parsed: F | None = None
    if not applications:
        errors.append(_error(APPLICATION, kind="missing"))
    elif raw is None:
        errors.append(_error(APPLICATION, "申请内容只能提交一份"))
    else:
        try:
            parsed = model.model_validate_json(raw)
        except ValidationError as exc:
            errors += [{**e, "loc": ("body", *e["loc"]) if e["loc"] else ("body", APPLICATION)}
                       for e in exc.errors(include_url=False)]
    if errors or parsed is None:
        raise RequestValidationError(errors)
    return parsed, taken


async def _content(part: UploadFile | str) -> bytes:
    return await part.read() if isinstance(part, UploadFile) else part.encode()


def _error(field: str, message: str = "", kind: str = "value_error") -> dict[str, Any]:
    """An error shaped as pydantic's, for the handler that renders every 422 (shared/http.py
    words `missing` and `extra_forbidden` itself, and a `value_error` by its message)."""
    error: dict[str, Any] = {"type": kind, "loc": ("body", field), "msg": message, "input": None}
    if kind == "value_error":
        error["ctx"] = {"error": ValueError(message)}
    return error
