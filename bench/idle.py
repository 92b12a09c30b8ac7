"""Idle benchmark: what the whole stack (embedded PostgreSQL and broker, the four services and
the portal) burns with no traffic at all, per process, over a minute. Idle is what a city's
deployment mostly is, so this is its steady cost (issue 18: at most 2 % of the machine).

Method. The stack starts, one application goes through (so every consumer group has its
assignment and has consumed once), then the stack settles for `--settle` seconds (longer
than the consumers' idle spell) before `--seconds` of measurement with `psutil` CPU times of
each process (bench/_common.CpuMeter). Other sessions on the machine show as "other
processes". Prints figures; asserts nothing.

Run: `.venv/bin/python -m bench.idle [--seconds 60] [--settle 10] [--repeat 1]`
"""

from __future__ import annotations

import argparse
import asyncio
import time

from bench._common import CpuMeter, machine, running_stack
from bench.pipeline import submit_steadily, wait_for_reporting
from shared.db import plain_url

SERVICES = ("intake", "casework", "reporting", "notify", "portal")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="measured idle time (60)")
    parser.add_argument("--settle", type=float, default=10.0,
                        help="idle time before measuring (10 s; consumers slow down after 2 s)")
    parser.add_argument("--repeat", type=int, default=1, help="measurements in a row (1)")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    with running_stack(services=SERVICES) as stack:
        # The consumer groups' first assignment takes ~5 s on the embedded broker: one
        # application through the whole pipeline shows they are all consuming.
        sent, _, _, _ = asyncio.run(submit_steadily(stack.url("intake"), 1, 1))
        counted, waited = asyncio.run(
            wait_for_reporting(plain_url(stack.database_url), list(sent), 90))
        print(f"warm-up: {counted}/{len(sent)} applications reached the report in {waited:.1f} s")
        time.sleep(args.settle)
        for n in range(1, args.repeat + 1):
            with CpuMeter(stack) as idle:
                time.sleep(args.seconds)
            stack_seconds = sum(v for k, v in idle.used.items()
                                if k not in ("(whole machine)", "client (this process)"))
            print(f"idle stack, run {n}: {stack_seconds:.2f} CPU-s over {idle.elapsed:.0f} s = "
                  f"{stack_seconds / idle.elapsed:.1%} of one core")
            print(idle.report())


if __name__ == "__main__":
    main()
