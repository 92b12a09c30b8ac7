"""A reference app for the intake benchmark: the least an HTTP intake can do. FastAPI + uvicorn
as intake runs them, the same request model (`SubmissionForm`, its validators included), one
committed asyncpg INSERT of the form (no SQLAlchemy, no outbox, no case number), 201 with a
small JSON body. Run by bench.intake as `python -m uvicorn bench._floor:app` with
BENCH_FLOOR_DSN set."""

from __future__ import annotations

import contextlib
import os
import uuid

import asyncpg
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from services.intake.domain.application import SubmissionForm

_pool: asyncpg.Pool | None = None


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI):
    global _pool
    _pool = await asyncpg.create_pool(os.environ["BENCH_FLOOR_DSN"], min_size=8, max_size=8)
    await _pool.execute("""CREATE SCHEMA IF NOT EXISTS bench_floor;
        CREATE TABLE IF NOT EXISTS bench_floor.applications (
            id uuid PRIMARY KEY, body jsonb NOT NULL, at timestamptz NOT NULL DEFAULT now())""")
    yield
    await _pool.close()


app = FastAPI(lifespan=lifespan)


@app.post("/v1/applications", status_code=201)
async def submit(form: SubmissionForm) -> JSONResponse:
    application_id = uuid.uuid4()
    await _pool.execute("INSERT INTO bench_floor.applications (id, body) VALUES ($1, $2)",
                        application_id, form.model_dump_json())
    return JSONResponse({"application_id": str(application_id)}, status_code=201)


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
