"""Every consumer reads typed events (shared/contracts/): a fold that reads a field its event type
does not declare fails here, not silently in production (issue 17).

Each consumer's fold (reporting's projection, casework's case and intake's facts, notify's
letters) is run over an instance of every event type it receives, every field set, with every
attribute it reads recorded (`events_sample.reads`), `getattr` with a default included. And every
event type of the topics a service subscribes to is folded or explicitly ignored."""

from __future__ import annotations

import copy
import importlib
import uuid
from dataclasses import replace
from datetime import date
from enum import Enum

import pytest
from pydantic import BaseModel

from services.casework.domain import case as casework
from services.casework.domain.calendar import default_calendar
from services.casework.domain.commands import Context
from services.casework.domain.decide import from_intake
from services.notify.domain import letters
from services.notify.service_layer import handlers
from services.reporting.domain import projection
from shared.contracts import AGENCIES_TOPIC, APPLICATIONS_TOPIC, CASES_TOPIC, applications, cases
from shared.contracts import agencies as agency_events
from shared.contracts.agencies import AgencyConfigured
from shared.contracts.applications import (
    ApplicationSubmitted,
    HistoricalOutcomeRecorded,
    ReceiptConfirmed,
)
from shared.contracts.cases import (
    CaseOpened,
    CaseReceived,
    ConsultationEnded,
    ConsultationStarted,
    DeadlineBreached,
    DeadlineBreachWithdrawn,
    FeeNoticeIssued,
    FeePaid,
    ReviewDecided,
    ReviewFiled,
)
from shared.runtime import Runtime
from tests.unit.events_sample import events_of, instance, reads, undeclared

CASE_EVENTS = events_of(cases)
APPLICATION_EVENTS = events_of(applications)
TOPIC_EVENTS = {AGENCIES_TOPIC: events_of(agency_events),
                APPLICATIONS_TOPIC: APPLICATION_EVENTS, CASES_TOPIC: CASE_EVENTS}
# What must have happened for a fold to reach the branch that reads an event.
BEFORE: dict[type[BaseModel], list[type[BaseModel]]] = {
    ReviewDecided: [ReviewFiled], DeadlineBreachWithdrawn: [DeadlineBreached],
    ConsultationEnded: [ConsultationStarted], FeePaid: [FeeNoticeIssued],
    ReceiptConfirmed: [ApplicationSubmitted],
    HistoricalOutcomeRecorded: [ApplicationSubmitted, ReceiptConfirmed]}
# Handled in the service layer, not a fold: the agency's configuration kept as reference data.
STORED_AGENCY = {AgencyConfigured}


def history(model: type[BaseModel]) -> list[BaseModel]:
    opened = [CaseOpened] if model in CASE_EVENTS and model is not CaseOpened else []
    return [not_yet_received(instance(m)) for m in [*opened, *BEFORE.get(model, [])]]


def not_yet_received(fact: BaseModel) -> BaseModel:
    """An earlier fact of the history without the receipt it may carry (every field of the
    instance is set), so that the receipt and due date of the event folded next change the
    case. The event folded itself keeps every field: its receipt's reads are recorded too."""
    if isinstance(fact, ApplicationSubmitted):
        return fact.model_copy(update={"receipt": None})
    return cases.expanded(fact)[0]


def fold_once(start, step, model: type[BaseModel]):
    """The state after `model`'s history, then after one event of `model` (its reads
    recorded): (before, after, reads by model)."""
    state = start()
    for fact in history(model):
        state = step(state, fact)
    before = copy.deepcopy(state)
    with reads() as seen:
        after = step(state, instance(model))
    return before, after, seen


# --- reporting -------------------------------------------------------------------------------

def reporting_step(ws: projection.WorkingSet, fact: BaseModel) -> projection.WorkingSet:
    projection.apply_fact(ws, fact, "agency", uuid.UUID(int=2))
    return ws


def reporting_fold(model):
    return fold_once(projection.WorkingSet, reporting_step, model)


@pytest.mark.parametrize("model", projection.FOLDED, ids=lambda m: m.__name__)
def test_reporting_folds_only_declared_fields(model):
    before, after, seen = reporting_fold(model)
    assert not undeclared(seen)
    assert after != before, f"reporting lists {model.__name__} as folded but takes nothing of it"


@pytest.mark.parametrize("model", projection.IGNORED, ids=lambda m: m.__name__)
def test_an_event_reporting_ignores_changes_no_figure(model):
    # Were it folded, its type would be missing from RELEVANT: live and replay would skip it.
    before, after, seen = reporting_fold(model)
    assert after == before
    assert not seen.get(model)


def test_the_check_catches_a_fold_that_reads_an_undeclared_field(monkeypatch):
    real = projection.apply_fact

    def careless(ws, fact, agency, event_id):
        # A default hides the mistake in production: every receipt would count as "not set".
        getattr(fact, "on", None)
        real(ws, fact, agency, event_id)

    monkeypatch.setattr(projection, "apply_fact", careless)
    assert undeclared(reporting_fold(CaseReceived)[2]) == {"CaseReceived": {"on"}}
    monkeypatch.undo()
    assert undeclared(reporting_fold(CaseReceived)[2]) == {}


# --- casework --------------------------------------------------------------------------------

def without_last_on(state: casework.Case | None) -> casework.Case | None:
    return state and replace(state, last_on=None)


