"""Rendering: one Jinja2 environment, the words every page may use, and the error page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from services.portal.domain import application_form, words
from shared.clock import local_date

templates = Jinja2Templates(directory=Path(__file__).parent.parent / "templates")
templates.env.globals.update(
    words=words, form=application_form, cn_date=words.cn_date,
)
templates.env.filters["cn_date"] = words.cn_date
templates.env.filters["local_time"] = words.local_time


def today(request: Request):
    return local_date(request.app.state.clock.now())


def render(request: Request, template: str, /, *, http_status: int = 200,
           **context: Any) -> HTMLResponse:
    context.setdefault("session", getattr(request.state, "session", None))
    context.setdefault("staff_face", request.app.state.config.staff)
    context.setdefault("public_face", request.app.state.config.public)
    return templates.TemplateResponse(request, template, context, status_code=http_status)


def error(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    return render(request, "error.html", http_status=status, title=title, message=message)
