"""A checked ledger kept between the check and the import (migration 0006): whether a staff
member may import it now. Pure: what was stored, who asks and the time are passed in.

A check is for the staff member who made it, for the agency it was made for, for two hours.
Anyone else's check (another person's, another agency's) is answered as absent, the same as
one that never was, was imported already or was deleted after it expired; the person's own
check that is past its time is told as such, so the clerk knows to check the file again."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.refusals import Reason, Refused

TTL = timedelta(hours=2)
ABSENT = "未找到这次检查的结果（可能已经导入或已过期），请重新检查台账后再导入"
EXPIRED = f"检查结果已过期（检查后{TTL.seconds // 3600}小时内有效），请重新检查台账后再导入"


@dataclass(frozen=True)
class StoredCheck:
    check_id: uuid.UUID
    agency_id: str
    checked_by: str
    name: str
    size: int
    sha256: str
    checked_at: datetime
    expires_at: datetime


def expires(checked_at: datetime) -> datetime:
    return checked_at + TTL


def importable(found: StoredCheck | None, *, user: str, agency: str | None,
               may_act_for: bool, now: datetime) -> StoredCheck:
    """`found` if `user` may import it at `now`, else `Refused`: not found (ABSENT), or the
    person's own check past its time (EXPIRED, gone).

    `agency` is the agency the request names, if it names one; `may_act_for` whether the user
    may act for the check's agency (staff of that agency, or a city administrator)."""
    if (found is None or found.checked_by != user or not may_act_for
            or (agency is not None and agency != found.agency_id)):
        raise Refused(ABSENT, reason=Reason.NOT_FOUND, field="check_id")
    if now >= found.expires_at:
        raise Refused(EXPIRED, reason=Reason.GONE, field="check_id")
    return found
