"""Agencies are tenants, configured as data (the city file) and announced as events."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator

from shared.events import event_type


class Office(BaseModel):
    name: str
    address: str = ""
    phone: str = ""


# The period an applicant is given to correct an application (Art. 30: a reasonable period the
# agency sets): its limits, for the agency's default and for a notice that sets its own.
CorrectionPeriod = Annotated[int, Field(ge=1, le=60)]


class AgencyPolicies(BaseModel):
    """Choices the law leaves to the agency (marked *(policy)* in docs/domain.md), with their
    defaults."""

    online_receipt: Literal["auto", "staff"] = Field(
        "auto", description="Online applications confirmed on submission, or by staff"
    )
    correction_period_working_days: CorrectionPeriod = 15
    extension_notice_written: bool = True
    fee_pauses_clock: bool = True
    # Edges of a consultation pause (Art. 32/34: its time is not counted). Default: the pause
    # starts the working day after dispatch and ends on the day the answer is received.
    pause_includes_dispatch_day: bool = False
    pause_includes_answer_day: bool = True
    # How long an applicant's personal data is kept after the case concluded and its remedy
    # period (six months) ended; then `gongkai erase --expired` erases it (docs/privacy.md).
    retention_years: int = Field(10, ge=1, le=100)


@event_type("AgencyConfigured", 1)
class AgencyConfigured(BaseModel):
    agency_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,39}$")
    name: str = Field(min_length=2)
    case_prefix: str = Field(pattern=r"^[A-Z0-9]{2,12}$")
    # The 机关代字 of its letters' numbers (文号), e.g. 聊民依申 gives 聊民依申〔2026〕7号,
    # numbered per agency and calendar year. Empty: letters show the case number instead.
    letter_prefix: str = Field("", max_length=20, pattern=r"^[^\s〔〕\[\]()（）]*$")
    disclosure_body: str
    address: str
    postal_code: str = ""
    phone: str
    office_hours: str = ""
    reconsideration_organ: Office
    court: Office
    policies: AgencyPolicies = AgencyPolicies()
    # The agency's SMS provider (Alibaba Cloud, Tencent Cloud, webhook); empty: the development
    # sink. Secrets are never written here, only where to find them: "env:VARIABLE".
    sms: dict[str, str] = Field(default_factory=dict)

    @field_validator("sms")
    @classmethod
    def _no_secrets(cls, sms: dict[str, str]) -> dict[str, str]:
        for key, value in sms.items():
            if any(word in key for word in ("secret", "password", "token")) and not (
                    value.startswith("env:")):
                raise ValueError(f"sms.{key} must name an environment variable (env:NAME), "
                                 "not hold the secret itself")
        return sms
