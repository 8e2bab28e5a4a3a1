"""`python -m bench [--quick] [--profile] [names…]`: every benchmark, one after the other.

    python -m bench                 # ingest, scale, pipeline, time_to_know (about 25 min)
    python -m bench --quick         # shorter runs, 100,000 invoices for scale (about 8 min)
    python -m bench ingest scale    # some of them

Each bench starts its own servers and baseline and prints its tables; nothing here is a
test. `python bench/validate.py` (rules and rendering, in-process) stays separate.
"""

from __future__ import annotations

import argparse
import time

from bench import ingest, pipeline, scale, time_to_know
from bench.harness import say

BENCHES = ("ingest", "scale", "pipeline", "time_to_know")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs, smaller tables")
    parser.add_argument("--profile", action="store_true", help="py-spy the API and the worker")
    parser.add_argument("names", nargs="*", help=f"some of {', '.join(BENCHES)}; default: all")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(BENCHES))
    if unknown:
        parser.error(f"unknown bench(es): {', '.join(unknown)}")
    for name in args.names or BENCHES:
        started = time.monotonic()
        say(f"\n# {name}")
        if name == "ingest":
            tables = ingest.report(ingest.measure(args.quick, args.profile))
        elif name == "scale":
            tables = scale.report(scale.measure(args.quick))
        elif name == "pipeline":
            tables = pipeline.report(pipeline.measure(args.quick, args.profile))
        else:
            tables = time_to_know.report(time_to_know.measure(args.quick))
        for table in tables:
            say(table.render())
        say(f"({name}: {time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
