"""Run every benchmark in turn: ``python -m bench`` (small sizes) or ``python -m bench --full``.

Each benchmark is its own process so one's memory peak or failure does not colour the next.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

# Ordered cheapest first, so a quick run gives early figures.
BENCHMARKS = ("tracker", "reminders", "ingest", "intake", "latency", "retrieval", "bot")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--full", action="store_true", help="large sizes (slow)")
    parser.add_argument("names", nargs="*", help=f"subset of {', '.join(BENCHMARKS)}")
    args = parser.parse_args(argv)
    names = args.names or list(BENCHMARKS)
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    failed: list[str] = []
    for name in names:
        print(f"\n=== bench.{name}{' --full' if args.full else ''}", flush=True)
        started = time.perf_counter()
        cmd = [sys.executable, "-m", f"bench.{name}", *(["--full"] if args.full else [])]
        status = subprocess.call(cmd)
        print(f"=== bench.{name}: exit {status}, {time.perf_counter() - started:.1f} s", flush=True)
        if status != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
