"""Casework's HTTP API: cases, their history and due-date computation, staff commands, queues,
and the calendar. Every endpoint is for authenticated staff of the case's agency."""

# No `from __future__ import annotations` here: FastAPI must see the real types of the
# endpoints built in closures below.
import uuid
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from services.casework.adapters import calendar_store, projection
from services.casework.domain import commands as c
from services.casework.domain.calendar import (
    PROVISIONAL_RULE,
    PROVISIONAL_SOURCE,
    provisional_days,
)
from services.casework.domain.holidays import PROVISIONAL_MAX_YEAR, PROVISIONAL_MIN_YEAR
from services.casework.domain.notice import NoticeError, parse_notice
from services.casework.domain.public import public_steps, recorded_facts
from services.casework.service_layer import gauges, handlers, queues
from shared import eventstore
from shared.auth import Role, Staff, require_agency, require_role
from shared.clock import local_date
from shared.contracts.agencies import CorrectionPeriod
from shared.contracts.applications import access_code_hash
from shared.contracts.cases import (
    ConsultationKind,
    FeeMethod,
    Ground,
    PartyType,
    ReviewKind,
    ReviewResult,
)
from shared.http import Problem
from shared.runtime import Runtime

CITY = "city"  # the whole city, as in reporting's API
STATUS_LABELS = {"awaiting_receipt": "待确认收到", "open": "办理中",
                 "awaiting_correction": "待补正", "concluded": "已办结"}

# Staff read what happened, not the applicant's keys or the access code's hash.
NOT_SHOWN = frozenset({"applicant_keys", "applicant_key", "access_code_hash"})


