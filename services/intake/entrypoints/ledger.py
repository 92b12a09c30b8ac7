"""A historical ledger (台账) imported over HTTP, for the staff console, in two steps (the
`gongkai import` command reads and checks the same way, services/intake/domain/ledger_check.py):

1. POST /v1/ledger-imports/check — the ledger and, optionally, the agency's published table-三
   figures: every problem of both files by line and field (422, nothing stored), or the
   warnings about the published figures and a summary of what would be imported, with a
   `check_id`: intake keeps the checked file (table ledger_checks, migration 0006) for the
   staff member and agency that checked it, for two hours.
2. POST /v1/ledger-imports — `{"check_id": …}`: the file kept under that check is imported,
   whole or not at all, and never twice (services/intake/service_layer/ledger_import.py); the
   check is deleted in the same transaction, so it is imported at most once.

The client does not send the file again: the import takes exactly the bytes that were checked.
Anyone else's check (another person's or another agency's) is answered as absent (404), the
same as one imported already or deleted after it expired; one's own expired check is 410
(services/intake/domain/ledger_checks.py). Registrars and approvers of the agency and city
administrators may do both. Logs name the agency, the user, the check and counts; never a cell
of the file (names, ID numbers) nor its file name."""

# No `from __future__ import annotations`: FastAPI must see the real types in the closures.
import hashlib
import logging
import re
import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from services.intake.adapters import ledger_checks
from services.intake.domain.ledger_check import LEDGER, PUBLISHED, CheckFailed, check_ledger
from services.intake.domain.ledger_checks import importable
from services.intake.service_layer.ledger_import import admissible, import_ledger
from shared.auth import Role, Staff, require_agency, require_role
from shared.clock import local_date
from shared.http import STATUS_OF, Problem, problem_response
from shared.limits import Upload
from shared.refusals import Refused
from shared.runtime import Runtime

log = logging.getLogger(__name__)

CHECK, IMPORT = "/v1/ledger-imports/check", "/v1/ledger-imports"
# A 20,000-row ledger is 4–10 MB as CSV (less as XLSX); published figures are a few KB.
LEDGER_MAX_BYTES = 24 * 1024 * 1024
PUBLISHED_MAX_BYTES = 1024 * 1024
MAX_FORM_BYTES = LEDGER_MAX_BYTES + PUBLISHED_MAX_BYTES + 64 * 1024
LEDGER_TOO_LARGE = f"台账文件不得超过{LEDGER_MAX_BYTES // (1024 * 1024)}MB"
# Only the check carries files; the import is a small JSON body under the service's limit.
UPLOADS = (Upload(CHECK, MAX_FORM_BYTES, LEDGER, LEDGER_TOO_LARGE),)
ROLES = (Role.REGISTRAR, Role.APPROVER, Role.CITY_ADMIN)
AGENCY_DOC = ("The agency whose ledger it is; staff of an agency may leave it out (their own), "
              "a city administrator names one")


class FileInfo(BaseModel):
    name: str
    size: int
    sha256: str


class Summary(BaseModel):
    rows: int
    concluded: int
    open: int
    years: list[int]
    first_received_on: date
    last_received_on: date


class LedgerChecked(BaseModel):
    agency: str
    file: FileInfo
    summary: Summary
    warnings: list[str]
    check_id: uuid.UUID
    expires_at: datetime


class ImportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    check_id: uuid.UUID = Field(description="The `check_id` the check answered (two hours)")
    agency: str | None = Field(None, max_length=64, description=(
        "Optional: the agency the check was for (a request naming another is refused)"))


class LedgerImported(BaseModel):
    agency: str
    file: FileInfo
    rows: int
    concluded: int
    open: int


RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid staff token"},
    403: {"description": "Not a registrar, approver or city administrator, or another agency"},
    404: {"description": "No such agency; or (import) no such check for this staff member: "
                         "never made, another person's or agency's, imported already, or "
                         "deleted after it expired (the same answer for each)"},
    409: {"description": "This file was imported before, or its case numbers are taken"},
    410: {"description": "(import) The staff member's own check, past its two hours"},
    413: {"description": f"The ledger is over {LEDGER_MAX_BYTES} bytes (published figures: "
                         f"{PUBLISHED_MAX_BYTES})"},
    422: {"description": "Every problem of the files, each with `field` (ledger or published), "
                         "`line` (0: the file as a whole), `column`, `label` and `message`; or "
                         "a missing or unusable file, agency or check_id"},
}
AgencyField = Annotated[str | None, Form(max_length=64, description=AGENCY_DOC)]


def _name(upload: UploadFile) -> str:
    """The file's own name without any folder (browsers on Windows once sent C:\\…\\x.csv)."""
    return re.split(r"[\\/]", upload.filename or "")[-1].strip()[:200]


async def _read(upload: UploadFile | None, field: str, limit: int, words: str) -> bytes | None:
    if upload is None:
        return None
    content = await upload.read()
    if not content and not _name(upload):
        return None  # a browser's file input left empty
    if len(content) > limit:
        raise Problem(413, f"{words}不得超过{limit // (1024 * 1024)}MB", field=field)
    return content


