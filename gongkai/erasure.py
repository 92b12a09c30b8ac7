"""`gongkai erase`: an applicant's personal data erased in every service, audited.

Each service erases in its own schema and transaction, intake first (it records who erased
what, when and why, and knows which applications exist). Erasing again is harmless, so an
erasure interrupted half-way is finished by running it again. Report figures do not change:
what they count (dates, outcomes, applicant types) is not personal and stays.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime

import typer
from rich.console import Console
from sqlalchemy import text

from gongkai import database
from shared.clock import clock_from_setting, local_date
from shared.contracts.agencies import AgencyPolicies
from shared.db import make_engine, migrate
from shared.settings import SERVICES, Settings

console = Console()


def erase(
    application_ids: list[str] = typer.Argument(None, help="Application ids to erase"),
    expired: bool = typer.Option(False, "--expired",
                                 help="Every application whose retention period has ended"),
    by: str = typer.Option(..., "--by", help="Who erases (recorded)"),
    reason: str = typer.Option(..., "--reason", help="Why: the request, or 保存期限届满"),
) -> None:
    """Erase applicants' personal data everywhere; the report figures stay as they are."""
    if bool(application_ids) == expired:
        console.print("[red]Name application ids, or --expired, not both.[/]")
        raise typer.Exit(2)
    try:
        ids = [uuid.UUID(i) for i in application_ids or []]
    except ValueError:
        console.print("[red]An application id is a UUID (the applicant's receipt shows it).[/]")
        raise typer.Exit(2) from None
    settings = Settings.from_env()
    url = database.url(settings)
    now = clock_from_setting(settings.clock).now()
    done, unknown = asyncio.run(_erase(url, ids, expired, by, reason, now))
    for missing in unknown:
        console.print(f"[yellow]No application {missing}: nothing to erase.[/]")
    console.print(f"Erased the personal data of {len(done)} application(s).")
    if unknown:
        raise typer.Exit(1)


async def _erase(url: str, ids: list[uuid.UUID], expired: bool, by: str, reason: str,
                 now: datetime) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    from services.casework.adapters import erasure as casework
    from services.intake.adapters import erasure as intake
    from services.notify.adapters import erasure as notify
    from shared.erasure import erase_stored_events

    for service in SERVICES:
        await migrate(service, url)
    engines = {s: make_engine(url, s, pool_size=1) for s in SERVICES}
    try:
        if expired:
            async with engines["casework"].connect() as conn:
                ids = await casework.expired(conn, local_date(now), await _retention(conn),
                                             default_years=AgencyPolicies().retention_years)
        async with engines["intake"].begin() as conn:
            found = await intake.known(conn, ids)
            done = [i for i in ids if i in found]
            if done:
                await intake.erase(conn, done, by=by, reason=reason, at=now)
        steps = {"casework": casework.erase, "notify": notify.erase,
                 "reporting": erase_stored_events}
        for service, step in steps.items():
            if done:
                async with engines[service].begin() as conn:
                    await step(conn, done)
        return done, [i for i in ids if i not in found]
    finally:
        for engine in engines.values():
            await engine.dispose()


async def _retention(conn) -> dict[str, int]:
    rows = await conn.execute(text("SELECT agency_id, config FROM agencies"))
    out = {}
    for r in rows:
        config = r.config if isinstance(r.config, dict) else json.loads(r.config)
        out[r.agency_id] = AgencyPolicies.model_validate(
            config.get("policies", {})).retention_years
    return out
