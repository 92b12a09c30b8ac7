"""Every page, on a desktop and on a phone: axe-core finds nothing serious, nothing is asked
of the internet, and a screenshot of each goes to docs/screenshots/ for the README."""

from __future__ import annotations

import pytest

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.test_console import register

PUBLIC = {"home": "/", "guide": "/agencies/lc-mzj", "apply": "/apply/lc-mzj",
          "status": "/status", "reports": "/reports"}
STAFF = {"queue": "/staff/", "queue-due-soon": "/staff/?view=due_soon",
         "queue-overdue": "/staff/?view=overdue", "queue-paused": "/staff/?view=paused",
         "register": "/staff/register", "report": "/staff/reports"}
CITY = {"queue-city": "/staff/", "calendar": "/staff/calendar",
        "report-city": "/staff/reports?agency=city"}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_every_page(visit, viewport) -> None:
    v = visit(viewport)
    for name, path in PUBLIC.items():
        assert v.go(path).status == 200, path
        v.check(name)
    v.sign_in("lc-mzj.registrar")
    v.check("signed-in")
    path = register(v, "巡检申请人", arrived="2026-12-14", received="2026-12-14")
    v.check("case")
    for name, path in STAFF.items():
        assert v.go(path).status == 200, path
        v.check(name)

    admin = visit(viewport)
    admin.go("/staff/signin")
    admin.check("signin")
    admin.sign_in("city.city_admin")
    for name, path in CITY.items():
        assert admin.go(path).status == 200, path
        admin.check(name)
    assert admin.go("/staff/no-such-page").status == 404
    admin.check("not-found")
