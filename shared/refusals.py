"""Why a command or a request is refused, in the domain's words.

Domain code and service layers raise `Refused` with a reason, a message for the person (in
Chinese) and, where one field is at fault, its name. They know nothing of HTTP: the HTTP edge
(`shared.http`) turns the reason into a status code and a problem answer, and a consumer or a
command-line tool turns it into whatever it reports.
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    FORBIDDEN = "forbidden"  # this person may not do this (their role or their agency)
    INVALID = "invalid"  # what was asked is wrong: a field's value, a date, a missing reason
    TOO_LARGE = "too_large"  # what was sent is over its size limit (an uploaded file)
    NOT_FOUND = "not_found"  # the case, agency or document named does not exist (for them)
    GONE = "gone"  # it existed and its time is over (a ledger check past its two hours)
    CONFLICT = "conflict"  # the thing's present state does not allow it (a concluded case)
    UNAVAILABLE = "unavailable"  # not now: try again shortly (reference data being updated)


class Refused(Exception):
    def __init__(self, message: str, *, reason: Reason = Reason.CONFLICT,
                 field: str | None = None) -> None:
        super().__init__(message)
        self.message, self.reason, self.field = message, reason, field

    def __repr__(self) -> str:
        return f"Refused({self.reason}, {self.message!r}, field={self.field!r})"
