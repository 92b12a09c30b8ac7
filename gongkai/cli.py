"""`gongkai`: everything an operator does, from one command."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from pathlib import Path

import typer
from rich.console import Console

from gongkai import database, erasure, published_check
from gongkai.city import DEMO_CITY, CityFileError, read_city
from gongkai.stack import Stack
from shared.clock import SHANGHAI, clock_from_setting
from shared.db import make_engine, migrate
from shared.serve import configure_logging
from shared.settings import SERVICES, Settings

app = typer.Typer(help="gongkai — disclosure on request (依申请公开) for a city's agencies.",
                  pretty_exceptions_show_locals=False,
                  no_args_is_help=True)
agencies_app = typer.Typer(help="The city's agencies (tenants).", no_args_is_help=True)
app.add_typer(agencies_app, name="agencies")
calendar_app = typer.Typer(help="The working-day calendar (State Council holiday notices).",
                           no_args_is_help=True)
app.add_typer(calendar_app, name="calendar")
token_app = typer.Typer(help="Staff bearer tokens.", no_args_is_help=True)
app.add_typer(token_app, name="token")
app.command("erase")(erasure.erase)
app.command("check-published")(published_check.check_published)
console = Console()
log = logging.getLogger("gongkai")


async def _load_agencies(database_url: str, path: Path, clock_setting: str | None) -> list[str]:
    from services.intake.service_layer.handlers import configure_agencies

    agencies = read_city(path)
    await migrate("intake", database_url)
    engine = make_engine(database_url, "intake")
    try:
        return await configure_agencies(engine, clock_from_setting(clock_setting), agencies,
                                        actor="cli")
    finally:
        await engine.dispose()


async def _has_agencies(database_url: str) -> bool:
    from services.intake.adapters.repository import list_agencies

    engine = make_engine(database_url, "intake")
    try:
        async with engine.connect() as conn:
            return bool(await list_agencies(conn))
    finally:
        await engine.dispose()


@app.command()
def up(
    kafka_port: int = typer.Option(19092, envvar="GONGKAI_KAFKA_PORT",
                                   help="Port of the embedded broker."),
    demo: bool = typer.Option(True, help="Load the demo city and applications on first start."),
) -> None:
    """Start the whole system (embedded PostgreSQL and broker unless DATABASE_URL /
    KAFKA_BOOTSTRAP_SERVERS are set); Ctrl-C stops it."""
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    stack = Stack(settings, kafka_port=kafka_port)
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    # Ctrl-C stops the stack even when whatever started us ignored it (a shell's background
    # job inherits SIGINT ignored, and Python then never raises KeyboardInterrupt).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with console.status("Starting PostgreSQL and the broker…"):
            stack.start_infrastructure()
            asyncio.run(stack.prepare())
        first_run = demo and not asyncio.run(_has_agencies(stack.database_url))
        if first_run:
            changed = asyncio.run(_load_agencies(stack.database_url, DEMO_CITY, settings.clock))
            console.print(f"Loaded the demo city: {', '.join(changed)}")
        with console.status("Starting the services…"):
            for service in SERVICES:
                stack.start_service(service)
            stack.start_service("portal")
            stack.wait_healthy((*SERVICES, "portal"))
        if first_run:
            from gongkai.demo.applications import submit_demo_applications

            for accepted in submit_demo_applications(stack.url("intake")):
                console.print(f"Demo application {accepted['case_number']} "
                              f"({accepted['application_id']})")
        console.print("[bold green]gongkai is up[/]")
        portal = stack.url("portal")
        console.print(f"  [bold]portal     {portal}/[/]   (public site; staff: {portal}/staff/)",
                      soft_wrap=True)
        for service in SERVICES:
            console.print(f"  {service:<10} {stack.url(service)}   "
                          f"(API docs {stack.url(service)}/docs)")
        console.print(f"  database   {stack.database_url}")
        console.print(f"  broker     {stack.bootstrap}")
        console.print(f"  logs       {stack.logs}/")
        console.print("Press Ctrl-C to stop.")
        while not stopping:
            dead = stack.dead()
            if dead:
                console.print(f"[bold red]Stopping: {', '.join(dead)} stopped unexpectedly.[/]")
                for part in dead:
                    if part in (*SERVICES, "portal"):
                        console.print(stack.tail(part))
                if "broker" in dead:
                    console.print("The embedded broker keeps topics in memory only; on the next "
                                  "start the services re-publish every event from PostgreSQL.")
                raise typer.Exit(1)
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    except RuntimeError as exc:
        console.print(f"[bold red]gongkai could not start:[/] {exc}")
        raise typer.Exit(1) from None
    finally:
        with console.status("Stopping…"):
            stack.stop()
        console.print("Stopped.")


@app.command("migrate")
def migrate_cmd() -> None:
    """Apply database migrations of every service (DATABASE_URL, or the embedded server)."""
    settings = Settings.from_env()
    url = database.url(settings)
    for service in SERVICES:
        asyncio.run(migrate(service, url))
    console.print("Migrations applied.")



@agencies_app.command("load")
def agencies_load(path: Path = typer.Argument(..., exists=True, dir_okay=False,
                                              help="City file (YAML)")) -> None:
    """Load or update the agencies of a city file; unchanged agencies record nothing."""
    settings = Settings.from_env()
    try:
        changed = asyncio.run(_load_agencies(database.url(settings), path, settings.clock))
    except CityFileError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    console.print(f"{len(changed)} agencies new or changed: {', '.join(changed) or '—'}")


@calendar_app.command("load")
def calendar_load(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="Notice file (YAML)"),
    user: str = typer.Option("cli", help="Who loads it (kept with the year)"),
) -> None:
    """Load or correct a year's holiday notice; open cases whose due dates move are recomputed."""
    from services.casework.domain.notice import NoticeError, parse_notice

    try:
        notice = parse_notice(path.read_text(encoding="utf-8"))
    except NoticeError as exc:
        console.print("[red]The notice file has problems:[/]")
        for problem in exc.problems:
            console.print(f"  {problem}")
        raise typer.Exit(2) from None
    settings = Settings.from_env()
    result = asyncio.run(_load_notice(database.url(settings), notice, user, settings.clock))
    console.print(f"{notice.year} loaded from {notice.title}; "
                  f"{len(result['moved'])} open cases have a new due date")
    for moved in result["moved"]:
        console.print(f"  {moved['case_number']}: {moved['from']} → {moved['to']}")


