"""Run the benchmarks one after another, each in a process of its own with its own embedded
servers: `python -m bench` (all, default sizes, about 7 minutes on 2 cores) or
`python -m bench intake pipeline` (some). Each is also runnable alone:
`python -m bench.deadlines`, `bench.sqlcost`, `bench.peer`, `bench.intake`, `bench.pipeline`,
`bench.statements`, `bench.replay`, `bench.portal`, `bench.idle`, `bench.ledger`;
`python -m bench.hotspots FILE` summarises a py-spy profile.
Prints figures; asserts nothing."""

from __future__ import annotations

import subprocess
import sys
import time

# name -> extra arguments for the default run (sizes chosen to keep the whole run < 10 min)
BENCHMARKS: dict[str, list[str]] = {
    "deadlines": [],
    "sqlcost": [],
    "peer": [],
    "intake": [],
    "pipeline": [],
    "statements": ["--applications", "1000"],
    "replay": [],
    "portal": ["--cases", "10000"],
    "idle": [],
    "letters": [],
    "ledger": [],
}


def main(argv: list[str]) -> int:
    chosen = argv or list(BENCHMARKS)
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
        return 2
    failed = []
    started = time.perf_counter()
    for name in chosen:
        print(f"\n=== bench.{name} " + "=" * (60 - len(name)), flush=True)
        t0 = time.perf_counter()
        code = subprocess.call([sys.executable, "-m", f"bench.{name}", *BENCHMARKS[name]])
        print(f"=== bench.{name}: {time.perf_counter() - t0:.0f} s"
              + (f" (exit code {code})" if code else ""), flush=True)
        if code:
            failed.append(name)
    print(f"\nall done in {time.perf_counter() - started:.0f} s"
          + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
