"""`gongkai`: everything an operator does, from one command."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from pathlib import Path

import typer
from rich.console import Console

from gongkai.city import DEMO_CITY, CityFileError, read_city
from gongkai.stack import Stack
from shared.clock import clock_from_setting
from shared.db import make_engine, migrate
from shared.serve import configure_logging
from shared.settings import SERVICES, Settings

app = typer.Typer(help="gongkai — disclosure on request (依申请公开) for a city's agencies.",
                  no_args_is_help=True)
agencies_app = typer.Typer(help="The city's agencies (tenants).", no_args_is_help=True)
app.add_typer(agencies_app, name="agencies")
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
            stack.wait_healthy()
        if first_run:
            from gongkai.demo.applications import submit_demo_applications

            for accepted in submit_demo_applications(stack.url("intake")):
                console.print(f"Demo application {accepted['case_number']} "
                              f"({accepted['application_id']})")
        console.print("[bold green]gongkai is up[/]")
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
                    if part in SERVICES:
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
    url = _database_url(settings)
    for service in SERVICES:
        asyncio.run(migrate(service, url))
    console.print("Migrations applied.")


def _database_url(settings: Settings) -> str:
    if settings.database_url:
        return settings.database_url
    from gongkai.embedded import Postgres

    return Postgres(settings.home.resolve() / "pgdata").url


@agencies_app.command("load")
def agencies_load(path: Path = typer.Argument(..., exists=True, dir_okay=False,
                                              help="City file (YAML)")) -> None:
    """Load or update the agencies of a city file; unchanged agencies record nothing."""
    settings = Settings.from_env()
    try:
        changed = asyncio.run(_load_agencies(_database_url(settings), path, settings.clock))
    except CityFileError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    console.print(f"{len(changed)} agencies new or changed: {', '.join(changed) or '—'}")