async def _load_notice(database_url: str, notice, user: str, clock_setting: str | None) -> dict:
    from services.casework.adapters import calendar_store
    from services.casework.service_layer.handlers import load_notice
    from shared.auth import Role, Staff

    await migrate("casework", database_url)
    engine = make_engine(database_url, "casework")
    try:
        async with engine.begin() as conn:
            await calendar_store.seed(conn)
        staff = Staff(user=user, agency=None, roles=frozenset({Role.CITY_ADMIN}))
        return await load_notice(engine, clock_from_setting(clock_setting), notice, staff)
    finally:
        await engine.dispose()


@token_app.command("issue")
def token_issue(
    user: str = typer.Option(..., help="The staff member's user name"),
    role: list[str] = typer.Option(..., help="registrar, caseworker, approver, auditor or "
                                             "city_admin (repeat for several)"),
    agency: str | None = typer.Option(None, help="The agency (not for city_admin)"),
    hours: int = typer.Option(12, min=1, max=24 * 90, help="Validity in hours"),
) -> None:
    """Print a bearer token signed with this deployment's key."""
    from datetime import timedelta

    from shared.auth import Role, issue_token, load_secret

    settings = Settings.from_env()
    try:
        roles = [Role(r) for r in role]
        token = issue_token(load_secret(settings.home.resolve(), settings.jwt_secret),
                            user=user, agency=agency, roles=roles,
                            now=clock_from_setting(settings.clock).now(),
                            ttl=timedelta(hours=hours), max_lifetime=settings.token_max_lifetime)
    except ValueError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    print(token)