class Body_(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    on: date = Field(description="The business date the act takes effect (not after today)")


class Receipt(Body_):
    pass


class CorrectionNotice(Body_):
    items: list[str] = Field(min_length=1, max_length=50)
    period_working_days: CorrectionPeriod | None = None


class CorrectionReceived(Body_):
    late_reason: str | None = Field(None, max_length=2000)


class Extension(Body_):
    working_days: int = Field(20, ge=1, le=20)
    reason: str = Field(min_length=2, max_length=2000)


class Consultation(Body_):
    kind: ConsultationKind
    party: str = Field(min_length=1, max_length=200)
    party_type: PartyType | None = Field(
        None, description="A third party: organisation (the default) or person")


class ConsultationAnswer(Body_):
    party: str = Field(min_length=1, max_length=200)
    answer: str = Field("", max_length=5000)


class FeeNotice(Body_):
    method: FeeMethod
    pages: int | None = Field(None, ge=0, le=10_000_000)


class Note(Body_):
    note: str = Field("", max_length=2000)


class ReasonableDueDate(Body_):
    due_on: date
    reason: str = Field(min_length=2, max_length=2000)


class Decision(Body_):
    outcome: str = Field(max_length=60)
    reply_text: str = Field("", max_length=20000)
    legal_basis: str | None = Field(None, max_length=500)
    on_the_spot: bool = False
    ground: Ground | None = Field(
        None, description="disclosed: provided (36(2), default) or already_public (36(1)); "
                          "unable.not_held: not_exist (36(4), default) or not_responsible (36(5))")
    public_source: str = Field("", max_length=500,
                               description="already_public: where and how to get it")
    responsible_agency: str = Field("", max_length=200,
                                    description="not_responsible: the agency to apply to")
    responsible_contact: str = Field("", max_length=300,
                                     description="not_responsible: its address or phone")
    medium: Literal["paper", "electronic"] | None = Field(
        None, description="Only when provided in another form than asked (Art. 40)")
    delivery: Literal["post", "email", "pickup", "online"] | None = Field(
        None, description="Only when provided by another route than asked (Art. 40)")
    form_reason: str = Field("", max_length=2000,
                             description="Why another form or route (required with them)")


class Review(Body_):
    review_id: str = Field(min_length=1, max_length=100)
    kind: ReviewKind
    authority: str = Field(min_length=2, max_length=200)


class ReviewResultBody(Body_):
    review_id: str = Field(min_length=1, max_length=100)
    result: ReviewResult


def _commands() -> dict[str, tuple[type[BaseModel], Any]]:
    """Path → (request body, command). One table, so every command is routed the same way."""
    return {
        "receipt": (Receipt, lambda b: c.ConfirmReceipt(b.on)),
        "correction-notice": (CorrectionNotice, lambda b: c.RequestCorrection(
            b.on, tuple(b.items), b.period_working_days)),
        "correction": (CorrectionReceived, lambda b: c.ReceiveCorrection(b.on, b.late_reason)),
        "extension": (Extension, lambda b: c.ApproveExtension(b.on, b.working_days, b.reason)),
        "consultations": (Consultation, lambda b: c.StartConsultation(b.on, b.kind, b.party,
                                                                      b.party_type)),
        "consultation-answer": (ConsultationAnswer, lambda b: c.EndConsultation(
            b.on, b.party, b.answer)),
        "fee-notice": (FeeNotice, lambda b: c.IssueFeeNotice(b.on, b.method, b.pages)),
        "fee-payment": (Body_, lambda b: c.RecordFeePayment(b.on)),
        "reasons-request": (Note, lambda b: c.RequestReasons(b.on, b.note)),
        "reasonable-due-date": (ReasonableDueDate, lambda b: c.SetReasonableDueDate(
            b.on, b.due_on, b.reason)),
        "withdrawal": (Note, lambda b: c.Withdraw(b.on, b.note)),
        "decision": (Decision, lambda b: c.Decide(
            b.on, b.outcome, b.reply_text, b.legal_basis, b.on_the_spot, b.ground,
            b.public_source, b.responsible_agency, b.responsible_contact, b.medium, b.delivery,
            b.form_reason)),
        "reviews": (Review, lambda b: c.FileReview(b.on, b.review_id, b.kind, b.authority)),
        "review-result": (ReviewResultBody, lambda b: c.DecideReview(b.on, b.review_id,
                                                                      b.result)),
    }


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter(prefix="/v1")
    staff_dep = Annotated[Staff, Depends(runtime.staff)]

    @api.get("/cases/{application_id}", tags=["cases"],
             summary="A case: status, dates, how its due date was computed, full history")
    async def get_case(application_id: uuid.UUID, staff: staff_dep) -> dict[str, Any]:
        async with runtime.engine.connect() as conn:
            case = await projection.row(conn, application_id)
            if case is None or not staff.can_act_for(case["agency"]):
                raise Problem(404, "未找到该案件", field="application_id")
            history = await eventstore.read_stream(conn, str(application_id), "casework")
            case["actions"] = await handlers.actions(conn, runtime.clock, case["agency"],
                                                     history, staff)
        case["history"] = [{"type": kind, "occurred_at": e.occurred_at.isoformat(),
                            "actor": e.actor, "facts": {k: v for k, v in payload.items()
                                                        if k not in NOT_SHOWN}}
                           for e, kind, payload in recorded_facts(history)]
        return case

    for path, (model, make) in _commands().items():
        api.add_api_route(f"/cases/{{application_id}}/{path}", _command_endpoint(
            runtime, model, make, staff_dep), methods=["POST"], tags=["commands"],
            summary=f"Command: {path}")

    async def status_of(application_id: uuid.UUID, code: str) -> dict[str, Any]:
        async with runtime.engine.connect() as conn:
            found = await projection.public_status(
                conn, application_id, access_code_hash(application_id, code))
            if found is None:  # the same answer for a wrong code and an unknown id
                raise Problem(404, "未找到该申请，或查询码不正确", field="code")
            history = await eventstore.read_stream(conn, str(application_id), "casework")
        found["steps"] = public_steps(history)
        found["application_id"] = str(application_id)
        found["status_label"] = STATUS_LABELS.get(found["status"], found["status"])
        return found

    code_query = Annotated[str, Query(min_length=6, max_length=20, description="查询码")]

    @api.get("/status/{application_id}", tags=["public"],
             summary="The applicant checks the status with the access code given at submission")
    async def public_status(application_id: uuid.UUID, code: code_query) -> dict[str, Any]:
        return await status_of(application_id, code)

    @api.get("/status", tags=["public"],
             summary="The same, by the case number (受理编号) instead of the application id")
    async def public_status_by_number(
        case_number: Annotated[str, Query(min_length=3, max_length=40, description="受理编号")],
        code: code_query,
    ) -> dict[str, Any]:
        async with runtime.engine.connect() as conn:
            application_id = await projection.application_of(conn, case_number.strip().upper())
        if application_id is None:
            raise Problem(404, "未找到该申请，或查询码不正确", field="code")
        return await status_of(application_id, code)

    @api.get("/queues/{agency}", tags=["queues"],
             summary="An agency's work queue (`city`: every agency's, for city administrators)")
    async def queue(
        agency: str, staff: staff_dep, response: Response,
        view: Literal["open", "paused", "due_soon", "overdue"] = "open",
        within: Annotated[int, Query(ge=0, le=60)] = 3,
        limit: Annotated[int, Query(ge=1, le=2000)] = 500,
        offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
        q: Annotated[str, Query(max_length=100, description="受理编号或申请人名称的一部分")] = "",
    ) -> list[dict[str, Any]]:
        if agency == CITY:
            require_role(staff, Role.CITY_ADMIN)
        else:
            require_agency(staff, agency)
        cases, total = await queues.view(runtime.engine, runtime.clock,
                                         None if agency == CITY else agency, view, within,
                                         limit, search=q.strip(), offset=offset)
        response.headers["X-Total-Count"] = str(total)
        return cases

    @api.post("/sweep", tags=["operations"],
              summary="Record the lapses time has brought now, without waiting for the schedule")
    async def sweep_now(staff: staff_dep) -> dict[str, int]:
        require_role(staff, Role.CITY_ADMIN)
        changed = await handlers.sweep(runtime.engine, runtime.clock)
        await gauges.refresh(runtime.engine, runtime.clock)
        return {"cases_changed": changed}

    @api.get("/calendar", tags=["calendar"],
             summary="Years with an official notice loaded, and the provisional years after")
    async def calendar_years(
        staff: staff_dep,
        through: Annotated[int | None, Query(
            ge=PROVISIONAL_MIN_YEAR, le=PROVISIONAL_MAX_YEAR,
            description="List provisional years up to this one (default: next year)")] = None,
    ) -> list[dict[str, Any]]:
        """Every loaded year (`provisional: false`, its notice and who loaded it), then each
        year from this one to `through` with no notice loaded (`provisional: true`): the rule
        its working days follow and the days that rule makes rest days (due dates counted
        through them are provisional and recomputed when the notice is loaded)."""
        async with runtime.engine.connect() as conn:
            loaded = await calendar_store.year_sources(conn)
            cal = await calendar_store.read(conn)
        years = [{**y, "provisional": False} for y in loaded]
        this_year = local_date(runtime.clock.now()).year
        last = min(max(through or this_year + 1, this_year), this_year + 10)
        years += [{"year": year, "provisional": True, "source": PROVISIONAL_SOURCE,
                   "rule": PROVISIONAL_RULE, "loaded_by": None, "loaded_at": None,
                   "days": provisional_days(cal, year)}
                  for year in range(this_year, last + 1)
                  if year not in cal.official_years]
        return sorted(years, key=lambda y: y["year"])

    @api.put("/calendar/{year}", tags=["calendar"],
             summary="Load or correct a year's State Council holiday notice (YAML body)")
    async def load_calendar(year: int, staff: staff_dep,
                            notice: Annotated[str, Body(media_type="application/yaml")],
                            ) -> dict[str, Any]:
        require_role(staff, Role.CITY_ADMIN)
        try:
            parsed = parse_notice(notice)
        except NoticeError as exc:
            raise Problem(422, "节假日安排文件有误：" + "；".join(exc.problems)) from None
        if parsed.year != year:
            raise Problem(422, f"文件所列年份为{parsed.year}年，与请求的{year}年不符",
                          field="year")
        return await handlers.load_notice(runtime.engine, runtime.clock, parsed, staff)

    return api


def _command_endpoint(runtime: Runtime, model: type[BaseModel], make: Any, staff_dep: Any):
    async def endpoint(application_id: uuid.UUID, body: model, staff: staff_dep,  # type: ignore[valid-type]
                       ) -> dict[str, Any]:
        # A refusal is answered by the HTTP edge (shared/http.py).
        return await handlers.command(runtime.engine, runtime.clock, application_id,
                                      make(body), staff)

    return endpoint
