"""The pipeline benchmark, this checkout against another revision, in alternating runs.

On this machine the same code's 200/s lag moves by 30-50 % from one run to the next, and more
from one hour to the next (bench/RESULTS.md), so a change is judged only against the old code
run in the same minutes: old, new, old, new, ... Each run is `bench.pipeline` with the other
revision's code (a temporary `git worktree`) or this checkout's. Prints each run and the medians.

Run: `.venv/bin/python -m bench.compare [--against REV] [--runs 3] [--rate 200 --seconds 30]`
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The summary lines `bench.pipeline` prints for its main phase.
_LAG = re.compile(r"\(a\) casework p50 ([\d.]+) ms .*?p99 ([\d.]+) ms .*?\(b\) report p50 ([\d.]+)"
                  r" ms .*?p99 ([\d.]+) ms")
_CPU = re.compile(r"CPU per application, whole pipeline: .*total ([\d.]+) ms")
_SMS = re.compile(r"\(c\) acknowledgement SMS sent \(notify\)\s+p50\s+([\d.]+) ms")
FIGURES = ("(a) p50", "(a) p99", "(b) p50", "(b) p99", "(c) p50", "CPU ms/app")


def run(tree: Path, rate: float, seconds: float) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        [sys.executable, "-m", "bench.pipeline", "--rate", str(rate), "--seconds", str(seconds),
         "--probe-rate", "0"], cwd=tree, env=env, capture_output=True, text=True, check=False)
    text = out.stdout + out.stderr
    lag, cpu = _LAG.findall(text), _CPU.findall(text)
    if out.returncode != 0 or not lag or not cpu:
        raise RuntimeError(f"bench.pipeline failed in {tree}:\n{text[-2000:]}")
    sms = _SMS.findall(text)
    a50, a99, b50, b99 = (float(x) for x in lag[-1])
    return dict(zip(FIGURES, (a50, a99, b50, b99, float(sms[-1]) if sms else float("nan"),
                              float(cpu[-1])), strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default="HEAD~1", help="the other revision (HEAD~1)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each (3)")
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    rev = subprocess.run(["git", "rev-parse", "--short", args.against], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.strip()
    other = Path(tempfile.mkdtemp(prefix="gongkai-compare-")) / rev
    subprocess.run(["git", "worktree", "add", "--detach", "-q", str(other), rev], cwd=ROOT,
                   check=True)
    trees = {rev: other, "this checkout": ROOT}
    results: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
    try:
        print(f"{args.rate:.0f}/s for {args.seconds:.0f} s, {args.runs} runs each, alternating")
        print(f"{'':18}" + "".join(f"{f:>12}" for f in FIGURES))
        for n in range(1, args.runs + 1):
            for name, tree in trees.items():
                figures = run(tree, args.rate, args.seconds)
                results[name].append(figures)
                print(f"{name + ' #' + str(n):18}"
                      + "".join(f"{figures[f]:12.1f}" for f in FIGURES), flush=True)
        print("medians")
        for name, runs in results.items():
            print(f"{name:18}" + "".join(
                f"{statistics.median(r[f] for r in runs):12.1f}" for f in FIGURES))
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(other)], cwd=ROOT,
                       check=False)
        shutil.rmtree(other.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