@app.command()
def replay(
    projection: str = typer.Argument("reporting", help="The projection to rebuild"),
) -> None:
    """Rebuild a projection from the stored events into a new version beside the live one,
    switch to it atomically, and compare it with the version it replaced."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    if projection != "reporting":
        console.print("[red]Only the reporting projection can be replayed.[/]")
        raise typer.Exit(2)
    url = database.url(Settings.from_env())
    asyncio.run(migrate("reporting", url))
    with Progress(TextColumn("[bold]replaying"), BarColumn(),
                  TextColumn("{task.fields[folded]:,} events"), TextColumn("{task.fields[rate]}"),
                  TimeRemainingColumn(), console=console) as bar:
        task = bar.add_task("replay", total=1.0, rate="", folded=0)
        started = time.perf_counter()

        def progress(folded: int, share: float) -> None:
            rate = folded / max(time.perf_counter() - started, 1e-9)
            bar.update(task, completed=share, folded=folded, rate=f"{rate:,.0f} events/s")

        result = asyncio.run(_replay(url, progress))
    console.print(f"Version {result.version} is live: {result.events:,} events in "
                  f"{result.seconds:.1f} s ({result.rate:,.0f} events/s), "
                  f"{result.caught_up} caught up during the switch.")
    if result.differences:
        console.print("[bold red]The rebuilt figures differ from the live ones:[/]")
        for line in result.differences:
            console.print(f"  {line}")
        raise typer.Exit(1)
    console.print("The rebuilt projection equals the live one.")


async def _replay(url: str, progress):
    from services.reporting.service_layer.replay import rebuild

    engine = make_engine(url, "reporting")
    try:
        return await rebuild(engine, progress)
    finally:
        await engine.dispose()


@app.command()
def report(
    year: int = typer.Argument(..., help="The report year"),
    agency: str = typer.Option(..., help="Agency id, or 'city' for the city roll-up"),
    format: str = typer.Option("json", help="json, csv, xlsx, html or docx"),
    out: Path = typer.Option(..., help="File to write"),
) -> None:
    """Produce and export an annual report."""
    from services.reporting.adapters.exports import EXPORTERS

    if format not in EXPORTERS:
        console.print(f"[red]Unknown format {format!r}; choose one of {', '.join(EXPORTERS)}[/]")
        raise typer.Exit(2)
    settings = Settings.from_env()
    from shared import cjk_font

    cjk_font.use_font(settings.letter_font)
    body = asyncio.run(_export(database.url(settings), year, agency, format, settings.clock))
    out.write_bytes(body)
    console.print(f"Wrote {out} ({len(body):,} bytes)")


async def _export(url: str, year: int, agency: str, format: str, clock_setting: str | None):
    from services.reporting.adapters.exports import EXPORTERS
    from services.reporting.service_layer import handlers
    from shared.clock import SHANGHAI
    from shared.refusals import Refused

    await migrate("reporting", url)
    engine = make_engine(url, "reporting")
    try:
        now = clock_from_setting(clock_setting).now().astimezone(SHANGHAI)
        try:
            doc = await handlers.annual_report(engine, year, agency, now)
        except Refused as exc:
            console.print(f"[red]{exc.message}[/]")
            raise typer.Exit(2) from None
        export = EXPORTERS[format][0]
        return export(doc, await handlers.agency_name(engine, agency))
    finally:
        await engine.dispose()


@app.command("import")
def import_ledger(
    path: Path = typer.Argument(..., exists=True, dir_okay=False,
                                help="The agency's ledger (台账), CSV or XLSX"),
    agency: str = typer.Option(..., help="The agency whose ledger it is"),
    published: Path | None = typer.Option(None, exists=True, dir_okay=False,
                                          help="Its published annual table 三 figures (CSV), "
                                               "checked and compared with the ledger"),
    user: str = typer.Option("import", help="Who imports (kept with every record)"),
) -> None:
    """Import a historical ledger: each row becomes a case as if it had been handled here.
    A file with any bad row is refused whole, with every problem by line and field."""
    from services.intake.domain.ledger_check import PUBLISHED, CheckFailed, check_ledger

    settings = Settings.from_env()
    clock = clock_from_setting(settings.clock)
    today = clock.now().astimezone(SHANGHAI).date()
    data = path.read_bytes()
    try:
        checked = check_ledger(data, path.name, published.read_bytes() if published else None,
                               today=today)
    except CheckFailed as exc:
        for file in dict.fromkeys(p.file for p in exc.problems):
            problems = [p for p in exc.problems if p.file == file]
            console.print(f"[red]{published if file == PUBLISHED else path}: "
                          f"{len(problems)} problems; nothing was imported.[/]")
            for p in problems:
                console.print(f"  line {p.line}, {p.field}: {p.message}")
        raise typer.Exit(2) from None
    from shared.refusals import Refused

    try:
        result = asyncio.run(_import(database.url(settings), clock, agency, checked, data,
                                     path.name, user, settings.home))
    except Refused as exc:  # nothing was written
        console.print(f"[red]{exc.message}; nothing was imported.[/]")
        raise typer.Exit(2) from None
    console.print(f"Imported {result.rows} applications into {agency}: {result.concluded} "
                  f"concluded, {result.open} still open.")


async def _import(url, clock, agency, checked, data, source, user, home):
    from services.intake.adapters import ledger_checks
    from services.intake.adapters.key_ring import load_ring
    from services.intake.config import IntakeSettings
    from services.intake.service_layer.ledger_import import import_ledger as run

    await migrate("intake", url)
    engine = make_engine(url, "intake")
    try:
        # The published figures' own broken relations, then where they differ from the ledger
        # (counted by reporting's rules, in the database): warnings, the import goes on.
        async with engine.connect() as conn:
            for warning in await ledger_checks.warnings(conn, checked):
                console.print(f"[yellow]warning:[/] {warning}")
        return await run(engine, clock, agency, checked.rows, content=data, source=source,
                         actor=user,
                         key_ring=load_ring(home, IntakeSettings.from_env().applicant_key_secrets))
    finally:
        await engine.dispose()


# `gongkai token revoke` lives in gongkai/tokens.py.
from gongkai.tokens import register as _register_token_commands  # noqa: E402

_register_token_commands(token_app)
