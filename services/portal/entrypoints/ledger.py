"""台账导入 (/staff/import): a registrar or approver of an agency, or a city administrator,
imports the agency's historical ledger in two steps through intake's API (POST
/v1/ledger-imports/check, then /v1/ledger-imports), with their own token: the upload form; the
check's result (every problem by line and field, the warnings about the published figures, a
summary); a confirm button; then how many cases were created.

Between check and import intake keeps the checked file, for the staff member and agency that
checked it, for two hours (services/intake/entrypoints/ledger.py); the check's page carries only
its `check_id` in the confirm form (with the CSRF token and the agency), so the page stays a few
KB whatever the file's size, and the clerk does not choose the file twice. Confirming posts the
id back and the portal hands it to intake, which imports exactly the bytes it checked, once; the
portal keeps nothing."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.portal.adapters.services import Answer
from services.portal.adapters.sessions import Session
from services.portal.entrypoints.pages import error, render
from services.portal.entrypoints.staff import SignInNeeded, page

router = APIRouter(prefix="/staff")
ROLES = ("registrar", "approver", "city_admin")
MB = 1024 * 1024
LEDGER_MAX = 24 * MB  # intake's limit (services/intake/entrypoints/ledger.py)
PUBLISHED_MAX = 1 * MB
FORM_PART_MAX = LEDGER_MAX + MB  # the check's form: the ledger is its largest part
TIMEOUT = 300.0  # a 20,000-row import takes seconds; the default 15 s is for pages
LABELS = {"agency": "行政机关", "ledger": "台账文件", "published": "公布数据文件"}
FILES = {"ledger": "台账", "published": "公布数据"}


def _allowed(session: Session) -> bool:
    return session.has(*ROLES)


def _forbidden(request: Request) -> Response:
    return error(request, 403, "无权导入台账",
                 "台账导入限本机关的登记人员、公开工作机构负责人或市级管理员办理。")


@router.get("/import", response_class=HTMLResponse)
async def import_page(request: Request) -> Response:
    return await page(request, _page)


async def _page(request: Request, session: Session) -> Response:
    if not _allowed(session):
        return _forbidden(request)
    q = request.query_params
    counts = [q.get(k, "") for k in ("imported", "concluded", "open")]
    imported = dict(zip(("rows", "concluded", "open"), map(int, counts), strict=True)) \
        if all(c.isdigit() for c in counts) else None
    return await _show(request, session, agency=q.get("agency") or "", imported=imported)


async def _show(request: Request, session: Session, *, agency: str = "", status: int = 200,
                **context: Any) -> Response:
    agencies = await request.app.state.services.agencies()
    agency = session.agency or agency
    names = {a["id"]: a["name"] for a in agencies}
    for name, empty in (("errors", {}), ("problems", {}), ("checked", None),
                        ("imported", None)):
        context.setdefault(name, empty)
    queue = "/staff/" + (f"?{urlencode({'agency': agency})}" if session.city_admin else "")
    return render(request, "staff/import.html", http_status=status, agencies=agencies,
                  agency=agency, agency_name=names.get(agency, agency),
                  labels=LABELS, files=FILES, queue_url=queue, **context)


async def _file(upload: Any) -> tuple[str, bytes] | None:
    """An uploaded file's name and bytes; None if none was chosen."""
    if upload is None or isinstance(upload, str):
        return None
    content = await upload.read()
    name = (upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    return (name, content) if content or name else None


def _answered(answer: Answer, context: dict[str, Any]) -> None:
    """A refusal's problems into the page: each file's problems for its table, a word next to
    its field; other errors next to their fields, or above the form."""
    errors: dict[str, str] = context.setdefault("errors", {})
    items = (answer.body.get("errors") or []) if isinstance(answer.body, dict) else []
    problems: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        field = str(item.get("field") or "")
        if "line" in item and field in FILES:
            problems.setdefault(field, []).append(item)
        elif field in LABELS and field not in errors:
            errors[field] = str(item.get("message") or "")
        elif "_form" not in errors:
            errors["_form"] = str(item.get("message") or "")
    for field, found in problems.items():
        errors[field] = f"{FILES[field]}有{len(found)}处问题，见下方“{FILES[field]}的问题”"
    if not errors:
        errors["_form"] = answer.detail or "未能完成，请稍后重试。"
    context["problems"] = problems


@router.post("/import/check", response_class=HTMLResponse)
async def check(request: Request) -> Response:
    return await page(request, _check, max_part_size=FORM_PART_MAX)


async def _check(request: Request, session: Session, form: Any) -> Response:
    if not _allowed(session):
        return _forbidden(request)
    agency = session.agency or str(form.get("agency") or "")
    ledger, published = await _file(form.get("ledger")), await _file(form.get("published"))
    errors: dict[str, str] = {}
    if not agency:
        errors["agency"] = "请选择导入台账的行政机关"
    if ledger is None:
        errors["ledger"] = "请选择台账文件（CSV或XLSX）"
    elif len(ledger[1]) > LEDGER_MAX:
        errors["ledger"] = f"台账文件不得超过{LEDGER_MAX // MB}MB"
    if published is not None and len(published[1]) > PUBLISHED_MAX:
        errors["published"] = f"公布数据文件不得超过{PUBLISHED_MAX // MB}MB"
    if errors or ledger is None:
        return await _show(request, session, agency=agency, errors=errors, status=422)
    files = {"ledger": (ledger[0], ledger[1], "application/octet-stream")}
    if published is not None:
        files["published"] = (published[0], published[1], "text/csv")
    answer = await request.app.state.services.post(
        "intake", "/v1/ledger-imports/check", token=session.token, files=files,
        data={"agency": agency}, timeout=TIMEOUT)
    if answer.status == 401:
        raise SignInNeeded()
    if not answer.ok:
        context: dict[str, Any] = {}
        _answered(answer, context)
        return await _show(request, session, agency=agency, status=answer.status, **context)
    return await _show(request, session, agency=agency, checked=answer.body)


@router.post("/import/confirm", response_class=HTMLResponse)
async def confirm(request: Request) -> Response:
    return await page(request, _confirm)


async def _confirm(request: Request, session: Session, form: Any) -> Response:
    if not _allowed(session):
        return _forbidden(request)
    agency = session.agency or str(form.get("agency") or "")
    check_id = str(form.get("check_id") or "").strip()
    if not check_id or not agency:
        return await _show(request, session, agency=agency, status=422, errors={
            "_form": "确认信息不完整，请重新选择台账文件并检查。"})
    answer = await request.app.state.services.post(
        "intake", "/v1/ledger-imports", token=session.token,
        json={"check_id": check_id, "agency": agency}, timeout=TIMEOUT)
    if answer.status == 401:
        raise SignInNeeded()
    if not answer.ok:
        context: dict[str, Any] = {}
        _answered(answer, context)
        if "ledger" in context["errors"] and not context["problems"]:
            # Not a field of this form: say it above the form, where the confirm button was.
            context["errors"]["_form"] = context["errors"].pop("ledger")
        return await _show(request, session, agency=agency, status=answer.status, **context)
    done = answer.body
    query = {"imported": done["rows"], "concluded": done["concluded"], "open": done["open"]}
    if session.city_admin:
        query["agency"] = agency
    return RedirectResponse("/staff/import?" + urlencode(query), status_code=303)
