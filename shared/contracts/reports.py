"""Facts recorded by reporting itself: the proactive-disclosure figures of table 二, which agency
staff enter (they are not derived from cases)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field

from shared.events import event_type


class IssuedRepealedInForce(BaseModel):
    issued: int = Field(0, ge=0)
    repealed: int = Field(0, ge=0)
    in_force: int = Field(0, ge=0)


class Decisions(BaseModel):
    decisions: int = Field(0, ge=0)


class Fees(BaseModel):
    amount_10k_yuan: Decimal = Field(Decimal("0"), ge=0, decimal_places=4)


@event_type("ProactiveFiguresEntered", 1)
class ProactiveFiguresEntered(BaseModel):
    """Table 二 of one agency-year, as entered (a later entry replaces an earlier one)."""

    year: int = Field(ge=2008, le=2100)
    rules: IssuedRepealedInForce = IssuedRepealedInForce()
    normative_documents: IssuedRepealedInForce = IssuedRepealedInForce()
    licensing: Decisions = Decisions()
    penalty: Decisions = Decisions()
    coercion: Decisions = Decisions()
    fees: Fees = Fees()
