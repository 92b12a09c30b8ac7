"""The public form's route, POST /v1/applications, answered as plain ASGI.

It is the one route that carries the city's load, and FastAPI's request machinery (routing,
dependency resolution, body parsing into a dict and then the model) cost more CPU than the
application's own work (bench/RESULTS.md §1). This lane does the same in fewer steps: the body
is validated straight from its JSON into `SubmissionForm`, the use case is the same
`handlers.submit_application`, the answer the same `accepted_response`.

Anything this lane does not answer itself — a body that fails validation, a content type that
is not JSON (a form with the identity document goes to its own route, entrypoints/forms.py), an
over-long Idempotency-Key — goes on to the FastAPI route with the body handed over unchanged,
so every refusal reads exactly as it does on every other route and the OpenAPI document stays
the one contract.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.intake.domain.application import FieldError, SubmissionForm, judged_on
from services.intake.entrypoints.http import accepted_response, invalid
from services.intake.service_layer import handlers
from shared.clock import local_date
from shared.http import (
    UNAVAILABLE,
    problem_answer,
    refused_answer,
    too_large_answer,
    unavailable_answer,
)
from shared.limits import BodyTooLarge
from shared.refusals import Refused

PATH = "/v1/applications"
_KEY_MAX = 200  # as the FastAPI route declares it


class _Route:
    """What the request metrics read from scope["route"] (the FastAPI route's path)."""

    path = PATH


class SubmitLane:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Every request's forms (this lane's, and the routes' behind it) are validated as of
        # today by the service's clock, so a date in the future is named with the other
        # problems of the form, in the same 422.
        with judged_on(local_date(scope["app"].state.runtime.clock.now())):
            await self._lane(scope, receive, send)

    async def _lane(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] != "POST" or scope["path"] != PATH:
            await self.app(scope, receive, send)
            return
        content_type, key = b"", None
        for name, value in scope["headers"]:
            if name == b"content-type":
                content_type = value
            elif name == b"idempotency-key":
                key = value
        if not content_type.startswith(b"application/json") or (
                key is not None and len(key) > _KEY_MAX):
            await self.app(scope, receive, send)
            return
        try:
            body = await _read(receive)
        except BodyTooLarge:
            await too_large_answer(PATH)(scope, receive, send)
            return
        try:
            form = SubmissionForm.model_validate_json(body)
        except ValidationError:
            await self.app(scope, _replay(body, receive), send)
            return
        scope["route"] = _Route
        response = await _submit(scope["app"], form, key.decode("latin-1") if key else None)
        await response(scope, receive, send)


async def _submit(app: Any, form: SubmissionForm, key: str | None):
    """The route's body and its error handlers (shared/http.py), for this one use case."""
    try:
        accepted = await handlers.submit_application(
            app.state.store, app.state.runtime.clock, form, idempotency_key=key)
    except FieldError as exc:
        return problem_answer("POST", PATH, invalid(exc))
    except Refused as exc:
        return refused_answer("POST", PATH, exc)
    except UNAVAILABLE as exc:
        return unavailable_answer("POST", PATH, exc)
    return accepted_response(accepted)


async def _read(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body already read, as the downstream app would have received it."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
