"""Summarise a py-spy "raw" (collapsed stacks) profile by where the time goes: each sample is
put in the bucket of its innermost recognisable frame (socket writes are split by who writes).
Run: `.venv/bin/python -m bench.hotspots FILE [--top N]`  (record with
`py-spy record --format raw --pid PID --output FILE`, or `bench.intake --py-spy FILE`)."""

from __future__ import annotations

import argparse
from collections import Counter

# (bucket, substrings of a frame), tried from the innermost frame outwards.
RULES: list[tuple[str, tuple[str, ...]]] = [
    ("logging", ("logging/",)),
    ("Prometheus metrics", ("prometheus_client",)),
    ("Kafka client (aiokafka)", ("aiokafka",)),
    ("asyncpg driver (protocol, codecs)", ("asyncpg/",)),
    ("SQLAlchemy (statement cache, execution context, pool, greenlet bridge)",
     ("sqlalchemy/", "greenlet")),
    ("pydantic (validation, serialisation)", ("pydantic",)),
    ("json", ("json/",)),
    ("HTTP: uvicorn + h11", ("uvicorn/", "h11/")),
    ("HTTP: FastAPI + Starlette (routing, middleware, body, response)",
     ("fastapi/", "starlette/")),
    ("httpx (client)", ("httpx/", "httpcore/")),
    ("letters as PDF (fpdf2, fontTools font subsetting)", ("fpdf/", "fontTools/")),
    ("letter templates (jinja2)", ("jinja2/",)),
    ("PDF reading (pypdf)", ("pypdf/",)),
    ("gongkai code (services/, shared/)", ("services/", "shared/")),
    ("asyncio event loop (select, callbacks)", ("asyncio/", "selectors.py")),
]


def bucket(frames: list[str]) -> str:
    leaf = frames[-1] if frames else ""
    if leaf.startswith(("_SelectorSocketTransport.write", "WriteTransport.writelines",
                        "_SelectorSocketTransport.writelines")):
        text = ";".join(frames)
        if "asyncpg" in text:
            return "socket send to PostgreSQL (syscall: wakes the server process)"
        if "aiokafka" in text:
            return "socket send to the broker (syscall)"
        return "socket send of HTTP (syscall)"
    if leaf.startswith("EpollSelector.select"):
        return "waiting in epoll (idle)"
    for frame in reversed(frames):
        for name, needles in RULES:
            if any(n in frame for n in needles):
                return name
    return "other / native"


def summarise(path: str, top: int = 0) -> str:
    buckets: Counter[str] = Counter()
    functions: Counter[str] = Counter()
    total = 0
    with open(path) as f:
        for line in f:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if not count.isdigit():
                continue
            n = int(count)
            frames = stack.split(";")
            total += n
            buckets[bucket(frames)] += n
            functions[frames[-1]] += n
    busy = total - buckets["waiting in epoll (idle)"]
    lines = [f"{total:,} samples ({busy:,} not idle); share of the non-idle samples:"]
    for name, n in buckets.most_common():
        if name != "waiting in epoll (idle)":
            lines.append(f"  {n / busy:6.1%}  {name}")
    if top:
        lines.append(f"top {top} functions by own samples:")
        lines += [f"  {n / total:6.1%}  {fn[:110]}" for fn, n in functions.most_common(top)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    print(summarise(args.file, args.top))


if __name__ == "__main__":
    main()