@pytest.mark.parametrize("model", CASE_EVENTS, ids=lambda m: m.__name__)
def test_casework_folds_only_declared_fields_of_every_case_event(model):
    before, after, seen = fold_once(lambda: None, casework.evolve, model)
    assert not undeclared(seen)
    if model in casework.DATED_ONLY:
        assert without_last_on(after) == without_last_on(before)
        assert seen[model] == {"on"}
    else:
        assert without_last_on(after) != without_last_on(before), (
            f"casework's evolve takes nothing of {model.__name__}: fold it or list it as "
            "DATED_ONLY")


def intake_step(case: casework.Case | None, fact: BaseModel) -> casework.Case | None:
    ctx = Context(today=date(2025, 12, 31), calendar=default_calendar())
    for new in from_intake(case, fact, ctx):
        case = casework.evolve(case, new)
    return case


@pytest.mark.parametrize("model", APPLICATION_EVENTS, ids=lambda m: m.__name__)
def test_casework_folds_only_declared_fields_of_intakes_events(model):
    before, after, seen = fold_once(lambda: None, intake_step, model)
    assert not undeclared(seen)
    assert after != before, f"casework takes nothing of intake's {model.__name__}"


# --- notify ----------------------------------------------------------------------------------

def notify_step(facts: letters.CaseFacts, event: BaseModel) -> tuple:
    """Notify's handling of one event: its fold, and what each of its parts (`expanded`) calls
    for, letter dates included."""
    after = handlers.fold(facts, event)
    called = handlers.called_for(event, after, date(2025, 10, 20))
    dates = [letters.letter_date_of(part, after) for part in cases.expanded(event)]
    return (after, [kind for _, kinds, _ in called for kind in kinds], dates,
            any(sms is not None for _, _, sms in called))


def test_every_attribute_the_fold_reads_is_declared_by_its_event_type():
    for model, fold_reads in letters.FOLD.items():
        assert model in CASE_EVENTS
        assert not set(fold_reads.values()) - set(model.model_fields), model.__name__
    facts = {f for f in letters.CaseFacts.__dataclass_fields__}
    assert {name for fold_reads in letters.FOLD.values() for name in fold_reads} <= facts


@pytest.mark.parametrize("model", CASE_EVENTS, ids=lambda m: m.__name__)
def test_notify_reads_only_declared_fields_of_every_case_event(model):
    event = instance(model)
    with reads() as seen:
        after, *_ = notify_step(letters.CaseFacts(outcome="disclosed"), event)
        assert handlers.case_of(event) == str(uuid.UUID(int=1))
    assert not undeclared(seen)
    for name, attribute in letters.FOLD.get(model, {}).items():
        value = getattr(event, attribute)
        assert getattr(after, name) == (value.value if isinstance(value, Enum) else
                                        tuple(value) if isinstance(value, list) else value)
    # The payload route (tests, JSON) reads the same typed event.
    assert letters.evolve_facts(letters.CaseFacts(outcome="disclosed"), model.__event_type__,
                                event.model_dump(mode="json")) == letters.fold(
        letters.CaseFacts(outcome="disclosed"), event)


@pytest.mark.parametrize("model", letters.IGNORED, ids=lambda m: m.__name__)
def test_an_event_notify_ignores_calls_for_nothing(model):
    facts = letters.CaseFacts(outcome="disclosed")
    after, kinds, _, sms = notify_step(facts, instance(model))
    assert (after, kinds, sms) == (facts, [], False)


def test_an_agency_event_is_about_no_case():
    assert handlers.case_of(AgencyConfigured.model_construct()) is None


# --- what each service subscribes to ---------------------------------------------------------

ACCOUNTED = {
    "reporting": {*projection.FOLDED, *projection.IGNORED},
    "notify": {*letters.FOLD, *letters.IGNORED, *STORED_AGENCY},
    # intake's events: each folded (test_casework_folds_only_declared_fields_of_intakes_events)
    "casework": {*APPLICATION_EVENTS, *STORED_AGENCY},
    "intake": set(),
}


def subscribed(service: str, monkeypatch, tmp_path) -> set[str]:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://nobody@127.0.0.1:9/none")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9")
    monkeypatch.setenv("GONGKAI_HOME", str(tmp_path))
    topics: set[str] = set()
    real = Runtime.consumes

    def consumes(self, topic, *args, **kwargs):
        topics.add(topic)
        return real(self, topic, *args, **kwargs)

    monkeypatch.setattr(Runtime, "consumes", consumes)
    importlib.import_module(f"services.{service}.bootstrap").create_app()  # not started
    return topics


def unaccounted(service: str, topics: set[str]) -> set[str]:
    received = {model for topic in topics for model in TOPIC_EVENTS[topic]}
    return {model.__name__ for model in received - ACCOUNTED[service]}


@pytest.mark.parametrize("service", sorted(ACCOUNTED))
def test_every_event_type_a_service_subscribes_to_is_folded_or_ignored(service, monkeypatch,
                                                                       tmp_path):
    topics = subscribed(service, monkeypatch, tmp_path)
    assert not unaccounted(service, topics)
    if service != "intake":
        assert topics, f"{service} consumes nothing?"


def test_folded_and_ignored_do_not_overlap():
    assert not set(projection.FOLDED) & set(projection.IGNORED)
    assert not set(letters.FOLD) & set(letters.IGNORED)
    assert not set(casework.DATED_ONLY) - set(CASE_EVENTS)


def test_the_check_catches_an_event_type_nobody_accounts_for(monkeypatch):
    monkeypatch.setitem(ACCOUNTED, "reporting", ACCOUNTED["reporting"] - {FeePaid})
    assert unaccounted("reporting", {CASES_TOPIC}) == {"FeePaid"}