def _agency(staff: Staff, named: str | None) -> str:
    require_role(staff, *ROLES)
    agency = (named or "").strip() or staff.agency
    if not agency:
        raise Problem(422, "请选择导入台账的行政机关", field="agency")
    require_agency(staff, agency)
    return agency


def _problems(request: Request, failed: CheckFailed) -> JSONResponse:
    errors = [{"field": p.file, "line": p.line, "column": p.field, "label": p.label,
               "message": p.message} for p in failed.problems]
    files = "、".join(dict.fromkeys({LEDGER: "台账", PUBLISHED: "公布数据"}[p.file]
                                    for p in failed.problems))
    log.info("%s %s -> 422 %d problems in %s", request.method, request.url.path,
             len(errors), sorted({p.file for p in failed.problems}))
    return problem_response(422, f"{files}有{len(errors)}处问题，未导入", title="台账不符合要求",
                            errors=errors, instance=request.url.path)


def _refused(request: Request, refused: Refused) -> JSONResponse:
    status = STATUS_OF[refused.reason]
    # The message may name the file as it was uploaded: it goes to the clerk, not the log.
    log.info("%s %s -> %d ledger refused", request.method, request.url.path, status)
    return problem_response(status, refused.message, errors=[
        {"field": refused.field or LEDGER, "message": refused.message}],
        instance=request.url.path)


def ledger_router(runtime: Runtime) -> APIRouter:
    api = APIRouter(tags=["ledger import"])
    staff_dep = Annotated[Staff, Depends(runtime.staff)]

    @api.post(CHECK, response_model=LedgerChecked, responses=RESPONSES,
              summary="Check a historical ledger (and published table-三 figures) before "
                      "importing it; a ledger that passes is kept for two hours as `check_id`")
    async def check(
        request: Request,
        staff: staff_dep,
        ledger: Annotated[UploadFile, File(description="The ledger, CSV or XLSX")],
        published: Annotated[UploadFile | None, File(
            description="Optional: the table-三 figures the agency published (CSV)")] = None,
        agency: AgencyField = None,
    ) -> Any:
        agency_id = _agency(staff, agency)
        data = await _read(ledger, LEDGER, LEDGER_MAX_BYTES, "台账文件")
        figures = await _read(published, PUBLISHED, PUBLISHED_MAX_BYTES, "公布数据文件")
        if data is None:
            raise Problem(422, "请选择台账文件（CSV或XLSX）", field=LEDGER)
        now = runtime.clock.now()
        try:
            checked = await run_in_threadpool(check_ledger, data, _name(ledger), figures,
                                              today=local_date(now))
        except CheckFailed as failed:
            return _problems(request, failed)
        try:
            async with runtime.engine.begin() as conn:
                await admissible(conn, agency_id, checked.rows, hashlib.sha256(data).hexdigest())
                warnings = await ledger_checks.warnings(conn, checked)
                kept = await ledger_checks.keep(conn, agency_id=agency_id, user=staff.user,
                                                name=_name(ledger), content=data, now=now)
        except Refused as refused:
            return _refused(request, refused)
        s = checked.summary
        log.info("ledger checked for %s by %s: %d rows, %d warnings, check %s", agency_id,
                 staff.user, s.rows, len(warnings), kept.check_id)
        return LedgerChecked(
            agency=agency_id, file=FileInfo(name=kept.name, size=kept.size, sha256=kept.sha256),
            warnings=warnings, check_id=kept.check_id, expires_at=kept.expires_at,
            summary=Summary(rows=s.rows, concluded=s.concluded, open=s.open, years=list(s.years),
                            first_received_on=s.first_received_on,
                            last_received_on=s.last_received_on))

    @api.post(IMPORT, status_code=201, response_model=LedgerImported, responses=RESPONSES,
              summary="Import the ledger a check kept: whole or not at all, never twice")
    async def import_(request: Request, staff: staff_dep, body: ImportRequest) -> Any:
        require_role(staff, *ROLES)
        named = (body.agency or "").strip() or None
        if named is not None:
            require_agency(staff, named)
        now = runtime.clock.now()
        found, content = await ledger_checks.find(runtime.engine, body.check_id) or (None, b"")
        try:
            kept = importable(found, user=staff.user, agency=named, now=now,
                              may_act_for=found is not None and staff.can_act_for(found.agency_id))
        except Refused as refused:
            return _refused(request, refused)
        try:
            checked = await run_in_threadpool(check_ledger, content, kept.name, None,
                                              today=local_date(now))
            done = await import_ledger(runtime.engine, runtime.clock, kept.agency_id,
                                       checked.rows, content=content, source=kept.name,
                                       actor=staff.user, check_id=kept.check_id,
                                       key_ring=request.app.state.store.key_ring)
        except CheckFailed as failed:
            return _problems(request, failed)
        except Refused as refused:  # e.g. imported by a request that came first
            return _refused(request, refused)
        log.info("ledger imported into %s by %s from check %s: %d rows (%d concluded, %d open)",
                 kept.agency_id, staff.user, kept.check_id, done.rows, done.concluded, done.open)
        return LedgerImported(agency=kept.agency_id, rows=done.rows, concluded=done.concluded,
                              open=done.open, file=FileInfo(name=kept.name, size=kept.size,
                                                            sha256=kept.sha256))

    return api
