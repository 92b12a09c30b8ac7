"""The database a command of the `gongkai` tool works on: DATABASE_URL, else the embedded
server in the deployment's home (the one `gongkai run` starts, started here if it is not)."""

from __future__ import annotations

from shared.settings import Settings


def url(settings: Settings) -> str:
    if settings.database_url:
        return settings.database_url
    from gongkai.embedded import Postgres  # the embedded server's wheel only when it is used

    return Postgres(settings.home.resolve() / "pgdata").url
