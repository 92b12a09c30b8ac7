"""`gongkai token revoke`: refuse a staff token (by its jti) or every token a user holds, on
every service within seconds (see shared/revocations.py for how it travels)."""

from __future__ import annotations

import uuid
from datetime import datetime

import typer
from sqlalchemy import text

from shared import eventstore
from shared.clock import Clock
from shared.db import make_engine
from shared.events import new_event
from shared.revocations import STREAM, TOKENS_TOPIC, TokenRevoked

# Recorded in intake's event store, whose relay publishes the city's reference data.
WRITER = "intake"
CITY = "city"  # the events' agency: a revocation belongs to no one agency


async def revoke(database_url: str, clock: Clock, *, jti: str | None = None,
                 user: str | None = None, actor: str = "operator",
                 reason: str = "") -> TokenRevoked:
    """Record the revocation; intake's relay publishes it. A user's revocation covers every
    token issued to them until now (one issued afterwards is valid)."""
    now = clock.now()
    revoked = TokenRevoked(jti=jti, user=user, issued_until=now if user else None, reason=reason)
    engine = make_engine(database_url, WRITER)
    try:
        for _ in range(5):  # two operators at once: the second numbers its event after the first
            try:
                async with engine.begin() as conn:
                    last = (await conn.execute(
                        text("SELECT coalesce(max(stream_position), 0) FROM events "
                             "WHERE stream_id = :s"), {"s": STREAM})).scalar_one()
                    event = new_event(revoked, stream_id=STREAM, stream_position=last + 1,
                                      agency=CITY, occurred_at=now, actor=actor,
                                      correlation_id=uuid.uuid4(), source=WRITER)
                    await eventstore.append(conn, [event], TOKENS_TOPIC)
                return revoked
            except eventstore.ConcurrencyError:
                continue
        raise RuntimeError("could not record the revocation: too many at once; try again")
    finally:
        await engine.dispose()


def register(token_app: typer.Typer) -> None:
    """Add `revoke` to the `gongkai token` commands."""

    @token_app.command("revoke")
    def token_revoke(
        target: str = typer.Argument(..., help="The token's jti; with --user, a user name"),
        user: bool = typer.Option(False, "--user",
                                  help="Revoke every token issued to this user until now"),
        reason: str = typer.Option("", help="Why (kept with the revocation)"),
    ) -> None:
        """Revoke a staff token (its jti), or with --user every token of a user."""
        import asyncio

        from gongkai import database
        from gongkai.cli import console
        from shared.clock import clock_from_setting
        from shared.settings import Settings

        settings = Settings.from_env()
        target = target.strip()
        if not target:
            console.print("[red]name a token (jti) or, with --user, a user[/]")
            raise typer.Exit(2)
        done = asyncio.run(revoke(
            database.url(settings), clock_from_setting(settings.clock),
            jti=None if user else target, user=target if user else None,
            actor="gongkai token revoke", reason=reason))
        what = (f"every token of {done.user} issued until {_local(done.issued_until)}"
                if done.user else f"token {done.jti}")
        console.print(f"Revoked {what}.")


def _local(at: datetime | None) -> str:
    from shared.clock import SHANGHAI

    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S") if at else "—"
